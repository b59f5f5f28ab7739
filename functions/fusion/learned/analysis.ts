/**
 * What an evaluation report needs beyond the point metrics: bootstrap intervals, per-class
 * precision / recall / F1, and the modalities' diversity. Pure (no I/O), seeded.
 */
import { argmax } from '../calibrate.js';
import type { Dataset } from './data.js';
import type { Metrics } from './metrics.js';
import { mulberry32 } from './rng.js';

/** A two-sided percentile interval. */
export interface Interval {
  low: number;
  high: number;
}

/** A 95% bootstrap interval for each metric. */
export type Intervals = Record<keyof Metrics, Interval>;

const CLIP = 1e-15;

/** Per-row quantities from which any resample's metrics are sums (the definitions of `score`). */
interface Rows {
  classes: number;
  bins: number;
  label: Int32Array;
  pred: Int32Array;
  logLoss: Float64Array;
  brier: Float64Array;
  conf: Float64Array;
  bin: Int32Array;
}

function rowsOf(probs: ArrayLike<number>[], labels: ArrayLike<number>, classes: number, bins: number): Rows {
  const n = probs.length;
  const r: Rows = { classes, bins, label: new Int32Array(n), pred: new Int32Array(n), logLoss: new Float64Array(n), brier: new Float64Array(n), conf: new Float64Array(n), bin: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    const y = labels[i]!;
    const pred = argmax(p);
    r.label[i] = y;
    r.pred[i] = pred;
    r.logLoss[i] = -Math.log(Math.min(Math.max(p[y]!, CLIP), 1 - CLIP));
    let b = 0;
    for (let c = 0; c < classes; c++) b += (p[c]! - (c === y ? 1 : 0)) ** 2;
    r.brier[i] = b;
    r.conf[i] = p[pred]!;
    r.bin[i] = Math.min(bins - 1, Math.max(0, Math.ceil(p[pred]! * bins) - 1));
  }
  return r;
}

/** The metrics of the rows at `idx` (with repeats): the same numbers `score` gives for them. */
function metricsAt(r: Rows, idx: ArrayLike<number>): Metrics {
  const n = idx.length;
  const C = r.classes;
  const tp = new Float64Array(C), actual = new Float64Array(C), predicted = new Float64Array(C);
  const binConf = new Float64Array(r.bins), binHits = new Float64Array(r.bins), binCount = new Float64Array(r.bins);
  let hits = 0, logLoss = 0, brier = 0;
  for (let j = 0; j < n; j++) {
    const i = idx[j]!;
    const y = r.label[i]!, p = r.pred[i]!;
    const hit = +(y === p);
    hits += hit;
    tp[y]! += hit;
    actual[y]!++;
    predicted[p]!++;
    logLoss += r.logLoss[i]!;
    brier += r.brier[i]!;
    const b = r.bin[i]!;
    binConf[b]! += r.conf[i]!;
    binHits[b]! += hit;
    binCount[b]!++;
  }
  let f1 = 0, seen = 0;
  for (let c = 0; c < C; c++) if (actual[c] || predicted[c]) (seen++, (f1 += (2 * tp[c]!) / (actual[c]! + predicted[c]!)));
  let ece = 0;
  for (let b = 0; b < r.bins; b++) if (binCount[b]) ece += (binCount[b]! / n) * Math.abs(binHits[b]! / binCount[b]! - binConf[b]! / binCount[b]!);
  return { accuracy: hits / n, macroF1: seen ? f1 / seen : 0, logLoss: logLoss / n, brier: brier / n, ece };
}

/** The q-quantile of sorted values, interpolated linearly (numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Options of the bootstrap. */
export interface BootstrapOptions {
  /** Resamples (default 1000). */
  resamples?: number;
  /** Seed of the resampling (default 0): the same seed gives the same intervals. */
  seed?: number;
  /** Reliability bins, as in `score` (default 15). */
  bins?: number;
}

/**
 * Percentile bootstrap 95% intervals of every metric (Efron & Tibshirani, An Introduction to
 * the Bootstrap, 1993, ch. 13): rows resampled with replacement, seeded.
 */
export function bootstrap(probs: ArrayLike<number>[], labels: ArrayLike<number>, classes: number, o: BootstrapOptions = {}): Intervals {
  const B = o.resamples ?? 1000;
  const r = rowsOf(probs, labels, classes, o.bins ?? 15);
  const n = probs.length;
  const rng = mulberry32(o.seed ?? 0);
  const idx = new Int32Array(n);
  const keys = ['accuracy', 'macroF1', 'logLoss', 'brier', 'ece'] as const;
  const draws = keys.map(() => new Float64Array(B));
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < n; j++) idx[j] = Math.floor(rng() * n);
    const m = metricsAt(r, idx);
    keys.forEach((k, i) => (draws[i]![b] = m[k]));
  }
  const out = {} as Intervals;
  keys.forEach((k, i) => {
    const sorted = draws[i]!.sort();
    out[k] = { low: quantile(sorted, 0.025), high: quantile(sorted, 0.975) };
  });
  return out;
}

/** Metrics of probs against labels through the bootstrap's row sums (equal to `score`'s). */
export function pointMetrics(probs: ArrayLike<number>[], labels: ArrayLike<number>, classes: number, bins = 15): Metrics {
  return metricsAt(rowsOf(probs, labels, classes, bins), Int32Array.from({ length: probs.length }, (_, i) => i));
}

/** Precision, recall and F1 of one class; `support` is how many rows truly are that class. */
export interface ClassScore {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Per-class scores from a confusion matrix (`confusion[true][predicted]`); 0 where undefined, as scikit-learn's zero_division=0. */
export function perClass(confusion: number[][]): ClassScore[] {
  return confusion.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[c]!, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support };
  });
}

/** Pairwise diversity of the modalities (Kuncheva & Whitaker, Machine Learning 51, 2003). */
export interface Diversity {
  modalities: string[];
  /** Each modality's error rate where it is present. */
  errorRate: number[];
  /** Correlation of two modalities' 0/1 errors over the rows where both are present; null when one never (or always) errs there. */
  errorCorrelation: (number | null)[][];
  /** Share of those rows where their top classes differ. */
  disagreement: (number | null)[][];
  /** Rows where both are present. */
  rows: number[][];
}

/** Error correlation and disagreement of every pair of modalities on a labelled data set. */
export function diversity(data: Dataset): Diversity {
  const K = data.modalities.length;
  const top = data.modalities.map((_, k) => data.examples.map((e) => (e.dists[k] ? argmax(e.dists[k]) : -1)));
  const grid = <T>(f: (i: number, j: number) => T) => Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => f(i, j)));
  const pair = grid((i, j) => {
    let n = 0, ei = 0, ej = 0, both = 0, differ = 0;
    data.examples.forEach((e, r) => {
      const a = top[i]![r]!, b = top[j]![r]!;
      if (a < 0 || b < 0) return;
      n++;
      const xi = +(a !== e.label), xj = +(b !== e.label);
      ei += xi;
      ej += xj;
      both += xi * xj;
      differ += +(a !== b);
    });
    const cov = both / n - (ei / n) * (ej / n);
    const sd = Math.sqrt((ei / n) * (1 - ei / n) * (ej / n) * (1 - ej / n));
    return { n, corr: n && sd > 0 ? cov / sd : null, dis: n ? differ / n : null };
  });
  return {
    modalities: data.modalities,
    errorRate: data.modalities.map((_, k) => {
      const present = data.examples.filter((e) => e.dists[k]);
      return present.length ? present.filter((e) => argmax(e.dists[k]!) !== e.label).length / present.length : 0;
    }),
    errorCorrelation: pair.map((row) => row.map((p) => p.corr)),
    disagreement: pair.map((row) => row.map((p) => p.dis)),
    rows: pair.map((row) => row.map((p) => p.n)),
  };
}
