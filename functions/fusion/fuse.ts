import { forStrategy } from './adaptive.js';
import { type FieldError, FusionError, InsufficientModalitiesError, InvalidRequestError, UnavailableError, joinPath } from './errors.js';
import { type Parsed, checkResponseSize, isBatch, parseInput, profilesOf } from './parse.js';
import { type Prepared, type ProfileLookup, prepare } from './prepare.js';
import { type BatchResponse, type FusionRequest, type FusionResponse, LIMITS } from './schemas.js';
import type { Strategy } from './strategy.js';
import type { MultilabelPrepared } from './tasks/multilabel.js';
import type { RegressionPrepared } from './tasks/regression.js';
import { type AnyBatchResponse, type AnyResponse, checkTask, fuseTask, statedTask, taskOf, taskProfiles } from './tasks/index.js';

const TIE = 1e-12;

/**
 * Chooses the label: argmax of `f`; classes within 1e-12 of the maximum are tied, and the tie
 * is broken by `first` (earliest in `classes`) or `average` (highest plain, unweighted mean of
 * the calibrated probabilities among the tied classes, then earliest). For a weighted rule the
 * mean runs over the modalities with a weight > 0, so a weight-0 modality never changes a result.
 */
export function chooseLabel(p: Prepared, f: Float64Array, weighted = true): number {
  let top = f[0]!;
  for (let c = 1; c < f.length; c++) if (f[c]! > top) top = f[c]!;
  const floor = top - TIE;
  let chosen = 0;
  while (f[chosen]! < floor) chosen++;
  if (p.tieBreak === 'first') return chosen;
  let bestMean = -Infinity;
  for (let c = chosen; c < f.length; c++) {
    if (f[c]! < floor) continue;
    let mean = 0;
    let n = 0;
    for (let k = 0; k < p.dists.length; k++) if (!weighted || p.normWeights[k]! > 0) (mean += p.dists[k]![c]!), n++;
    mean /= n;
    if (mean > bestMean + TIE) (bestMean = mean), (chosen = c);
  }
  return chosen;
}

// One fused-distribution buffer kept between calls (taken while in use, so re-entry is safe).
let spare: Float64Array | undefined;

/** Runs a strategy on a prepared request and builds the response. */
export function decide(strategy: Strategy, prepared: Prepared): FusionResponse {
  const p = forStrategy(strategy, prepared);
  const C = p.classes.length;
  const f = spare?.length === C ? spare : new Float64Array(C);
  spare = undefined;
  strategy.combine(p, f);
  const label = chooseLabel(p, f, strategy.weighted);
  const classes = p.classes;
  // The leading keys are stored one site each (here and in `shares`): a service's class and
  // modality names never change, so each site keeps seeing one key and V8's inline cache stays
  // monomorphic, where one site storing every key goes megamorphic at several times the cost.
  const probabilities: Record<string, number> = {};
  probabilities[classes[0]!] = f[0]!;
  probabilities[classes[1]!] = f[1]!;
  if (C > 2) probabilities[classes[2]!] = f[2]!;
  if (C > 3) probabilities[classes[3]!] = f[3]!;
  for (let c = 4; c < C; c++) probabilities[classes[c]!] = f[c]!;
  const confidence = f[label]!;
  spare = f;
  // A rule's answer is finite for any valid input; this guard keeps a defect from answering NaN as null.
  if (!Number.isFinite(confidence)) throw new UnavailableError(`The ${strategy.name} rule gave a non-finite answer; please report this request.`);

  const res: FusionResponse = {
    strategy: strategy.name,
    label: p.classes[label]!,
    confidence,
    probabilities,
    modalities: { used: p.modalities, missing: p.missing },
    contributions: shares(strategy, p, label),
  };
  if (p.id !== undefined) res.id = p.id;
  if (!strategy.weighted) res.weighted = false;
  if (strategy.votes) res.votes = countVotes(p);
  if (p.effectiveWeights) res.effectiveWeights = byModality(p.modalities, p.effectiveWeights);
  if (strategy.details) Object.assign(res, strategy.details(p));
  if (p.profile) {
    const { profile, version, stale } = p.profile;
    res.profile = { name: profile.name, version: version ?? 'local', stale: stale ?? false };
  }
  if (p.warnings) res.warnings = p.warnings;
  return res;
}

let supports = new Float64Array(0);

/**
 * Each modality's support for the label over the total support. With no support at all (every
 * ballot 0, say) the modalities taking part share equally: those with a weight > 0 for a
 * weighted rule, all of them for an unweighted one.
 */
function shares(strategy: Strategy, p: Prepared, label: number): Record<string, number> {
  const K = p.modalities.length;
  const out: Record<string, number> = {};
  const support = supports.length >= K ? supports : (supports = new Float64Array(Math.max(K, LIMITS.maxModalities)));
  let total = 0;
  for (let k = 0; k < K; k++) total += support[k] = strategy.support(p, k, label);
  if (total > 0) {
    const names = p.modalities;
    out[names[0]!] = support[0]! / total;
    if (K > 1) out[names[1]!] = support[1]! / total;
    if (K > 2) out[names[2]!] = support[2]! / total;
    if (K > 3) out[names[3]!] = support[3]! / total;
    for (let k = 4; k < K; k++) out[names[k]!] = support[k]! / total;
    return out;
  }
  let taking = 0;
  for (let k = 0; k < K; k++) if (!strategy.weighted || p.normWeights[k]! > 0) taking++;
  for (let k = 0; k < K; k++) out[p.modalities[k]!] = !strategy.weighted || p.normWeights[k]! > 0 ? 1 / taking : 0;
  return out;
}

function byModality(names: string[], values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 0; k < names.length; k++) out[names[k]!] = values[k]!;
  return out;
}

/** How many modalities (with a weight > 0) voted for each class that got a vote. */
function countVotes(p: Prepared): Record<string, number> {
  const votes: Record<string, number> = {};
  const K = p.votesFor.length;
  for (let k = 0; k < K; k++) {
    const c = p.votesFor[k]!;
    if (p.normWeights[k] === 0 || counted(p, c, k)) continue;
    let n = 0;
    for (let j = k; j < K; j++) if (p.votesFor[j] === c && p.normWeights[j] !== 0) n++;
    votes[p.classes[c]!] = n;
  }
  return votes;
}

/** Whether a modality before k with a weight > 0 voted for class c. */
function counted(p: Prepared, c: number, k: number): boolean {
  for (let j = 0; j < k; j++) if (p.votesFor[j] === c && p.normWeights[j] !== 0) return true;
  return false;
}

/**
 * Called once per decision with what the core prepared and answered, after the answer is built
 * (the decision log's recorder uses it; the answer is the same with or without it).
 */
export type DecisionObserver = (prepared: Prepared | RegressionPrepared | MultilabelPrepared, response: AnyResponse) => void;

/** Limits an adapter may set from its configuration (defaults: `LIMITS`). */
export interface FuseLimits {
  maxProfiles?: number;
  maxResponseBytes?: number;
}

/** Validates and fuses one request or a batch, of any task (`task`, default classification). */
export function fuseAny(strategy: Strategy, input: unknown, lookup?: ProfileLookup, limits: FuseLimits = {}, observe?: DecisionObserver): AnyResponse | AnyBatchResponse {
  const task = taskOf(input, lookup);
  if (task !== 'classification') return fuseTask(task, strategy, input, lookup, limits, observe);
  checkTask(strategy, task);
  const parsed = parseInput(input);
  profilesOf(parsed, limits.maxProfiles);
  return fuseParsed(strategy, parsed, lookup, limits, observe);
}

/**
 * Validates and fuses one classification request (a batch is refused). The answer is typed for
 * classification, which is what its callers send; a request stating another task still gets
 * that task's answer, typed by `fuseOneAny`.
 */
export function fuseOne(strategy: Strategy, input: unknown, lookup?: ProfileLookup, limits: FuseLimits = {}): FusionResponse {
  return fuseOneAny(strategy, input, lookup, limits) as FusionResponse;
}

/** Validates and fuses one request of any task (a batch is refused). */
export function fuseOneAny(strategy: Strategy, input: unknown, lookup?: ProfileLookup, limits: FuseLimits = {}, observe?: DecisionObserver): AnyResponse {
  if (isBatch(input)) throw new InvalidRequestError([{ path: 'items', message: 'send one request here, not a batch' }]);
  return fuseAny(strategy, input, lookup, limits, observe) as AnyResponse;
}

/**
 * Fuses a parsed request or batch once its profiles are loaded. A request with schema problems
 * is still checked as far as it can be, so the 400 lists every problem at once. A batch with
 * an invalid item is rejected whole; every item's errors carry its index (`items.3.predictions.text`).
 */
export function fuseParsed(strategy: Strategy, parsed: Parsed, lookup?: ProfileLookup, limits: FuseLimits = {}, observe?: DecisionObserver): FusionResponse | BatchResponse {
  if (parsed.errors.length) throw new InvalidRequestError([...parsed.errors, ...laterErrors(parsed, lookup)]);
  checkResponseSize(parsed, lookup, limits.maxResponseBytes);
  if (!parsed.batch) {
    const p = prepare(parsed.request, lookup);
    const r = decide(strategy, p);
    observe?.(p, r);
    return r;
  }
  const items = parsed.items as FusionRequest[];
  const prepared: Prepared[] = [];
  const failures: FusionError[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      prepared.push(prepare(items[i]!, lookup, parsed.request, `items.${i}`));
    } catch (e) {
      if (!(e instanceof FusionError)) throw e;
      failures.push(e);
    }
  }
  if (failures.length) {
    const errors = failures.flatMap((e) => e.errors);
    const invalid = failures.find((e) => e instanceof InvalidRequestError);
    if (invalid) throw new InvalidRequestError(errors);
    const first = failures[0]!;
    if (first instanceof InsufficientModalitiesError) throw new InsufficientModalitiesError(first.message, errors);
    throw first;
  }
  const results = prepared.map((p, i) => decideItem(strategy, p, i));
  if (observe) for (let i = 0; i < results.length; i++) observe(prepared[i]!, results[i]!);
  return { results };
}

/** `decide` for batch item i: a rule's refusal (dempster-shafer's total conflict) names the item. */
function decideItem(strategy: Strategy, p: Prepared, i: number): FusionResponse {
  try {
    return decide(strategy, p);
  } catch (e) {
    if (!(e instanceof FusionError) || e instanceof InvalidRequestError) throw e;
    const errors = e.errors.map((x) => ({ ...x, path: joinPath(`items.${i}`, x.path) }));
    throw new FusionError(e.code, `items.${i}: ${e.message}`, errors);
  }
}

/** What `prepare` finds in the parts that passed the schema, except what was set aside. */
function laterErrors(parsed: Parsed, lookup: ProfileLookup | undefined): FieldError[] {
  const out: FieldError[] = [];
  const check = (run: () => unknown) => {
    try {
      run();
    } catch (e) {
      if (!(e instanceof InvalidRequestError)) return;
      for (const err of e.errors) if (!parsed.removed.some((r) => r === err.path || r.startsWith(`${err.path}.`))) out.push(err);
    }
  };
  if (!parsed.items) check(() => prepare(parsed.request, lookup));
  else parsed.items.forEach((item, i) => item && check(() => prepare(item, lookup, parsed.request, `items.${i}`)));
  return out;
}

/**
 * Profile names a request or batch refers to, so an adapter can load them before fusing. The
 * whole input is validated first (a 400 costs no store read), and at most `max` names are allowed.
 */
export function referencedProfiles(input: unknown, max?: number): string[] {
  if (statedTask(input) !== undefined) return taskProfiles(input, max);
  return profilesOf(parseInput(input), max);
}
