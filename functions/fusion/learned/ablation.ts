/** Modality ablation: every strategy scored with each modality removed, and with only it kept. */
import { forStrategy } from '../adaptive.js';
import { FusionError } from '../errors.js';
import { prepare, type Prepared } from '../prepare.js';
import type { Profile } from '../schemas.js';
import type { Strategy } from '../strategy.js';
import type { Dataset } from './data.js';
import { type Model, predictDists } from './infer.js';
import { score } from './metrics.js';

/** Accuracy and log loss on the rows a variant scores. */
export interface AblationCell {
  accuracy: number;
  logLoss: number;
  rows: number;
}

/** One strategy's scores with each modality removed (`without`) and with it alone (`only`). */
export interface AblationRow {
  name: string;
  without: Record<string, AblationCell | null>;
  only: Record<string, AblationCell | null>;
}

/** What to ablate: the fixed rules and the given models, each as a function of a prepared row. */
export interface Ablated {
  name: string;
  predict(p: Prepared, out: Float64Array): Float64Array;
}

/**
 * A fixed rule's distribution of a prepared row (adapted when the row asks for adaptive weights),
 * or the uniform distribution where the rule refuses the row (dempster-shafer's total conflict).
 * Returns whether the rule decided. The row is not changed.
 */
export function ruleDistribution(strategy: Strategy, p: Prepared, out: Float64Array): boolean {
  try {
    strategy.combine(forStrategy(strategy, { ...p }), out);
    return true;
  } catch (e) {
    if (!(e instanceof FusionError)) throw e;
    out.fill(1 / out.length);
    return false;
  }
}

/** A fixed rule as an ablation subject. */
export function ruleSubject(strategy: Strategy): Ablated {
  return { name: strategy.name, predict: (p, out) => (ruleDistribution(strategy, p, out), out) };
}

/** A loaded model as an ablation subject (absent modalities get its fill vectors). */
export function modelSubject(name: string, model: Model): Ablated {
  return { name, predict: (p, out) => predictDists(model, p.modalities, p.dists, out) };
}

/**
 * Re-prepares every row with the core keeping only the modalities `keep` accepts, and scores
 * each subject on the rows with at least `min` modalities left. A variant no row survives is null.
 */
function variant(data: Dataset, profile: Profile, subjects: Ablated[], keep: (m: string) => boolean, min: number): (AblationCell | null)[] {
  const base: Profile = { ...profile, minModalities: undefined };
  const lookup = () => ({ profile: base });
  const rows: Prepared[] = [];
  const labels: number[] = [];
  for (const e of data.examples) {
    const kept = e.prepared.modalities.filter(keep);
    if (kept.length < min) continue;
    // The raw predictions through the same profile: calibrated exactly as `parseDataset` does.
    const predictions = Object.fromEntries(kept.map((m) => [m, e.prepared.predictions[m]!]));
    rows.push(prepare({ profile: base.name, predictions }, lookup));
    labels.push(e.label);
  }
  if (!rows.length) return subjects.map(() => null);
  const C = data.classes.length;
  return subjects.map((s) => {
    const { metrics, rows: n } = score(rows.map((p) => s.predict(p, new Float64Array(C))), labels, C);
    return { accuracy: metrics.accuracy, logLoss: metrics.logLoss, rows: n };
  });
}

/**
 * Each subject with each modality removed (rows keeping at least the profile's minModalities,
 * and at least 1) and with only that modality kept (rows where it is present).
 */
export function ablation(data: Dataset, profile: Profile, subjects: Ablated[]): AblationRow[] {
  const min = Math.max(1, profile.minModalities ?? 1);
  const rows: AblationRow[] = subjects.map((s) => ({ name: s.name, without: {}, only: {} }));
  for (const m of data.modalities) {
    variant(data, profile, subjects, (x) => x !== m, min).forEach((cell, i) => (rows[i]!.without[m] = cell));
    variant(data, profile, subjects, (x) => x === m, 1).forEach((cell, i) => (rows[i]!.only[m] = cell));
  }
  return rows;
}
