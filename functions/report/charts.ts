import type { TopLevelSpec } from 'vega-lite';
import type { Diversity } from '../fusion/learned/analysis.js';
import type { EvalEntry, Evaluation } from '../fusion/learned/evaluate.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Every metric, its title, and whether it reads better low. */
export const METRICS = [
  ['accuracy', 'accuracy ↑'],
  ['macroF1', 'macro-F1 ↑'],
  ['logLoss', 'log loss ↓ (log scale)'],
  ['brier', 'Brier ↓'],
  ['ece', 'ECE ↓'],
] as const;

export type MetricKey = (typeof METRICS)[number][0];

/** How an entry is named in charts and tables: a modality alone says so. */
export const entryLabel = (e: Pick<EvalEntry, 'name' | 'kind'>) => (e.kind === 'modality' ? `${e.name} (alone)` : e.name);

/** What the per-class charts and tables read of an evaluation (the monitor's multi-label report passes labels as classes). */
export interface PerClassView {
  classes: string[];
  entries: Pick<EvalEntry, 'name' | 'kind' | 'perClass'>[];
}

/** What the reliability diagrams read of an evaluation. */
export interface ReliabilityView {
  entries: Pick<EvalEntry, 'name' | 'kind' | 'reliability'>[];
}

/** One point of a metric chart: an entry's value and its interval (the value itself without one). */
export interface MetricPoint {
  name: string;
  kind: EvalEntry['kind'];
  value: number;
  low?: number;
  high?: number;
}

// Colours with at least 3:1 contrast on white (non-text graphics, WCAG 1.4.11).
const KIND_COLOURS = { domain: ['rule', 'model', 'cv', 'modality'], range: ['#1f5f99', '#a3401c', '#6b4c9a', '#5c6b00'] };

/**
 * One metric for every strategy, model and modality: the point estimate and, when the
 * evaluation has them, its bootstrap 95% interval. The axis is zoomed to the data (it does not
 * start at 0) and log loss is on a log scale, so one poor modality does not flatten the rest.
 */
export function metricSpec(ev: Evaluation, key: MetricKey): TopLevelSpec {
  const title = METRICS.find(([k]) => k === key)![1];
  const points = ev.entries.map((e) => ({ name: e.name, kind: e.kind, value: e.metrics[key], low: e.intervals?.[key].low, high: e.intervals?.[key].high }));
  return pointSpec(points, title, key === 'logLoss');
}

/**
 * One metric as a point per entry with its interval, the chart `metricSpec` draws, for any
 * metric (the monitor's regression and multi-label scores use it too).
 */
export function pointSpec(points: readonly MetricPoint[], title: string, log = false): TopLevelSpec {
  const values = points.map((e) => ({ strategy: entryLabel(e), kind: e.kind, value: e.value, low: e.low ?? e.value, high: e.high ?? e.value }));
  const x = { type: 'quantitative' as const, title: null, scale: log ? { type: 'log' as const } : { zero: false } };
  const y = { field: 'strategy', type: 'nominal' as const, sort: points.map(entryLabel), title: null };
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: 300,
    height: { step: 16 },
    encoding: { y, color: { field: 'kind', type: 'nominal', scale: KIND_COLOURS, legend: { orient: 'bottom', direction: 'horizontal', title: null } } },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'low', ...x }, x2: { field: 'high' } } },
      {
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x: { field: 'value', ...x },
          tooltip: [{ field: 'strategy' }, { field: 'value', format: '.4f' }, { field: 'low', format: '.4f' }, { field: 'high', format: '.4f' }],
        },
      },
    ],
  };
}

/** The strategy comparison of the original report: every metric as a point with its interval. */
export function comparisonSpec(ev: Evaluation): TopLevelSpec {
  return metricSpec(ev, 'accuracy');
}

/** Per-class F1 of every entry as a heat map (rows: strategies, columns: classes). */
export function perClassSpec(ev: PerClassView, title = 'F1 per class'): TopLevelSpec {
  const values = ev.entries.flatMap((e) => e.perClass.map((s, c) => ({ strategy: entryLabel(e), class: ev.classes[c]!, f1: s.f1 })));
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: { step: Math.max(24, Math.min(48, Math.floor(600 / ev.classes.length))) },
    height: { step: 18 },
    encoding: {
      x: { field: 'class', type: 'ordinal', sort: ev.classes, title: null, axis: { labelAngle: 0 } },
      y: { field: 'strategy', type: 'nominal', sort: ev.entries.map(entryLabel), title: null },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'f1', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'F1' } } },
      { mark: { type: 'text', fontSize: 9 }, encoding: { text: { field: 'f1', format: '.2f' }, color: { condition: { test: 'datum.f1 > 0.6', value: 'white' }, value: 'black' } } },
    ],
  };
}

/** Reliability diagrams with each bin's count: accuracy against mean confidence, one panel per entry. */
export function reliabilitySpec(ev: ReliabilityView, o: { title?: string; x?: string; y?: string } = {}): TopLevelSpec {
  const values = ev.entries.flatMap((e) => e.reliability.map((b) => ({ strategy: entryLabel(e), confidence: b.confidence, accuracy: b.accuracy, count: b.count })));
  const axis = { type: 'quantitative' as const, scale: { domain: [0, 1] } };
  return {
    $schema: SCHEMA,
    title: o.title ?? 'Reliability diagrams (15 bins; the number is the rows in the bin; the diagonal is perfect calibration)',
    data: { values },
    facet: { field: 'strategy', type: 'nominal', sort: ev.entries.map(entryLabel), title: null },
    columns: 4,
    spec: {
      width: 150,
      height: 150,
      layer: [
        { mark: { type: 'rule', color: '#767676', strokeDash: [4, 4] }, encoding: { x: { datum: 0, ...axis }, y: { datum: 0, ...axis }, x2: { datum: 1 }, y2: { datum: 1 } } },
        { mark: { type: 'line', point: true, color: '#1f5f99' }, encoding: { x: { field: 'confidence', ...axis, title: o.x ?? 'confidence' }, y: { field: 'accuracy', ...axis, title: o.y ?? 'accuracy' } } },
        { mark: { type: 'text', fontSize: 8, dy: -7, color: '#333' }, encoding: { x: { field: 'confidence', ...axis }, y: { field: 'accuracy', ...axis }, text: { field: 'count' } } },
      ],
    },
  };
}

/** Confusion matrices of every entry as small multiples; colour is the share of the true class's row. */
export function confusionGridSpec(ev: Evaluation): TopLevelSpec {
  const values = ev.entries.flatMap((e) =>
    e.confusion.flatMap((row, t) => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      return row.map((count, p) => ({ strategy: entryLabel(e), true: ev.classes[t]!, predicted: ev.classes[p]!, count, share: count / total }));
    }),
  );
  const text = ev.classes.length <= 10;
  return {
    $schema: SCHEMA,
    title: 'Confusion matrices (rows: true class; columns: predicted; colour: share of the row)',
    data: { values },
    facet: { field: 'strategy', type: 'nominal', sort: ev.entries.map(entryLabel), title: null },
    columns: 4,
    spec: {
      width: 150,
      height: 150,
      encoding: {
        x: { field: 'predicted', type: 'ordinal', sort: ev.classes, axis: { labelAngle: 0, labelFontSize: 8 } },
        y: { field: 'true', type: 'ordinal', sort: ev.classes, axis: { labelFontSize: 8 } },
      },
      layer: [
        { mark: 'rect', encoding: { color: { field: 'share', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'share' } } },
        ...(text
          ? [{ mark: { type: 'text' as const, fontSize: 7 }, transform: [{ filter: 'datum.count > 0' }], encoding: { text: { field: 'count', type: 'quantitative' as const }, color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' } } }]
          : []),
      ],
    },
  };
}

/** The confusion matrix of one entry (kept for callers of the first report). */
export function confusionSpec(ev: Evaluation, entry: EvalEntry): TopLevelSpec {
  return confusionGridSpec({ ...ev, entries: [entry] });
}

/** Two heat maps of the modality pairs: error correlation and disagreement. */
export function diversitySpec(d: Diversity): TopLevelSpec {
  const values = d.modalities.flatMap((a, i) => d.modalities.map((b, j) => ({ a, b, correlation: d.errorCorrelation[i]![j], disagreement: d.disagreement[i]![j], rows: d.rows[i]![j] })));
  const panel = (field: 'correlation' | 'disagreement', domain: [number, number], scheme: string) => ({
    title: field === 'correlation' ? 'error correlation (lower is better for fusion)' : 'disagreement (share of rows)',
    width: { step: 60 },
    height: { step: 40 },
    encoding: {
      x: { field: 'b', type: 'nominal' as const, sort: d.modalities, title: null, axis: { labelAngle: 0 } },
      y: { field: 'a', type: 'nominal' as const, sort: d.modalities, title: null },
    },
    layer: [
      { mark: 'rect' as const, encoding: { color: { field, type: 'quantitative' as const, scale: { scheme, domain }, legend: null } } },
      { mark: { type: 'text' as const, fontSize: 11 }, encoding: { text: { field, type: 'quantitative' as const, format: '.2f' }, color: { value: 'black' } } },
    ],
  });
  return { $schema: SCHEMA, description: 'Error correlation and disagreement of each pair of modalities', data: { values }, hconcat: [panel('correlation', [-1, 1], 'blueorange'), panel('disagreement', [0, 1], 'greens')], resolve: { scale: { color: 'independent' } } };
}
