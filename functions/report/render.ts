import * as vega from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';

/** Renders a vega-lite spec to an SVG string in Node (vega's headless `renderer: "none"` view). */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
