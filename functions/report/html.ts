import type { Evaluation } from '../fusion/learned/evaluate.js';
import { comparisonSpec, confusionSpec, reliabilitySpec } from './charts.js';
import { toSvg } from './render.js';

export interface ReportMeta {
  title?: string;
  /** Where the data came from, shown under the title. */
  source?: string;
  /** Creation time shown in the report (default now). */
  createdAt?: string;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fixed = (v: number) => v.toFixed(4);

/**
 * A self-contained HTML evaluation report: the metrics table and SVG charts (strategy
 * comparison, reliability diagrams, confusion matrix of the best strategy) drawn with
 * vega-lite. No scripts, no external resources.
 */
export async function renderReport(ev: Evaluation, meta: ReportMeta = {}): Promise<string> {
  const best = ev.entries.find((e) => e.name === ev.best && e.kind !== 'modality')!;
  const [comparison, reliability, confusion] = await Promise.all([toSvg(comparisonSpec(ev)), toSvg(reliabilitySpec(ev)), toSvg(confusionSpec(ev, best))]);
  const title = meta.title ?? `Fusion evaluation: ${ev.profile}`;
  const rows = ev.entries
    .map((e) => {
      const m = e.metrics;
      const cls = e.name === ev.best && e.kind !== 'modality' ? ' class="best"' : '';
      return `<tr${cls}><td>${escape(e.name)}</td><td>${e.kind}</td><td>${fixed(m.accuracy)}</td><td>${fixed(m.macroF1)}</td><td>${fixed(m.logLoss)}</td><td>${fixed(m.brier)}</td><td>${fixed(m.ece)}</td><td>${e.rows}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0 2rem; }
th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child, td:nth-child(2) { text-align: left; }
tr.best { background: #eef6ee; font-weight: 600; }
figure { margin: 0 0 2rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>${escape(title)}</h1>
<p>${ev.rows} labelled examples${meta.source ? ` from ${escape(meta.source)}` : ''}; profile <code>${escape(ev.profile)}</code>; generated ${escape(meta.createdAt ?? new Date().toISOString())}. Best (lowest log loss): <strong>${escape(ev.best)}</strong>.</p>
<table>
<thead><tr><th>strategy</th><th>kind</th><th>accuracy</th><th>macro-F1</th><th>log loss</th><th>Brier</th><th>ECE</th><th>rows</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Strategy comparison</h2>
<figure>${comparison}</figure>
<h2>Reliability</h2>
<figure>${reliability}</figure>
<h2>Confusion matrix of the best strategy</h2>
<figure>${confusion}</figure>
</body>
</html>
`;
}
