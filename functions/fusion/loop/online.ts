/**
 * Online evaluation: logged decisions joined with their label feedback, scored per strategy,
 * per modality alone, per variant (primary / canary) and per shadow, plus the label-free view
 * (missing rates per day, drift against the profile's reference).
 *
 * A decision line keeps only each answer's top label and its confidence, so each answer is
 * scored as the distribution that puts `confidence` on its label and spreads the rest evenly
 * over the other classes (a confidence below 1/C counts as 1/C, so the label stays the top
 * class). Accuracy and calibration (ECE, reliability) are exact; log loss and Brier are those
 * of that distribution.
 */
import type { EvalEntry, Evaluation } from '../learned/evaluate.js';
import { perClass } from '../learned/analysis.js';
import { score } from '../learned/metrics.js';
import type { ClassificationDecision, DecisionLine } from './decision-log.js';
import type { FeedbackLine } from './feedback.js';
import { type ModalityStats, modalityStats } from './monitor.js';

/** What the profile says about the decisions being scored. */
export interface OnlineProfile {
  name: string;
  classes: readonly string[];
  modalities: readonly string[];
  /** The profile's drift reference shares, by modality. */
  reference?: Record<string, number[]>;
}

/** Accuracy and friends of one answer source over the labelled decisions. */
export interface OnlineScore {
  rows: number;
  accuracy: number;
  logLoss: number;
  ece: number;
  meanConfidence: number;
}

/** The JSON summary of `fusion monitor` (and what the report shows). */
export interface OnlineSummary {
  profile: string;
  decisions: number;
  labelled: number;
  /** Labels that are not one of the profile's classes (not scored). */
  unknownLabels: number;
  byStrategy: Record<string, OnlineScore>;
  byModality: Record<string, OnlineScore>;
  /** Primary and canary: decisions, and their scores once some are labelled. */
  byVariant: Record<string, Partial<OnlineScore> & { decisions: number }>;
  shadows: Record<string, Partial<OnlineScore> & { decisions: number; failures: number; agreement: number | null }>;
  /** Per day (UTC, from the decision's time): decisions and each modality's missing rate. */
  missingByDay: { day: string; decisions: number; missingRate: Record<string, number> }[];
  /** Label-free statistics per modality over the whole period, with PSI against the reference. */
  drift: Record<string, ModalityStats>;
}

/** The latest label per decision id (`d:<id>`) and join id (`j:<id>`), over every source. */
export function latestLabels(feedback: Iterable<FeedbackLine>): Map<string, string> {
  const latest = new Map<string, FeedbackLine>();
  for (const f of feedback) {
    if (f.label === undefined) continue;
    const key = f.decisionId !== undefined ? `d:${f.decisionId}` : `j:${f.joinId}`;
    const seen = latest.get(key);
    if (!seen || seen.receivedAt <= f.receivedAt) latest.set(key, f);
  }
  return new Map([...latest].map(([k, f]) => [k, f.label!]));
}

/** The distribution a logged (label, confidence) stands for; undefined for a label not in `classes`. */
export function topLabelDistribution(label: string, confidence: number, index: ReadonlyMap<string, number>): Float64Array | undefined {
  const k = index.get(label);
  if (k === undefined) return undefined;
  const C = index.size;
  const p = Math.min(1, Math.max(Number.isFinite(confidence) ? confidence : 0, 1 / C));
  const out = new Float64Array(C).fill((1 - p) / (C - 1));
  out[k] = p;
  return out;
}

class Group {
  probs: Float64Array[] = [];
  labels: number[] = [];
  add(p: Float64Array | undefined, y: number): void {
    if (p) this.probs.push(p), this.labels.push(y);
  }
  entry(name: string, kind: EvalEntry['kind'], C: number): EvalEntry | undefined {
    if (!this.probs.length) return undefined;
    const s = score(this.probs, this.labels, C);
    return { name, kind, rows: s.rows, metrics: s.metrics, reliability: s.reliability, confusion: s.confusion, perClass: perClass(s.confusion) };
  }
  summary(C: number): OnlineScore | undefined {
    if (!this.probs.length) return undefined;
    const { metrics, rows } = score(this.probs, this.labels, C);
    let mean = 0;
    for (const p of this.probs) mean += Math.max(...p) / rows;
    return { rows, accuracy: metrics.accuracy, logLoss: metrics.logLoss, ece: metrics.ece, meanConfidence: mean };
  }
}

const group = (m: Map<string, Group>, key: string) => m.get(key) ?? (m.set(key, new Group()), m.get(key)!);

/**
 * Scores `decisions` of `profile` against `feedback`: the summary, and an evaluation in the
 * shape of `fusion evaluate`'s (undefined when no decision has a usable label) for the report.
 * Repeated decision lines (the same decisionId) count once; other tasks' lines are left out.
 */
export function onlineMonitor(decisions: readonly DecisionLine[], feedback: Iterable<FeedbackLine>, profile: OnlineProfile): { summary: OnlineSummary; evaluation?: Evaluation } {
  const labels = latestLabels(feedback);
  const index = new Map(profile.classes.map((c, i) => [c, i]));
  const C = profile.classes.length;
  const seen = new Set<string>();
  // Classification decisions of this profile, each once (delivery is at least once).
  const lines = decisions.filter(
    (d): d is ClassificationDecision => d.task === 'classification' && (d.profile?.name ?? profile.name) === profile.name && !seen.has(d.decisionId) && !!seen.add(d.decisionId),
  );
  const strategies = new Map<string, Group>();
  const modalities = new Map<string, Group>();
  const variants = new Map<string, Group>();
  const variantCounts = new Map<string, number>();
  const shadows = new Map<string, Group>();
  const shadowCounts = new Map<string, { decisions: number; failures: number; agree: number; compared: number }>();
  const days = new Map<string, ClassificationDecision[]>();
  let labelled = 0;
  let unknownLabels = 0;

  for (const d of lines) {
    const day = d.time.slice(0, 10);
    (days.get(day) ?? days.set(day, []).get(day)!).push(d);
    const variant = d.variant ?? 'primary';
    variantCounts.set(variant, (variantCounts.get(variant) ?? 0) + 1);
    for (const s of d.shadows ?? []) {
      const c = shadowCounts.get(s.name) ?? { decisions: 0, failures: 0, agree: 0, compared: 0 };
      c.decisions++;
      if (s.error !== undefined) c.failures++;
      else if (s.label !== undefined) (c.compared++, (c.agree += +(s.agree ?? s.label === d.output.label)));
      shadowCounts.set(s.name, c);
    }
    const truth = labels.get(`d:${d.decisionId}`) ?? (d.joinId !== undefined ? labels.get(`j:${d.joinId}`) : undefined);
    if (truth === undefined) continue;
    const y = index.get(truth);
    if (y === undefined) {
      unknownLabels++;
      continue;
    }
    labelled++;
    const out = topLabelDistribution(d.output.label, d.output.confidence, index);
    group(strategies, d.strategy).add(out, y);
    group(variants, variant).add(out, y);
    for (const [m, s] of Object.entries(d.modalities)) if (profile.modalities.includes(m)) group(modalities, m).add(topLabelDistribution(s.label, s.confidence, index), y);
    for (const s of d.shadows ?? [])
      if (s.error === undefined && s.label !== undefined && s.confidence !== undefined) group(shadows, s.name).add(topLabelDistribution(s.label, s.confidence, index), y);
  }

  const scores = <T>(m: Map<string, Group>, extra: (k: string) => T) =>
    Object.fromEntries([...m].flatMap(([k, g]) => {
      const s = g.summary(C);
      return s ? [[k, { ...s, ...extra(k) }]] : [];
    }));
  const summary: OnlineSummary = {
    profile: profile.name,
    decisions: lines.length,
    labelled,
    unknownLabels,
    byStrategy: scores(strategies, () => ({})),
    byModality: scores(modalities, () => ({})),
    byVariant: Object.fromEntries([...variantCounts].map(([v, n]) => [v, { ...variants.get(v)?.summary(C), decisions: n }])),
    shadows: Object.fromEntries(
      [...shadowCounts].map(([name, c]) => [name, { ...(shadows.get(name)?.summary(C) ?? {}), decisions: c.decisions, failures: c.failures, agreement: c.compared ? c.agree / c.compared : null }]),
    ),
    missingByDay: [...days.keys()].sort().map((day) => {
      const ds = days.get(day)!;
      return { day, decisions: ds.length, missingRate: Object.fromEntries(profile.modalities.map((m) => [m, ds.filter((d) => !d.modalities[m]).length / ds.length])) };
    }),
    drift: modalityStats(lines, profile.modalities, profile.classes, profile.reference),
  };

  const entries = [
    ...[...strategies].map(([k, g]) => g.entry(k, 'rule', C)),
    ...(variantCounts.has('canary') ? [...variants].map(([k, g]) => g.entry(`variant ${k}`, 'model', C)) : []),
    ...[...shadows].map(([k, g]) => g.entry(`shadow ${k}`, 'model', C)),
    ...profile.modalities.map((m) => modalities.get(m)?.entry(m, 'modality', C)),
  ].filter((e): e is EvalEntry => e !== undefined);
  if (!labelled || !entries.length) return { summary };
  const fused = entries.filter((e) => e.kind !== 'modality');
  const best = (fused.length ? fused : entries).reduce((a, b) => (b.metrics.logLoss < a.metrics.logLoss ? b : a)).name;
  return { summary, evaluation: { profile: profile.name, classes: [...profile.classes], rows: labelled, best, entries } };
}
