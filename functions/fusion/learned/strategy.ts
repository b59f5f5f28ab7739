import { ModelFailureError } from '../errors.js';
import type { Prepared } from '../prepare.js';
import type { Strategy } from '../strategy.js';
import { type Model, loadModel, orderDists } from './infer.js';
import { profileModel } from './stored.js';

/** Buffers of one model's latest outputs. */
interface Outputs {
  /** Present distributions in the model's modality order. */
  ordered: (Float64Array | undefined)[];
  /** The model's distribution with every present modality. */
  full: Float64Array;
  /** By model modality: the distribution with that modality replaced by its fill vector. */
  without: Float64Array[];
}

const buffers = new WeakMap<Model, Outputs>();
// `decide` calls combine, then support for each modality, on the same request: the latest
// request's outputs serve them all, in buffers reused across requests (no garbage per call).
let lastRequest: Prepared | undefined;
let lastModel: Model | undefined;
let lastOutputs: Outputs | undefined;

/** The request profile's model, validated against the profile. */
function modelOf(p: Prepared): Model {
  const { model, profile } = profileModel(p.profile, 'logistic');
  return loadModel(model, profile);
}

function outputsOf(model: Model, C: number): Outputs {
  let o = buffers.get(model);
  if (!o)
    buffers.set(model, (o = { ordered: new Array(model.fill.length), full: new Float64Array(C), without: model.fill.map(() => new Float64Array(C)) }));
  return o;
}

function failure(p: Prepared): ModelFailureError {
  const key = p.profile?.profile.model?.key ?? 'the model';
  return new ModelFailureError(`The learned model ${key} of profile "${p.profile?.profile.name}" gave a non-finite answer for this request; check or retrain the model.`);
}

function run(p: Prepared): Outputs {
  if (lastRequest === p) return lastOutputs!;
  lastRequest = undefined;
  const model = modelOf(p);
  const o = outputsOf(model, p.classes.length);
  model.occlude(orderDists(model, p.modalities, p.dists, -1, o.ordered), o.full, o.without);
  if (!finite(o.full) || !o.without.every(finite)) throw failure(p);
  [lastRequest, lastModel, lastOutputs] = [p, model, o];
  return o;
}

function finite(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/**
 * Learned fusion: a meta-learner (logistic regression, linear SVM or MLP) trained on the
 * modalities' calibrated distributions, loaded from the profile's `model`. A modality's
 * support for a class is how much that class's probability drops when the modality is
 * replaced by its fill vector (occlusion), floored at 0.
 */
export const learned: Strategy = {
  name: 'learned',
  description: 'Learned fusion: a trained meta-learner (logistic, linear-svm or mlp) from the profile’s model.',
  weighted: false,
  tasks: ['classification', 'regression', 'multilabel'],
  parameters: ['profile', 'options.temperatures', 'options.minModalities', 'options.tieBreak'],
  reference: 'Wolpert, Stacked generalization, Neural Networks 1992; Baltrušaitis, Ahuja & Morency, Multimodal machine learning: a survey and taxonomy, IEEE TPAMI 2019',
  combine(p, out) {
    out.set(run(p).full);
  },
  distribution(p, out, raw) {
    // Another model of the profile (a shadow's) is checked against the profile as the primary's is.
    const model = raw === undefined ? modelOf(p) : loadModel(raw, p.profile?.profile);
    const o = outputsOf(model, p.classes.length);
    model.forward(orderDists(model, p.modalities, p.dists, -1, o.ordered), out);
    if (!finite(out)) throw failure(p);
  },
  support(p, k, c) {
    const o = run(p);
    return Math.max(0, o.full[c]! - o.without[lastModel!.index.get(p.modalities[k]!)!]![c]!);
  },
};
