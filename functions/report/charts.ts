import type { TopLevelSpec } from 'vega-lite';
import type { EvalEntry, Evaluation } from '../fusion/learned/evaluate.js';

const METRICS = [
  ['accuracy', 'accuracy ↑'],
  ['macroF1', 'macro-F1 ↑'],
  ['logLoss', 'log loss ↓'],
  ['brier', 'Brier ↓'],
  ['ece', 'ECE ↓'],
] as const;

const label = (e: EvalEntry) => (e.kind === 'modality' ? `${e.name} (alone)` : e.name);

/** Bar charts of every metric for every strategy, model and modality, one panel per metric. */
export function comparisonSpec(ev: Evaluation): TopLevelSpec {
  const values = ev.entries.flatMap((e) => METRICS.map(([key, title]) => ({ strategy: label(e), kind: e.kind, metric: title, value: e.metrics[key] })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Strategy comparison',
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', sort: METRICS.map(([, t]) => t), title: null } },
    spec: {
      width: 150,
      mark: 'bar',
      encoding: {
        y: { field: 'strategy', type: 'nominal', sort: ev.entries.map(label), title: null },
        x: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'kind', type: 'nominal', title: 'kind' },
        tooltip: [{ field: 'strategy' }, { field: 'value', format: '.4f' }],
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** Reliability diagrams: accuracy against mean confidence per bin, one panel per strategy. */
export function reliabilitySpec(ev: Evaluation): TopLevelSpec {
  const values = ev.entries.flatMap((e) => e.reliability.map((b) => ({ strategy: label(e), confidence: b.confidence, accuracy: b.accuracy, count: b.count })));
  const axis = { type: 'quantitative' as const, scale: { domain: [0, 1] } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Reliability diagrams (15 bins; the diagonal is perfect calibration)',
    data: { values },
    facet: { field: 'strategy', type: 'nominal', sort: ev.entries.map(label), title: null },
    columns: 4,
    spec: {
      width: 150,
      height: 150,
      layer: [
        { mark: { type: 'rule', color: '#999', strokeDash: [4, 4] }, encoding: { x: { datum: 0, ...axis }, y: { datum: 0, ...axis }, x2: { datum: 1 }, y2: { datum: 1 } } },
        { mark: { type: 'line', point: true }, encoding: { x: { field: 'confidence', ...axis, title: 'confidence' }, y: { field: 'accuracy', ...axis, title: 'accuracy' } } },
        { mark: { type: 'circle', opacity: 0.25 }, encoding: { x: { field: 'confidence', ...axis }, y: { field: 'accuracy', ...axis }, size: { field: 'count', type: 'quantitative', legend: null } } },
      ],
    },
  };
}

/** Heat map of the confusion matrix of one entry. */
export function confusionSpec(ev: Evaluation, entry: EvalEntry): TopLevelSpec {
  const values = entry.confusion.flatMap((row, t) => row.map((count, p) => ({ true: ev.classes[t]!, predicted: ev.classes[p]!, count })));
  const order = ev.classes;
  const max = Math.max(...values.map((v) => v.count));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Confusion matrix of ${label(entry)} (lowest log loss)`,
    data: { values },
    width: Math.max(200, 28 * order.length),
    height: Math.max(200, 28 * order.length),
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: order },
      y: { field: 'true', type: 'ordinal', sort: order },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' } } } },
      {
        mark: { type: 'text', fontSize: 10 },
        transform: [{ filter: 'datum.count > 0' }],
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}
