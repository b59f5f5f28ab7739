import { softmax } from '../calibrate.js';
import { InvalidRequestError } from '../errors.js';
import { parseWith } from '../prepare.js';
import type { Profile } from '../schemas.js';
import { ModelArtifact } from './artifact.js';
import { featurise } from './features.js';
import { mlpPredict } from './mlp.js';
import { plattProbabilities } from './svm.js';

/** A validated artifact ready for inference. */
export interface Model {
  artifact: ModelArtifact;
  fill: Float64Array[];
  /** Feature position of each modality. */
  index: Map<string, number>;
  /** Probabilities for one feature vector (modalities in artifact order), into `out`. */
  predict(x: Float64Array, out: Float64Array): Float64Array;
  /** `predict` of the features of distributions in artifact modality order (absent: fill), into `out`. */
  forward(dists: (Float64Array | undefined)[], out: Float64Array): Float64Array;
  /**
   * Probabilities from distributions in artifact modality order (absent: fill) into `full`, and
   * for each present modality k, with k replaced by its fill, into `without[k]`.
   */
  occlude(dists: (Float64Array | undefined)[], full: Float64Array, without: Float64Array[]): void;
  /** Profiles already checked against the artifact. */
  checked: WeakSet<Profile>;
}

const loaded = new WeakMap<object, Model>();

/**
 * Validates a model artifact (parsed JSON) once and prepares it for inference; repeated calls
 * with the same object are free. With a profile, its classes and modalities must match.
 */
export function loadModel(raw: unknown, profile?: Profile): Model {
  let model = typeof raw === 'object' && raw !== null ? loaded.get(raw) : undefined;
  if (!model) {
    model = compile(parseWith(ModelArtifact, raw, 'model'));
    if (typeof raw === 'object' && raw !== null) loaded.set(raw, model);
  }
  if (profile && !model.checked.has(profile)) {
    checkAgainst(model.artifact, profile);
    model.checked.add(profile);
  }
  return model;
}

/** Rejects an artifact whose classes (in order) or set of modalities differ from the profile's. */
function checkAgainst(a: ModelArtifact, profile: Profile): void {
  const fix = `retrain the model with this profile (fusion train --profile ${profile.name}) or point the profile at a matching model`;
  if (a.classes.length !== profile.classes.length || a.classes.some((c, i) => c !== profile.classes[i]))
    throw new InvalidRequestError([
      { path: 'model.classes', message: `the model's classes [${a.classes.join(', ')}] differ from profile "${profile.name}"'s classes [${profile.classes.join(', ')}]; ${fix}` },
    ]);
  const mine = new Set(a.modalities);
  if (a.modalities.length !== profile.modalities.length || profile.modalities.some((m) => !mine.has(m)))
    throw new InvalidRequestError([
      { path: 'model.modalities', message: `the model's modalities [${a.modalities.join(', ')}] differ from profile "${profile.name}"'s modalities [${profile.modalities.join(', ')}]; ${fix}` },
    ]);
}

function compile(artifact: ModelArtifact): Model {
  const fill = artifact.modalities.map((m) => Float64Array.from(artifact.fill[m]!));
  const index = new Map(artifact.modalities.map((m, k) => [m, k]));
  const C = artifact.classes.length;
  const K = fill.length;
  const x = new Float64Array(K * C);
  if (artifact.kind === 'mlp') {
    const predict: Model['predict'] = (features, out) => mlpPredict(artifact.params, features, out);
    const forward: Model['forward'] = (dists, out) => predict(featurise(dists, fill, x), out);
    const occlude: Model['occlude'] = (dists, full, without) => {
      forward(dists, full);
      for (let k = 0; k < K; k++) {
        if (!dists[k]) continue;
        const d = dists[k];
        dists[k] = undefined;
        forward(dists, without[k]!);
        dists[k] = d;
      }
    };
    return { artifact, fill, index, predict, forward, checked: new WeakSet(), occlude };
  }
  // Linear kinds: scores are sums of per-modality parts, so removing a modality is a subtraction.
  // The coefficients are copied once into one row-major Float64Array: the artifact's nested
  // number arrays cost about three times as much to read in the inner loop.
  const F = K * C;
  const W = new Float64Array(C * F);
  artifact.params.coef.forEach((row, c) => W.set(row, c * F));
  const b = Float64Array.from(artifact.params.intercept);
  const platt = artifact.kind === 'linear-svm' ? artifact.params.platt : undefined;
  const link = (z: Float64Array, out: Float64Array) => (platt ? plattProbabilities(platt, z, out) : softmax(z, 1, out));
  const part = (k: number, d: Float64Array, out: Float64Array) => {
    for (let c = 0, o = k * C; c < C; c++, o += F) {
      let s = 0;
      for (let j = 0; j < C; j++) s += W[o + j]! * d[j]!;
      out[c] = s;
    }
    return out;
  };
  const fillParts = fill.map((f, k) => part(k, f, new Float64Array(C)));
  const parts = fill.map(() => new Float64Array(C));
  const z = new Float64Array(C);
  const zk = new Float64Array(C);
  // W·x + b, each class's sum in feature order as `linearScores` sums it (training and evaluation
  // agree to the bit). Four classes at a time (then two, then one): one class's sum is a chain of
  // dependent additions, and independent chains keep the FPU busy, about twice as fast.
  const predict: Model['predict'] = (features, out) => {
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = c * F;
      let s0 = b[c]!, s1 = b[c + 1]!, s2 = b[c + 2]!, s3 = b[c + 3]!;
      for (let f = 0; f < F; f++) {
        const v = features[f]!;
        s0 += W[o + f]! * v;
        s1 += W[o + F + f]! * v;
        s2 += W[o + 2 * F + f]! * v;
        s3 += W[o + 3 * F + f]! * v;
      }
      z[c] = s0, z[c + 1] = s1, z[c + 2] = s2, z[c + 3] = s3;
    }
    for (; c + 2 <= C; c += 2) {
      const o = c * F;
      let s0 = b[c]!, s1 = b[c + 1]!;
      for (let f = 0; f < F; f++) {
        const v = features[f]!;
        s0 += W[o + f]! * v;
        s1 += W[o + F + f]! * v;
      }
      z[c] = s0, z[c + 1] = s1;
    }
    if (c < C) {
      let s = b[c]!;
      for (let f = 0, o = c * F; f < F; f++) s += W[o + f]! * features[f]!;
      z[c] = s;
    }
    return link(z, out);
  };
  const forward: Model['forward'] = (dists, out) => predict(featurise(dists, fill, x), out);
  const occlude: Model['occlude'] = (dists, full, without) => {
    for (let c = 0; c < C; c++) z[c] = b[c]!;
    for (let k = 0; k < K; k++) {
      const p = dists[k] ? part(k, dists[k]!, parts[k]!) : fillParts[k]!;
      for (let c = 0; c < C; c++) z[c]! += p[c]!;
    }
    link(z, full);
    for (let k = 0; k < K; k++) {
      if (!dists[k]) continue;
      for (let c = 0; c < C; c++) zk[c] = z[c]! - parts[k]![c]! + fillParts[k]![c]!;
      link(zk, without[k]!);
    }
  };
  return { artifact, fill, index, predict, forward, checked: new WeakSet(), occlude };
}

/** Distributions given by modality name, placed in the artifact's modality order (absent: undefined). */
export function orderDists(
  model: Model, modalities: string[], dists: Float64Array[], skip = -1,
  ordered: (Float64Array | undefined)[] = new Array(model.fill.length),
): (Float64Array | undefined)[] {
  for (let k = 0; k < ordered.length; k++) ordered[k] = undefined;
  for (let k = 0; k < modalities.length; k++) {
    if (k === skip) continue;
    const at = model.index.get(modalities[k]!);
    if (at === undefined) throw new InvalidRequestError([{ path: `predictions.${modalities[k]}`, message: `modality "${modalities[k]}" is not one of the model's modalities: ${model.artifact.modalities.join(', ')}` }]);
    ordered[at] = dists[k];
  }
  return ordered;
}

/** Probabilities of the model for modality distributions given by name (absent ones use the fill). */
export function predictDists(model: Model, modalities: string[], dists: Float64Array[], out: Float64Array, skip = -1): Float64Array {
  const ordered = orderDists(model, modalities, dists, skip);
  return model.predict(featurise(ordered, model.fill, new Float64Array(model.fill.length * out.length)), out);
}

/** A minimal profile for a bare model artifact: its classes and modalities, named "model". */
export function profileForModel(raw: unknown): Profile {
  const { classes, modalities } = loadModel(raw).artifact;
  return { name: 'model', classes, modalities };
}
