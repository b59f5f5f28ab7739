/**
 * Label-free monitoring of logged decisions, per modality: how often it is missing, how sure it
 * is, how often its top class differs from the decision, its mean contribution, the shares of
 * the classes it predicts, and their drift (PSI) from the profile's training reference.
 */
import type { ClassificationDecision, DecisionLine } from './decision-log.js';
import { PSI_ALERT, histogram, psi, shares } from './psi.js';
import type { DriftReference } from './reference.js';

/** One modality's summary over a set of decisions. */
export interface ModalityStats {
  decisions: number;
  missingRate: number;
  meanConfidence: number | null;
  disagreementRate: number | null;
  meanContribution: number | null;
  /** Shares of the classes this modality predicted, in `classes` order. */
  classShares: number[];
  /** PSI against the reference shares, when the profile has them. */
  psi?: number;
  drift?: boolean;
}

/**
 * Summarises `lines` for each of `modalities` over `classes`. `reference` (class shares per
 * modality, as `fusion train` stores them in the profile) adds PSI and a drift flag (> 0.2).
 */
export function modalityStats(all: readonly DecisionLine[], modalities: readonly string[], classes: readonly string[], reference?: Record<string, number[]>): Record<string, ModalityStats> {
  const lines = all.filter((l): l is ClassificationDecision => l.task === 'classification');
  const index = new Map(classes.map((c, i) => [c, i]));
  const out: Record<string, ModalityStats> = {};
  for (const m of modalities) {
    let present = 0;
    let confidence = 0;
    let disagree = 0;
    let contribution = 0;
    const predicted: number[] = [];
    for (const line of lines) {
      const s = line.modalities[m];
      if (!s) continue;
      present++;
      confidence += s.confidence;
      contribution += s.contribution;
      if (s.label !== line.output.label) disagree++;
      predicted.push(index.get(s.label) ?? -1);
    }
    const n = lines.length;
    const stats: ModalityStats = {
      decisions: n,
      missingRate: n ? (n - present) / n : 0,
      meanConfidence: present ? confidence / present : null,
      disagreementRate: present ? disagree / present : null,
      meanContribution: present ? contribution / present : null,
      classShares: shares(histogram(predicted, classes.length)),
    };
    const ref = reference?.[m];
    if (ref && ref.length === classes.length && present) {
      stats.psi = psi(ref, stats.classShares);
      stats.drift = stats.psi > PSI_ALERT;
    }
    out[m] = stats;
  }
  return out;
}

/** Class shares of each modality's top class on training distributions: the profile's drift reference. */
export function referenceShares(dists: readonly (readonly (ArrayLike<number> | undefined)[])[], modalities: readonly string[], C: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  modalities.forEach((m, k) => {
    const tops: number[] = [];
    for (const row of dists) {
      const d = row[k];
      if (!d) continue;
      let best = 0;
      for (let c = 1; c < C; c++) if (d[c]! > d[best]!) best = c;
      tops.push(best);
    }
    out[m] = shares(histogram(tops, C));
  });
  return out;
}

/** A reference from `referenceShares` output and the row count (shares rounded to 6 digits). */
export function driftReference(shares: Record<string, number[]>, rows: number, createdAt = new Date().toISOString()): DriftReference {
  const rounded: Record<string, number[]> = {};
  for (const [m, s] of Object.entries(shares)) rounded[m] = s.map((v) => Math.round(v * 1e6) / 1e6);
  return { rows, shares: rounded, createdAt: createdAt.slice(0, 40) };
}

/** The reference of a parsed training set: each modality's top-class shares where it is present. */
export function datasetReference(data: { classes: readonly string[]; modalities: readonly string[]; examples: readonly { dists: readonly (ArrayLike<number> | undefined)[] }[] }, createdAt?: string): DriftReference {
  return driftReference(referenceShares(data.examples.map((e) => e.dists), data.modalities, data.classes.length), data.examples.length, createdAt);
}
