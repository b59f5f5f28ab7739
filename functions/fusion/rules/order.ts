import type { Prepared } from '../prepare.js';
import { type Strategy, normalise } from '../strategy.js';

const reference = 'Kittler, Hatef, Duin & Matas, On combining classifiers, IEEE TPAMI 1998';
const parameters = ['options.epsilon', 'options.temperatures', 'options.minModalities', 'options.tieBreak'];

/** Order-statistic rules: f_c ∝ stat_k max(p_kc, ε). Unweighted. */
function orderRule(name: string, description: string, stat: (values: Float64Array) => number): Strategy {
  return {
    name,
    description,
    weighted: false,
    parameters,
    reference,
    combine(p: Prepared, out: Float64Array) {
      const K = p.dists.length;
      const values = new Float64Array(K);
      for (let c = 0; c < out.length; c++) {
        for (let k = 0; k < K; k++) values[k] = Math.max(p.dists[k]![c]!, p.epsilon);
        out[c] = stat(values);
      }
      normalise(out);
    },
    support: (p, k, c) => p.dists[k]![c]!,
  };
}

export const max = orderRule('max', 'Max rule: per class, the most confident modality’s probability.', (v) => {
  let m = v[0]!;
  for (let i = 1; i < v.length; i++) if (v[i]! > m) m = v[i]!;
  return m;
});

export const min = orderRule('min', 'Min rule: per class, the least confident modality’s probability.', (v) => {
  let m = v[0]!;
  for (let i = 1; i < v.length; i++) if (v[i]! < m) m = v[i]!;
  return m;
});

/** Median of an even count is the mean of the two middle values. */
export const median = orderRule('median', 'Median rule: per class, the median probability across modalities (robust to one outlier).', (v) => {
  v.sort();
  const h = v.length >> 1;
  return v.length % 2 ? v[h]! : (v[h - 1]! + v[h]!) / 2;
});
