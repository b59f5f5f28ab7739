import { z } from 'zod';
import { FusionError, InsufficientModalitiesError, InvalidRequestError } from './errors.js';
import { type Prepared, type ProfileLookup, parseWith, prepare } from './prepare.js';
import { type BatchResponse, FusionBatch, FusionRequest, type FusionResponse } from './schemas.js';
import type { Strategy } from './strategy.js';

const TIE = 1e-12;
const parseRequest = z.compile(FusionRequest);
const parseBatch = z.compile(FusionBatch);

/** Chooses the label: argmax, ties (within 1e-12) broken by `first` or by the plain average. */
export function chooseLabel(p: Prepared, f: Float64Array): number {
  let best = 0;
  for (let c = 1; c < f.length; c++) if (f[c]! > f[best]! + TIE) best = c;
  if (p.tieBreak === 'first') {
    for (let c = 0; c < best; c++) if (f[c]! >= f[best]! - TIE) return c;
    return best;
  }
  let chosen = -1;
  let bestAvg = -Infinity;
  for (let c = 0; c < f.length; c++) {
    if (f[c]! < f[best]! - TIE) continue;
    let avg = 0;
    for (const d of p.dists) avg += d[c]!;
    if (avg > bestAvg + TIE) (bestAvg = avg), (chosen = c);
  }
  return chosen;
}

/** Runs a strategy on a prepared request and builds the response. */
export function decide(strategy: Strategy, p: Prepared): FusionResponse {
  const C = p.classes.length;
  const K = p.modalities.length;
  const f = new Float64Array(C);
  strategy.combine(p, f);
  const label = chooseLabel(p, f);
  const probabilities: Record<string, number> = {};
  for (let c = 0; c < C; c++) probabilities[p.classes[c]!] = f[c]!;

  const support = new Float64Array(K);
  let total = 0;
  for (let k = 0; k < K; k++) total += support[k] = strategy.support(p, k, label);
  const contributions: Record<string, number> = {};
  for (let k = 0; k < K; k++) contributions[p.modalities[k]!] = total > 0 ? support[k]! / total : 1 / K;

  const res: FusionResponse = {
    strategy: strategy.name,
    label: p.classes[label]!,
    confidence: f[label]!,
    probabilities,
    modalities: { used: p.modalities, missing: p.missing },
    contributions,
  };
  if (p.id !== undefined) res.id = p.id;
  if (!strategy.weighted) res.weighted = false;
  if (strategy.votes) {
    const votes: Record<string, number> = {};
    for (let k = 0; k < K; k++) {
      if (p.normWeights[k] === 0) continue;
      const c = p.classes[p.votesFor[k]!]!;
      votes[c] = (votes[c] ?? 0) + 1;
    }
    res.votes = votes;
  }
  if (p.profile) {
    const { profile, version, stale } = p.profile;
    res.profile = { name: profile.name, version: version ?? 'local', stale: stale ?? false };
  }
  return res;
}

/** Whether a parsed JSON value is a batch (`{"items": [...]}`). */
export function isBatch(input: unknown): input is { items: unknown } {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && 'items' in input;
}

/** Validates and fuses one request or a batch. */
export function fuseAny(strategy: Strategy, input: unknown, lookup?: ProfileLookup): FusionResponse | BatchResponse {
  return isBatch(input) ? fuseBatch(strategy, input, lookup) : fuseOne(strategy, input, lookup);
}

/** Validates and fuses one request. */
export function fuseOne(strategy: Strategy, input: unknown, lookup?: ProfileLookup): FusionResponse {
  return decide(strategy, prepare(parseWith(parseRequest, input), lookup));
}

/**
 * Validates and fuses a batch. An invalid item rejects the whole batch; every item's errors
 * are reported with the item's index in the path (`items.3.predictions.text`).
 */
export function fuseBatch(strategy: Strategy, input: unknown, lookup?: ProfileLookup): BatchResponse {
  const { items, ...defaults } = parseWith(parseBatch, input);
  const prepared: Prepared[] = [];
  const failures: FusionError[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      prepared.push(prepare(parseWith(parseRequest, items[i], `items.${i}`), lookup, defaults, `items.${i}`));
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
  return { results: prepared.map((p) => decide(strategy, p)) };
}

/** Profile names a request or batch refers to, so an adapter can load them before fusing. */
export function referencedProfiles(input: unknown): string[] {
  const names = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'object' && v !== null && typeof (v as { profile?: unknown }).profile === 'string') names.add((v as { profile: string }).profile);
  };
  add(input);
  if (isBatch(input) && Array.isArray(input.items)) input.items.forEach(add);
  return [...names];
}
