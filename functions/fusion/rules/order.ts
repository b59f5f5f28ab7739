import type { Prepared } from '../prepare.js';
import { type Strategy, normalise } from '../strategy.js';
import type { Task } from '../tasks/task.js';

const reference = 'Kittler, Hatef, Duin & Matas, On combining classifiers, IEEE TPAMI 1998';
const parameters = ['options.epsilon', 'options.temperatures', 'options.minModalities', 'options.tieBreak'];

/** Order-statistic rules: f_c ∝ stat_k max(p_kc, ε). Unweighted; `stat` may reorder `values`. */
function orderRule(name: string, description: string, stat: (values: Float64Array) => number, tasks: readonly Task[]): Strategy {
  let values = new Float64Array(0);
  return {
    name,
    description,
    weighted: false,
    tasks,
    parameters,
    reference,
    combine(p: Prepared, out: Float64Array) {
      const K = p.dists.length;
      if (values.length !== K) values = new Float64Array(K);
      for (let c = 0; c < out.length; c++) {
        for (let k = 0; k < K; k++) values[k] = Math.max(p.dists[k]![c]!, p.epsilon);
        out[c] = stat(values);
      }
      normalise(out);
    },
    support: (p, k, c) => p.dists[k]![c]!,
  };
}

export const max = /* @__PURE__ */ orderRule('max', 'Max rule: per class, the most confident modality’s probability.', (v) => {
  let m = v[0]!;
  for (let i = 1; i < v.length; i++) if (v[i]! > m) m = v[i]!;
  return m;
}, ['classification', 'multilabel']);

export const min = /* @__PURE__ */ orderRule('min', 'Min rule: per class, the least confident modality’s probability.', (v) => {
  let m = v[0]!;
  for (let i = 1; i < v.length; i++) if (v[i]! < m) m = v[i]!;
  return m;
}, ['classification', 'multilabel']);

/** Median of an even count is the mean of the two middle values. */
export const median = /* @__PURE__ */ orderRule('median', 'Median rule: per class, the median probability across modalities (robust to one outlier).', (v) => {
  // Insertion sort for a handful of modalities, where it beats the builtin's call cost.
  if (v.length > 16) v.sort();
  else for (let i = 1; i < v.length; i++) {
    const x = v[i]!;
    let j = i - 1;
    for (; j >= 0 && v[j]! > x; j--) v[j + 1] = v[j]!;
    v[j + 1] = x;
  }
  const h = v.length >> 1;
  return v.length % 2 ? v[h]! : (v[h - 1]! + v[h]!) / 2;
}, ['classification', 'regression', 'multilabel']);
