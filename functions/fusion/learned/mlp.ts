import { softmax } from '../calibrate.js';
import type { Matrix } from './features.js';
import type { Objective } from './lbfgs.js';
import { type Rng, mulberry32, shuffle } from './rng.js';

/** One dense layer: `weights[out][in]`, `bias[out]`. */
export interface Layer {
  weights: number[][];
  bias: number[];
}

/** A ReLU network with a softmax output: layer sizes [features, hidden..., classes]. */
export interface MlpParams {
  layers: Layer[];
}

export interface MlpOptions {
  hidden: number[];
  /** L2 penalty, scaled as scikit-learn's `MLPClassifier(alpha)`. */
  alpha: number;
  seed: number;
  learningRate?: number;
  batchSize?: number;
  maxEpochs?: number;
  /** Epochs without a validation log-loss improvement of `tol` before stopping. */
  patience?: number;
  tol?: number;
  onEpoch?: (epoch: number, maxEpochs: number) => void;
}

const DEFAULTS = { learningRate: 1e-3, batchSize: 200, maxEpochs: 200, patience: 10, tol: 1e-4 };
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

type Layout = ReturnType<typeof layout>;

/** Offsets of each layer's weights and biases in the flat parameter vector. */
function layout(sizes: number[]) {
  const at: { w: number; b: number; inp: number; out: number }[] = [];
  let o = 0;
  for (let l = 1; l < sizes.length; l++) {
    const inp = sizes[l - 1]!, out = sizes[l]!;
    at.push({ w: o, b: o + inp * out, inp, out });
    o += inp * out + out;
  }
  return { at, total: o };
}

/** Forward pass of one row: writes each layer's activations; the last holds probabilities. */
function forward(theta: ArrayLike<number>, at: Layout['at'], x: ArrayLike<number>, act: Float64Array[]): Float64Array {
  let input: ArrayLike<number> = x;
  for (let l = 0; l < at.length; l++) {
    const { w, b, inp, out } = at[l]!;
    const a = act[l]!;
    for (let j = 0; j < out; j++) {
      let s = theta[b + j]!;
      const wo = w + j * inp;
      for (let i = 0; i < inp; i++) s += theta[wo + i]! * input[i]!;
      a[j] = l < at.length - 1 ? (s > 0 ? s : 0) : s;
    }
    input = a;
  }
  const z = act[at.length - 1]!;
  return softmax(z, 1, z);
}

/**
 * Mean cross-entropy of rows `idx` plus alpha/(2·batch)·‖W‖² (biases unpenalised), with
 * its gradient by backpropagation.
 */
function mlpBatchLoss(theta: Float64Array, grad: Float64Array, sizes: number[], m: Matrix, idx: ArrayLike<number>, alpha: number): number {
  const { at } = layout(sizes);
  const L = at.length;
  const act = sizes.slice(1).map((s) => new Float64Array(s));
  const delta = sizes.slice(1).map((s) => new Float64Array(s));
  grad.fill(0);
  let loss = 0;
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!;
    const x = m.X.subarray(i * m.F, (i + 1) * m.F);
    const p = forward(theta, at, x, act);
    loss -= Math.log(Math.max(p[m.y[i]!]!, 1e-300));
    const top = delta[L - 1]!;
    for (let c = 0; c < p.length; c++) top[c] = p[c]! - (c === m.y[i] ? 1 : 0);
    for (let l = L - 1; l >= 0; l--) {
      const { w, b, inp, out } = at[l]!;
      const d = delta[l]!;
      const input = l ? act[l - 1]! : x;
      for (let j = 0; j < out; j++) {
        const dj = d[j]!;
        if (dj === 0) continue;
        grad[b + j]! += dj;
        const wo = w + j * inp;
        for (let k = 0; k < inp; k++) grad[wo + k]! += dj * input[k]!;
      }
      if (l === 0) break;
      const below = delta[l - 1]!;
      for (let k = 0; k < inp; k++) {
        if (input[k]! <= 0) {
          below[k] = 0;
          continue;
        }
        let s = 0;
        for (let j = 0; j < out; j++) s += theta[w + j * inp + k]! * d[j]!;
        below[k] = s;
      }
    }
  }
  const nb = idx.length;
  let norm = 0;
  for (const { w, b } of at) {
    for (let j = w; j < b; j++) {
      norm += theta[j]! * theta[j]!;
      grad[j] = grad[j]! / nb + (alpha * theta[j]!) / nb;
    }
  }
  for (const { b, out } of at) for (let j = b; j < b + out; j++) grad[j]! /= nb;
  return loss / nb + (0.5 * alpha * norm) / nb;
}

/** The full-batch objective, for gradient checks. */
export function mlpObjective(m: Matrix, sizes: number[], alpha: number): Objective {
  const all = Int32Array.from({ length: m.n }, (_, i) => i);
  return (theta, grad) => mlpBatchLoss(theta, grad, sizes, m, all, alpha);
}

/** Glorot-uniform initial weights and biases, bound √(6 / (fan_in + fan_out)) as scikit-learn's. */
export function initialParams(sizes: number[], rng: Rng): Float64Array {
  const { at, total } = layout(sizes);
  const theta = new Float64Array(total);
  for (const { w, inp, out } of at) {
    const bound = Math.sqrt(6 / (inp + out));
    for (let j = w; j < w + inp * out + out; j++) theta[j] = (2 * rng() - 1) * bound;
  }
  return theta;
}

/** Mean log loss of the network on all rows of `m`. */
function mlpLogLoss(theta: Float64Array, sizes: number[], m: Matrix): number {
  const { at } = layout(sizes);
  const act = sizes.slice(1).map((s) => new Float64Array(s));
  let loss = 0;
  for (let i = 0; i < m.n; i++) loss -= Math.log(Math.max(forward(theta, at, m.X.subarray(i * m.F, (i + 1) * m.F), act)[m.y[i]!]!, 1e-15));
  return loss / m.n;
}

/**
 * Trains the network with Adam on shuffled minibatches (Kingma & Ba 2015) and early stopping:
 * after `patience` epochs without a validation log-loss gain of `tol`, the best parameters
 * seen are kept. Deterministic for a given seed.
 */
export function fitMlp(train: Matrix, valid: Matrix, classes: number, options: MlpOptions): MlpParams {
  const o = { ...DEFAULTS, ...options };
  const rng = mulberry32(o.seed);
  const sizes = [train.F, ...o.hidden, classes];
  let theta = initialParams(sizes, rng);
  const grad = new Float64Array(theta.length);
  const m1 = new Float64Array(theta.length);
  const m2 = new Float64Array(theta.length);
  const order = Int32Array.from({ length: train.n }, (_, i) => i);
  const batch = Math.min(o.batchSize, train.n);
  let best = theta.slice();
  let bestLoss = Infinity;
  let stale = 0;
  let t = 0;
  for (let epoch = 0; epoch < o.maxEpochs && stale < o.patience; epoch++) {
    shuffle(order, rng);
    for (let s = 0; s < train.n; s += batch) {
      mlpBatchLoss(theta, grad, sizes, train, order.subarray(s, Math.min(s + batch, train.n)), o.alpha);
      t++;
      const step = (o.learningRate * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t);
      for (let j = 0; j < theta.length; j++) {
        m1[j] = BETA1 * m1[j]! + (1 - BETA1) * grad[j]!;
        m2[j] = BETA2 * m2[j]! + (1 - BETA2) * grad[j]! * grad[j]!;
        theta[j]! -= (step * m1[j]!) / (Math.sqrt(m2[j]!) + EPS);
      }
    }
    const loss = mlpLogLoss(theta, sizes, valid.n ? valid : train);
    if (loss < bestLoss - o.tol) stale = 0;
    else stale++;
    if (loss < bestLoss) (bestLoss = loss), (best = theta.slice());
    o.onEpoch?.(epoch + 1, o.maxEpochs);
  }
  theta = best;
  return { layers: layout(sizes).at.map(({ w, b, inp, out }) => ({
    weights: Array.from({ length: out }, (_, j) => Array.from(theta.subarray(w + j * inp, w + (j + 1) * inp))),
    bias: Array.from(theta.subarray(b, b + out)),
  })) };
}

/** Probabilities of a trained network for one feature vector, into `out`. */
export function mlpPredict(p: MlpParams, x: ArrayLike<number>, out: Float64Array): Float64Array {
  let input: ArrayLike<number> = x;
  for (let l = 0; l < p.layers.length; l++) {
    const { weights, bias } = p.layers[l]!;
    const a = l === p.layers.length - 1 ? out : new Float64Array(bias.length);
    for (let j = 0; j < bias.length; j++) {
      const w = weights[j]!;
      let s = bias[j]!;
      for (let i = 0; i < w.length; i++) s += w[i]! * input[i]!;
      a[j] = l < p.layers.length - 1 && s < 0 ? 0 : s;
    }
    input = a;
  }
  return softmax(out, 1, out);
}
