/**
 * The monitoring report's evaluation sections for regression and multi-label profiles, drawn
 * with the evaluation report's charts (`pointSpec`, `perClassSpec`, `reliabilitySpec`) plus a
 * predicted-against-actual chart for regression, and each task's drift table.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EvalEntry } from '../fusion/learned/evaluate.js';
import type { MultilabelCharts, MultilabelScore, MultilabelSummary } from '../fusion/loop/online-multilabel.js';
import type { RegressionCharts, RegressionScore, RegressionSummary } from '../fusion/loop/online-regression.js';
import type { OnlineSummary } from '../fusion/loop/online.js';
import { PSI_ALERT } from '../fusion/loop/psi.js';
import { entryLabel, perClassSpec, pointSpec, reliabilitySpec } from './charts.js';
import { toSvg } from './render.js';
import { escape, perClassTables } from './tables.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** At most this many (strategy, label) reliability panels. */
const MAX_PANELS = 24;

/** A number for a table cell; a dash for none. */
export const num = (v: unknown, d = 4) => (typeof v !== 'number' || !Number.isFinite(v) ? '–' : v.toFixed(d));

/** A compact table whose first cell of each row is its header. */
export const table = (head: string[], rows: string[][]) =>
  `<div class="scroll"><table class="compact"><thead><tr>${head.map((h) => `<th scope="col">${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(([first, ...rest]) => `<tr><th scope="row">${escape(first!)}</th>${rest.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;

/** The scores each task shows for variants and shadows: key and column title. */
export const SCORE_COLUMNS: Record<OnlineSummary['task'], [string, string][]> = {
  classification: [['accuracy', 'accuracy'], ['logLoss', 'log loss'], ['ece', 'ECE']],
  regression: [['mae', 'MAE'], ['rmse', 'RMSE'], ['coverage90', '90% coverage'], ['nll', 'NLL']],
  multilabel: [['microF1', 'micro-F1'], ['macroF1', 'macro-F1'], ['hamming', 'Hamming'], ['logLoss', 'log loss']],
};

/** The labelled rows and the task's scores of one source, as table cells. */
export const scoreCells = (task: OnlineSummary['task'], s: object) => {
  const v = s as Record<string, unknown>;
  return [String(v.rows ?? 0), ...SCORE_COLUMNS[task].map(([k]) => num(v[k]))];
};

interface Entry<S> {
  name: string;
  kind: EvalEntry['kind'];
  score: S;
}

/** Strategies, the variants when a canary answered, and each modality alone, in the report's order. */
function entries<S>(s: { byStrategy: Record<string, S>; byModality: Record<string, S>; byVariant: Record<string, Partial<S>>; drift: object }): Entry<S>[] {
  const canary = 'canary' in s.byVariant;
  return [
    ...Object.entries(s.byStrategy).map(([name, score]) => ({ name, kind: 'rule' as const, score })),
    ...(canary ? Object.entries(s.byVariant).flatMap(([v, x]) => ('rows' in x ? [{ name: `variant ${v}`, kind: 'model' as const, score: x as S }] : [])) : []),
    ...Object.keys(s.drift).flatMap((m) => (s.byModality[m] ? [{ name: m, kind: 'modality' as const, score: s.byModality[m] }] : [])),
  ];
}

async function comparison<S>(list: Entry<S>[], metrics: [keyof S & string, string, boolean?][]): Promise<string> {
  const charts = await Promise.all(
    metrics.map(([key, title, log]) => {
      const points = list.flatMap((e) => (typeof e.score[key] === 'number' ? [{ name: e.name, kind: e.kind, value: e.score[key] as number }] : []));
      return points.length ? toSvg(pointSpec(points, title, log)) : undefined;
    }),
  );
  return `<section id="comparison"><h2>Strategy comparison</h2><p>Each axis is zoomed to the data.</p><div class="metrics">${charts.flatMap((svg) => (svg ? [`<figure>${svg}</figure>`] : [])).join('')}</div></section>`;
}

function metricsSection<S extends object>(list: Entry<S>[], columns: [keyof S & string, string, number?][], best: string | undefined, criterion: string, note: string): string {
  const head = ['strategy', 'kind', ...columns.map(([, t]) => t)];
  const rows = list.map((e) => [entryLabel(e), e.kind, ...columns.map(([k, , d]) => num(e.score[k], d))]);
  const html = table(head, rows).replace(/<tr><th scope="row">([^<]*)<\/th>/g, (m, name) => (best && name === escape(best) ? `<tr class="best"><th scope="row">${name}</th>` : m));
  return `<section id="metrics"><h2>Metrics</h2><p>${note}${best ? ` Best strategy (${criterion}): <strong>${escape(best)}</strong>, highlighted.` : ''}</p>${html}</section>`;
}

/** Predicted against actual values, one panel per source, with the diagonal of perfect predictions. */
export function residualSpec(charts: RegressionCharts): TopLevelSpec {
  const all = charts.points.flatMap((p) => [p.actual, p.predicted]);
  const domain = [Math.min(...all), Math.max(...all)];
  const axis = { type: 'quantitative' as const, scale: { domain } };
  return {
    $schema: SCHEMA,
    title: 'Predicted against actual (the diagonal is a perfect prediction)',
    data: { values: charts.points },
    facet: { field: 'source', type: 'nominal', sort: [...new Set(charts.points.map((p) => p.source))], title: null },
    columns: 4,
    spec: {
      width: 150,
      height: 150,
      layer: [
        { mark: { type: 'rule', color: '#767676', strokeDash: [4, 4] }, encoding: { x: { datum: domain[0], ...axis }, y: { datum: domain[0], ...axis }, x2: { datum: domain[1] }, y2: { datum: domain[1] } } },
        { mark: { type: 'point', filled: true, size: 16, opacity: 0.6, color: '#1f5f99' }, encoding: { x: { field: 'actual', ...axis, title: 'actual' }, y: { field: 'predicted', ...axis, title: 'predicted' }, tooltip: [{ field: 'actual', format: '.4g' }, { field: 'predicted', format: '.4g' }] } },
      ],
    },
  };
}

/** The evaluation sections of a regression profile's monitoring report. */
export async function regressionSections(s: RegressionSummary, charts: RegressionCharts): Promise<string[]> {
  const list = entries<RegressionScore>(s);
  if (!list.length) return [];
  const best = list.filter((e) => e.kind === 'rule').reduce<Entry<RegressionScore> | undefined>((a, b) => (!a || b.score.rmse < a.score.rmse ? b : a), undefined)?.name;
  const cols: [keyof RegressionScore & string, string, number?][] = [['mae', 'MAE'], ['rmse', 'RMSE'], ['r2', 'R²'], ['bias', 'bias'], ['coverage90', '90% coverage'], ['nll', 'NLL'], ['withStd', 'with std', 0], ['rows', 'rows', 0]];
  const note = 'Each logged value against the true value the feedback gave. With a std, the share of true values inside value ± 1.645·std (0.9 when the std is calibrated) and the mean Gaussian negative log-likelihood.';
  const residuals = charts.points.length ? await toSvg(residualSpec(charts)) : '';
  return [
    metricsSection(list, cols, best, 'lowest RMSE', note),
    await comparison(list, [['mae', 'MAE ↓'], ['rmse', 'RMSE ↓'], ['r2', 'R² ↑'], ['coverage90', '90% interval coverage (0.9 is calibrated)'], ['nll', 'Gaussian NLL ↓']]),
    `<section id="residuals"><h2>Predicted against actual</h2><p>At most 500 evenly spaced decisions per source.</p><figure>${residuals}</figure></section>`,
  ];
}

/** The evaluation sections of a multi-label profile's monitoring report. */
export async function multilabelSections(s: MultilabelSummary, charts: MultilabelCharts): Promise<string[]> {
  const list = entries<MultilabelScore>(s);
  if (!list.length) return [];
  const labels = Object.keys(Object.values(s.byStrategy)[0]?.perLabel ?? list[0]!.score.perLabel);
  const best = list.filter((e) => e.kind === 'rule').reduce<Entry<MultilabelScore> | undefined>((a, b) => (!a || b.score.microF1 > a.score.microF1 ? b : a), undefined)?.name;
  const cols: [keyof MultilabelScore & string, string, number?][] = [['microF1', 'micro-F1'], ['macroF1', 'macro-F1'], ['hamming', 'Hamming'], ['subsetAccuracy', 'exact set'], ['brier', 'Brier'], ['logLoss', 'log loss'], ['rows', 'rows', 0]];
  const note = "Each logged label set (the labels over the decision's thresholds) against the true labels. Brier and log loss are means over rows and labels of the fused scores; a modality alone is scored on its labels over threshold only.";
  const view = { classes: labels, entries: list.map((e) => ({ name: e.name, kind: e.kind, perClass: labels.map((l) => e.score.perLabel[l]!) })) };
  const panels = [...new Set(charts.reliability.map((b) => `${b.source}: ${b.label}`))].slice(0, MAX_PANELS);
  const rel = { entries: panels.map((name) => ({ name, kind: 'rule' as const, reliability: charts.reliability.filter((b) => `${b.source}: ${b.label}` === name).map((b) => ({ lower: 0, upper: 0, confidence: b.score, accuracy: b.positive, count: b.count })) })) };
  const [perLabel, reliability] = await Promise.all([
    toSvg(perClassSpec(view, 'F1 per label')),
    panels.length ? toSvg(reliabilitySpec(rel, { title: 'Reliability per label (10 bins; the number is the decisions in the bin; the diagonal is perfect calibration)', x: 'mean score', y: 'share true' })) : undefined,
  ]);
  const eces = table(['strategy', ...labels], Object.entries(s.byStrategy).map(([k, x]) => [k, ...labels.map((l) => num(x.perLabel[l]?.ece, 3))]));
  return [
    metricsSection(list, cols, best, 'highest micro-F1', note),
    await comparison(list, [['microF1', 'micro-F1 ↑'], ['macroF1', 'macro-F1 ↑'], ['hamming', 'Hamming loss ↓'], ['brier', 'Brier ↓'], ['logLoss', 'log loss ↓ (log scale)', true]]),
    `<section id="per-label"><h2>Per label</h2><figure>${perLabel}</figure>${perClassTables(view, 'label')}</section>`,
    `<section id="reliability"><h2>Reliability</h2>${reliability ? `<figure>${reliability}</figure>` : ''}<p>Expected calibration error of each label's fused score${panels.length < new Set(charts.reliability.map((b) => `${b.source}: ${b.label}`)).size ? ` (the chart shows the first ${MAX_PANELS} panels)` : ''}:</p>${eces}</section>`,
  ];
}

/** PSI per modality against the reference, with the alert line at 0.2. */
export function driftSpec(s: { drift: Record<string, { psi?: number }> }): TopLevelSpec {
  const values = Object.entries(s.drift).flatMap(([modality, d]) => (d.psi === undefined ? [] : [{ modality, psi: d.psi }]));
  return {
    $schema: SCHEMA,
    title: `PSI against the training reference (alert above ${PSI_ALERT})`,
    width: 400,
    height: { step: 20 },
    layer: [
      {
        data: { values },
        mark: { type: 'bar', color: '#1f5f99' },
        encoding: { y: { field: 'modality', type: 'nominal', title: null }, x: { field: 'psi', type: 'quantitative', title: 'PSI' }, tooltip: [{ field: 'modality' }, { field: 'psi', format: '.4f' }] },
      },
      { data: { values: [{ alert: PSI_ALERT }] }, mark: { type: 'rule', color: '#a3401c', strokeWidth: 2 }, encoding: { x: { field: 'alert', type: 'quantitative' } } },
    ],
  };
}

/** The drift section of a regression or multi-label profile: PSI against the training reference when the profile has one, and the label-free statistics. */
export async function taskDriftSection(s: RegressionSummary | MultilabelSummary): Promise<string> {
  const hasPsi = Object.values(s.drift).some((d) => d.psi !== undefined);
  const chart = hasPsi ? `<figure>${await toSvg(driftSpec(s))}</figure>` : '';
  const what = s.task === 'regression' ? "value histogram (bins cut at the training deciles)" : 'positive share per label (the mean over labels of each label\'s two-bin PSI)';
  const intro = `<p>Population stability index of each modality's ${what} against the profile's training reference (written by <code>fusion train</code>): below 0.1 no shift, 0.1 to 0.2 moderate, above ${PSI_ALERT} significant.${
    hasPsi ? '' : ' The profile has no reference; train it with <code>fusion train</code> (or let retraining promote a model) to get one.'
  } Then the label-free statistics of each modality over the period.</p>`;
  const status = (d: { drift?: boolean }) => (d.drift === undefined ? '–' : d.drift ? '<strong>drift</strong>' : 'stable');
  if (s.task === 'regression')
    return `<section id="drift"><h2>Drift</h2>${intro}${chart}${table(
      ['modality', 'PSI', 'status', 'missing rate', 'mean value', 'mean std', 'mean |value − answer|', 'mean contribution'],
      Object.entries(s.drift).map(([m, d]) => [m, num(d.psi), status(d), num(d.missingRate, 3), num(d.meanValue), num(d.meanStd), num(d.meanAbsDeviation), num(d.meanContribution, 3)]),
    )}</section>`;
  const labels = Object.keys(Object.values(s.drift)[0]?.labelShares ?? {});
  const perLabel = hasPsi
    ? `<p>PSI of each label's positive share:</p>${table(['modality', ...labels], Object.entries(s.drift).map(([m, d]) => [m, ...labels.map((l) => num(d.labelPsi?.[l]))]))}`
    : '';
  return `<section id="drift"><h2>Drift</h2>${intro}${chart}${table(
    ['modality', 'PSI', 'status', 'missing rate', 'mean confidence', 'disagreement', 'mean contribution', ...labels.map((l) => `share ${l}`)],
    Object.entries(s.drift).map(([m, d]) => [m, num(d.psi), status(d), num(d.missingRate, 3), num(d.meanConfidence, 3), num(d.disagreementRate, 3), num(d.meanContribution, 3), ...labels.map((l) => num(d.labelShares[l], 3))]),
  )}${perLabel}</section>`;
}
