import * as vega from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Renders a vega-lite spec to an SVG string in Node (vega's headless `renderer: "none"` view).
 * The SVG is one image named by `label` (default the spec's title or description): marks and
 * axes carry no ARIA roles of their own, which screen readers would read out one by one.
 */
export async function toSvg(spec: TopLevelSpec, label?: string): Promise<string> {
  const name = label ?? (typeof spec.title === 'string' ? spec.title : spec.description) ?? 'chart';
  const view = new vega.View(vega.parse(compile({ ...spec, config: { ...spec.config, aria: false } } as TopLevelSpec).spec), { renderer: 'none' });
  try {
    const svg = (await view.toSVG()).replace(/ (role|aria-roledescription|aria-label)="[^"]*"/g, '');
    return svg.replace('<svg ', `<svg role="img" aria-label="${escape(name)}" `);
  } finally {
    view.finalize();
  }
}
