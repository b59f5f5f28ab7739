import type { Diversity } from '../fusion/learned/analysis.js';
import type { Evaluation } from '../fusion/learned/evaluate.js';
import { METRICS, confusionGridSpec, diversitySpec, metricSpec, perClassSpec, reliabilitySpec } from './charts.js';
import { type ReportModel, ablationTable, escape, metadataList, metricsTable, perClassTables } from './tables.js';
import { toSvg } from './render.js';

export interface ReportMeta {
  title?: string;
  /** Where the data came from, shown under the title. */
  source?: string;
  /** SHA-256 of the data file. */
  dataSha256?: string;
  /** The models scored, with their training options. */
  models?: ReportModel[];
  /** The evaluation's own options (folds, seed), as given. */
  options?: Record<string, unknown>;
  /** Creation time shown in the report (default now). */
  createdAt?: string;
}

/** The one sentence above the diversity matrix, and what this data shows. */
function diversityText(d: Diversity): string {
  const pairs: { a: string; b: string; r: number }[] = [];
  d.modalities.forEach((a, i) => d.modalities.forEach((b, j) => j > i && d.errorCorrelation[i]![j] != null && pairs.push({ a, b, r: d.errorCorrelation[i]![j]! })));
  pairs.sort((x, y) => x.r - y.r);
  const lead = 'Late fusion only helps when the modalities err differently: the lower two modalities’ error correlation (and the higher their disagreement), the more one can correct the other.';
  if (!pairs.length) return lead;
  const lo = pairs[0]!, hi = pairs[pairs.length - 1]!;
  const rates = d.modalities.map((m, k) => `${escape(m)} ${d.errorRate[k]!.toFixed(3)}`).join(', ');
  return `${lead} Here the least correlated pair is ${escape(lo.a)}–${escape(lo.b)} (${lo.r.toFixed(2)}) and the most ${escape(hi.a)}–${escape(hi.b)} (${hi.r.toFixed(2)}); error rates alone: ${rates}.`;
}

/** The report pages' style sheet (shared with the monitor report). */
export const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 1rem auto; padding: 0 1rem; max-width: 1100px; color: #1b1b1b; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.2rem 0.5rem; border-bottom: 1px solid #d0d0d0; text-align: right; vertical-align: top; }
th[scope="row"], td:nth-child(2) { text-align: left; }
thead th { text-align: right; } thead th:first-child { text-align: left; }
table.compact { font-size: 0.85rem; }
small { color: #4a4a4a; }
tr.best { background: #e6f2e6; }
.scroll { overflow-x: auto; max-width: 100%; }
figure { margin: 0 0 1.5rem; }
figure svg { max-width: 100%; height: auto; }
.metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(420px, 100%), 1fr)); gap: 0.5rem 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; } dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
code.hash { font-size: 0.85rem; }
details { margin: 0.25rem 0; } summary { cursor: pointer; }
`;

/**
 * A self-contained HTML evaluation report (no scripts, no external resources, SVG charts drawn
 * with vega-lite). Sections: metadata, metrics with bootstrap intervals, the comparison per
 * metric, per-class scores, confusion matrices and reliability diagrams of every entry, and,
 * when the evaluation ran with `analysis`, the modality ablation and diversity.
 */
export async function renderReport(ev: Evaluation, meta: ReportMeta = {}): Promise<string> {
  const title = meta.title ?? `Fusion evaluation: ${ev.profile}`;
  const [metricCharts, perClass, confusion, reliability, diversity] = await Promise.all([
    Promise.all(METRICS.map(([k]) => toSvg(metricSpec(ev, k)))),
    toSvg(perClassSpec(ev)),
    toSvg(confusionGridSpec(ev)),
    toSvg(reliabilitySpec(ev)),
    ev.diversity ? toSvg(diversitySpec(ev.diversity)) : undefined,
  ]);
  const intervals = ev.bootstrap ? `; under each value its bootstrap 95% interval (${ev.bootstrap.resamples} resamples, seed ${ev.bootstrap.seed})` : '';
  const sections = [
    `<section id="metadata"><h2>Run</h2>${metadataList(ev, { ...meta, createdAt: meta.createdAt ?? new Date().toISOString() })}</section>`,
    `<section id="metrics"><h2>Metrics</h2><p>Best (lowest log loss): <strong>${escape(ev.best)}</strong>, highlighted${intervals}.</p><div class="scroll">${metricsTable(ev)}</div></section>`,
    `<section id="comparison"><h2>Strategy comparison</h2><p>Each axis is zoomed to the data; log loss is on a log scale. Bars are 95% intervals.</p><div class="metrics">${metricCharts.map((svg) => `<figure>${svg}</figure>`).join('')}</div></section>`,
    `<section id="per-class"><h2>Per class</h2><figure>${perClass}</figure>${perClassTables(ev)}</section>`,
    `<section id="confusion"><h2>Confusion matrices</h2><figure>${confusion}</figure></section>`,
    `<section id="reliability"><h2>Reliability</h2><figure>${reliability}</figure></section>`,
  ];
  if (ev.ablation)
    sections.push(
      `<section id="ablation"><h2>Modality ablation</h2><p>Accuracy of each strategy with each modality removed (rows keeping the profile's minimum of modalities) and with only that modality kept (rows where it is present); in brackets the change from all modalities. A large drop without a modality is what it is worth.</p><div class="scroll">${ablationTable(ev)}</div></section>`,
    );
  if (ev.diversity) sections.push(`<section id="diversity"><h2>Diversity</h2><p>${diversityText(ev.diversity)}</p><figure>${diversity}</figure></section>`);
  return reportPage(title, sections.join('\n'));
}

/** A whole report page: the title as heading, then `body` (trusted HTML) in the report's style. */
export function reportPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escape(title)}</h1>
${body}
</main>
</body>
</html>
`;
}
