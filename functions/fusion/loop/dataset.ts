/**
 * Training data from traffic: decisions joined with their feedback into the JSONL lines that
 * `fusion train` and retraining read for the decisions' task: `{"id", "predictions", "label"}`
 * (classification), `{"id", "predictions", "value"}` (regression) or `{"id", "predictions",
 * "labels"}` (multi-label). Feedback is idempotent per id and source (the latest line wins); when
 * sources disagree on a decision (another class, value or label set), the latest outcome wins and
 * the decision is counted as a conflict. Feedback whose kind does not fit the decision's task (a
 * `value` for a classification decision) is counted as mismatched and never written.
 */
import { TASKS, type Task } from '../tasks/task.js';
import type { ClassificationDecision, DecisionLine, MultilabelDecision, RegressionDecision } from './decision-log.js';
import { type FeedbackLine, OUTCOME_FIELD, feedbackKey } from './feedback.js';

/** One classification training line (`fusion train`'s `DataLine`). */
export interface ClassificationTrainingLine {
  id: string;
  predictions: NonNullable<ClassificationDecision['inputs']>;
  label: string;
}
/** One regression training line (`task-data.ts`). */
export interface RegressionTrainingLine {
  id: string;
  predictions: NonNullable<RegressionDecision['inputs']>;
  value: number;
}
/** One multi-label training line (`task-data.ts`): the true labels, each once. */
export interface MultilabelTrainingLine {
  id: string;
  predictions: NonNullable<MultilabelDecision['inputs']>;
  labels: string[];
}
/** One training line of any task. */
export type TrainingLine = ClassificationTrainingLine | RegressionTrainingLine | MultilabelTrainingLine;

/** What the join found, beside the lines themselves. Every decision is labelled, unlabelled, without inputs or of another task. */
export interface DatasetReport {
  decisions: number;
  /** Decisions that became training lines. */
  labelled: number;
  /** Decisions no feedback of their task's kind named. */
  unlabelled: number;
  /** Feedback naming no decision of the log (wrong id, or a decision outside the period or sample). */
  orphanLabels: number;
  /** Labelled decisions logged without their inputs (`FUSION_LOG_PAYLOADS` was off). */
  withoutInputs: number;
  /** Repeated feedback lines for the same id and source (only the latest counts). */
  duplicates: number;
  /** Decisions whose sources gave different outcomes (classes, values or label sets). */
  conflicts: number;
  /** Repeated decision lines (the same decisionId logged twice). */
  repeatedDecisions: number;
  /** Feedback (the latest per id and source) of a kind that does not fit its decision's task: never written. */
  mismatched: number;
  /** The profile's decisions of another task than the data set's (the profile changed task): skipped. */
  otherTask: number;
}

/** What `buildDataset` returns: the task the lines are in (undefined without any decision), the lines and the report. */
export interface Dataset {
  task: Task | undefined;
  lines: TrainingLine[];
  report: DatasetReport;
}

type Outcome = string | number | string[];

/** The outcome of feedback for a decision of `task`, or undefined when it gives another kind. */
function outcomeOf(f: FeedbackLine, task: Task): Outcome | undefined {
  const v = f[OUTCOME_FIELD[task]];
  return Array.isArray(v) ? [...new Set(v)] : v;
}

/** Outcomes equal for conflict counting: the same class, the same value, the same set of labels. */
const sameKey = (o: Outcome) => (Array.isArray(o) ? JSON.stringify([...o].sort()) : String(o));

function trainingLine(d: DecisionLine, outcome: Outcome): TrainingLine {
  const base = { id: d.decisionId, predictions: d.inputs! };
  if (d.task === 'regression') return { ...base, value: outcome as number } as RegressionTrainingLine;
  if (d.task === 'multilabel') return { ...base, labels: outcome as string[] } as MultilabelTrainingLine;
  return { ...base, label: outcome as string } as ClassificationTrainingLine;
}

/** The task most of the profile's decisions have (ties in the order of `TASKS`): the one its data is in when none is given. */
function commonestTask(decisions: readonly DecisionLine[], profile?: string): Task | undefined {
  const counts = new Map<Task, number>();
  for (const d of decisions) if (profile === undefined || d.profile?.name === profile) counts.set(d.task, (counts.get(d.task) ?? 0) + 1);
  let best: Task | undefined;
  for (const t of TASKS) if ((counts.get(t) ?? 0) > (best ? counts.get(best)! : 0)) best = t;
  return best;
}

/**
 * Joins `decisions` of `profile` with `feedback`; joins' feedback matches through `joinId`. The
 * lines are of `task` (default: the task most of the profile's decisions have); the profile's
 * decisions of another task are counted in `decisions` and `otherTask`, and skipped.
 */
export function buildDataset(decisions: Iterable<DecisionLine>, feedback: Iterable<FeedbackLine>, profile?: string, task?: Task): Dataset {
  const all = [...decisions];
  const want = task ?? commonestTask(all, profile);
  const latest = new Map<string, FeedbackLine>();
  let duplicates = 0;
  for (const f of feedback) {
    if (f.label === undefined && f.value === undefined && f.labels === undefined) continue;
    const key = feedbackKey(f);
    const seen = latest.get(key);
    if (seen) duplicates++;
    if (!seen || seen.receivedAt <= f.receivedAt) latest.set(key, f);
  }
  // Per decision (or join) id: every source's latest outcome.
  const byId = new Map<string, FeedbackLine[]>();
  for (const f of latest.values()) {
    const id = f.decisionId !== undefined ? `d:${f.decisionId}` : `j:${f.joinId}`;
    byId.set(id, [...(byId.get(id) ?? []), f]);
  }
  const report: DatasetReport = { decisions: 0, labelled: 0, unlabelled: 0, orphanLabels: 0, withoutInputs: 0, duplicates, conflicts: 0, repeatedDecisions: 0, mismatched: 0, otherTask: 0 };
  const lines: TrainingLine[] = [];
  const used = new Set<string>();
  const seenDecisions = new Set<string>();
  for (const d of all) {
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
    if (d.task !== want) {
      report.otherTask++;
      continue;
    }
    const key = byId.has(`d:${d.decisionId}`) ? `d:${d.decisionId}` : d.joinId !== undefined && byId.has(`j:${d.joinId}`) ? `j:${d.joinId}` : undefined;
    const answers = key ? byId.get(key)! : [];
    const fitting = answers.filter((a) => outcomeOf(a, d.task) !== undefined);
    report.mismatched += answers.length - fitting.length;
    if (!fitting.length) {
      report.unlabelled++;
      continue;
    }
    const newest = fitting.reduce((a, b) => (b.receivedAt > a.receivedAt ? b : a));
    if (new Set(fitting.map((a) => sameKey(outcomeOf(a, d.task)!))).size > 1) report.conflicts++;
    if (!d.inputs) {
      report.withoutInputs++;
      continue;
    }
    report.labelled++;
    lines.push(trainingLine(d, outcomeOf(newest, d.task)!));
  }
  for (const key of byId.keys()) if (!used.has(key)) report.orphanLabels++;
  return { task: want, lines, report };
}
