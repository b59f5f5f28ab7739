import { argmax } from '../calibrate.js';

/** Scores of probabilistic predictions against true classes. */
export interface Metrics {
  accuracy: number;
  /** Unweighted mean of per-class F1 over the classes seen (true or predicted). */
  macroF1: number;
  /** Mean −log p(true class), probabilities clipped to [1e-15, 1 − 1e-15]. */
  logLoss: number;
  /** Multi-class Brier score: mean Σ_c (p_c − [c = true])², between 0 and 2. */
  brier: number;
  /** Expected calibration error of the top-label confidence (Guo et al. 2017), equal-width bins. */
  ece: number;
}

/** One reliability-diagram bin: mean confidence vs accuracy of the rows whose confidence falls in it. */
export interface Bin {
  lower: number;
  upper: number;
  confidence: number;
  accuracy: number;
  count: number;
}

export interface Scored {
  metrics: Metrics;
  rows: number;
  reliability: Bin[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

const CLIP = 1e-15;

/** Scores `probs[i]` (a distribution over `classes` classes) against `labels[i]`. */
export function score(probs: ArrayLike<number>[], labels: ArrayLike<number>, classes: number, bins = 15): Scored {
  const n = probs.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const binConf = new Float64Array(bins);
  const binHits = new Float64Array(bins);
  const binCount = new Float64Array(bins);
  let hits = 0, logLoss = 0, brier = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    const y = labels[i]!;
    const pred = argmax(p);
    confusion[y]![pred]!++;
    if (pred === y) hits++;
    logLoss -= Math.log(Math.min(Math.max(p[y]!, CLIP), 1 - CLIP));
    for (let c = 0; c < classes; c++) brier += (p[c]! - (c === y ? 1 : 0)) ** 2;
    const conf = p[pred]!;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(conf * bins) - 1));
    binConf[b]! += conf;
    binHits[b]! += pred === y ? 1 : 0;
    binCount[b]!++;
  }
  let ece = 0;
  const reliability: Bin[] = [];
  for (let b = 0; b < bins; b++) {
    if (!binCount[b]) continue;
    const confidence = binConf[b]! / binCount[b]!;
    const accuracy = binHits[b]! / binCount[b]!;
    ece += (binCount[b]! / n) * Math.abs(accuracy - confidence);
    reliability.push({ lower: b / bins, upper: (b + 1) / bins, confidence, accuracy, count: binCount[b]! });
  }
  return {
    metrics: { accuracy: hits / n, macroF1: macroF1(confusion), logLoss: logLoss / n, brier: brier / n, ece },
    rows: n,
    reliability,
    confusion,
  };
}

function macroF1(confusion: number[][]): number {
  let sum = 0, seen = 0;
  for (let c = 0; c < confusion.length; c++) {
    const tp = confusion[c]![c]!;
    let actual = 0, predicted = 0;
    for (let d = 0; d < confusion.length; d++) (actual += confusion[c]![d]!), (predicted += confusion[d]![c]!);
    if (!actual && !predicted) continue;
    seen++;
    sum += (2 * tp) / (actual + predicted);
  }
  return seen ? sum / seen : 0;
}
