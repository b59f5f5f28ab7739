/**
 * Training data from traffic: decisions joined with their feedback into the JSONL lines that
 * `fusion train` reads (`{"id", "predictions", "label"}`). Feedback is idempotent per id and
 * source (the latest line wins); when sources disagree on a decision, the latest label wins and
 * the decision is counted as a conflict.
 */
import type { DecisionLine } from './decision-log.js';
import { type FeedbackLine, feedbackKey } from './feedback.js';

/** One training line. */
export interface TrainingLine {
  id: string;
  predictions: NonNullable<DecisionLine['inputs']>;
  label: string;
}

/** What the join found, beside the lines themselves. */
export interface DatasetReport {
  decisions: number;
  /** Decisions that became training lines. */
  labelled: number;
  /** Decisions no feedback named. */
  unlabelled: number;
  /** Feedback naming no decision of the log (wrong id, or a decision outside the period or sample). */
  orphanLabels: number;
  /** Labelled decisions logged without their inputs (`FUSION_LOG_PAYLOADS` was off). */
  withoutInputs: number;
  /** Repeated feedback lines for the same id and source (only the latest counts). */
  duplicates: number;
  /** Decisions whose sources gave different labels. */
  conflicts: number;
  /** Repeated decision lines (the same decisionId logged twice). */
  repeatedDecisions: number;
}

/** Joins `decisions` of `profile` with `feedback`; joins' feedback matches through `joinId`. */
export function buildDataset(decisions: Iterable<DecisionLine>, feedback: Iterable<FeedbackLine>, profile?: string): { lines: TrainingLine[]; report: DatasetReport } {
  const latest = new Map<string, FeedbackLine>();
  let duplicates = 0;
  for (const f of feedback) {
    if (f.label === undefined) continue;
    const key = feedbackKey(f);
    const seen = latest.get(key);
    if (seen) duplicates++;
    if (!seen || seen.receivedAt <= f.receivedAt) latest.set(key, f);
  }
  // Per decision (or join) id: every source's latest label.
  const byId = new Map<string, FeedbackLine[]>();
  for (const f of latest.values()) {
    const id = f.decisionId !== undefined ? `d:${f.decisionId}` : `j:${f.joinId}`;
    byId.set(id, [...(byId.get(id) ?? []), f]);
  }
  const report: DatasetReport = { decisions: 0, labelled: 0, unlabelled: 0, orphanLabels: 0, withoutInputs: 0, duplicates, conflicts: 0, repeatedDecisions: 0 };
  const lines: TrainingLine[] = [];
  const used = new Set<string>();
  const seenDecisions = new Set<string>();
  for (const d of decisions) {
    // Feedback for another profile's decision is not an orphan, only not ours.
    used.add(`d:${d.decisionId}`);
    if (d.joinId !== undefined) used.add(`j:${d.joinId}`);
    if (profile !== undefined && d.profile?.name !== profile) continue;
    if (seenDecisions.has(d.decisionId)) {
      report.repeatedDecisions++;
      continue;
    }
    seenDecisions.add(d.decisionId);
    report.decisions++;
    const key = byId.has(`d:${d.decisionId}`) ? `d:${d.decisionId}` : d.joinId !== undefined && byId.has(`j:${d.joinId}`) ? `j:${d.joinId}` : undefined;
    if (!key) {
      report.unlabelled++;
      continue;
    }
    const answers = byId.get(key)!;
    const newest = answers.reduce((a, b) => (b.receivedAt > a.receivedAt ? b : a));
    if (new Set(answers.map((a) => a.label)).size > 1) report.conflicts++;
    if (!d.inputs) {
      report.withoutInputs++;
      continue;
    }
    report.labelled++;
    lines.push({ id: d.decisionId, predictions: d.inputs, label: newest.label! });
  }
  for (const key of byId.keys()) if (!used.has(key)) report.orphanLabels++;
  return { lines, report };
}
