/**
 * What every task's online evaluation shares: the profile's decisions of one task, each once,
 * joined with the latest feedback that fits that task; what does not fit counted rather than
 * scored; and the label-free views (decisions per variant, shadow failures, missing rates per day).
 */
import type { Task } from '../tasks/task.js';
import type { ClassificationDecision, DecisionLine, MultilabelDecision, RegressionDecision } from './decision-log.js';
import { type FeedbackLine, OUTCOME_FIELD } from './feedback.js';

/** A decision line of task `T`. */
export type DecisionOf<T extends Task> = T extends 'regression' ? RegressionDecision : T extends 'multilabel' ? MultilabelDecision : ClassificationDecision;

/** What every task's summary of `fusion monitor` says. */
export interface SummaryBase {
  profile: string;
  task: Task;
  /** This profile's decisions of its task in the period, each once. */
  decisions: number;
  /** Of those, how many had feedback of their task's kind that could be scored. */
  labelled: number;
  /** Feedback (or answers) naming a class or label that is not the profile's: not scored. */
  unknownLabels: number;
  /** This profile's decision lines of another task (the profile changed task): counted, never scored. */
  otherTasks: Record<string, number>;
  /** Decisions whose feedback gives another task's outcome, by what was given: `{"value for classification": 2}`. Not scored. */
  mismatchedFeedback: Record<string, number>;
  /** Per day (UTC, from the decision's time): decisions and each modality's missing rate. */
  missingByDay: { day: string; decisions: number; missingRate: Record<string, number> }[];
}

/**
 * A task's summary: its scores `S` per strategy, per modality alone and per variant (primary,
 * canary: decisions, and scores once some are labelled), its shadows `Sh`, and its label-free
 * statistics `D` per modality over the whole period (with PSI against the reference).
 */
export interface ScoredSummary<S, D, Sh = ShadowCounts> extends SummaryBase {
  byStrategy: Record<string, S>;
  byModality: Record<string, S>;
  byVariant: Record<string, Partial<S> & { decisions: number }>;
  shadows: Record<string, Sh>;
  drift: Record<string, D>;
}

/** A shadow's label-free counts: how often it ran, failed, and (where the line says) agreed with the answer. */
export interface ShadowCounts {
  decisions: number;
  failures: number;
  agreement: number | null;
}

/** One decision and the feedback outcome of its task, if any. */
export interface Joined<D> {
  decision: D;
  truth?: FeedbackLine;
}

type Kind = 'label' | 'value' | 'labels';
const KINDS: readonly Kind[] = ['label', 'value', 'labels'];
const kindOf = (f: FeedbackLine): Kind | undefined => KINDS.find((k) => f[k] !== undefined);

/**
 * The profile `name`'s decisions of `task`, each once (delivery is at least once), each with
 * the latest feedback of that task's kind on its decisionId (else its joinId), over every source.
 */
export function joinLog<T extends Task>(decisions: readonly DecisionLine[], feedback: Iterable<FeedbackLine>, name: string, task: T) {
  const latest = new Map<string, Partial<Record<Kind, FeedbackLine>>>();
  for (const f of feedback) {
    const kind = kindOf(f);
    if (!kind) continue;
    const key = f.decisionId !== undefined ? `d:${f.decisionId}` : `j:${f.joinId}`;
    const byKind = latest.get(key) ?? (latest.set(key, {}), latest.get(key)!);
    const seen = byKind[kind];
    if (!seen || seen.receivedAt <= f.receivedAt) byKind[kind] = f;
  }
  const want = OUTCOME_FIELD[task];
  const seen = new Set<string>();
  const joined: Joined<DecisionOf<T>>[] = [];
  const otherTasks: Record<string, number> = {};
  const mismatchedFeedback: Record<string, number> = {};
  for (const d of decisions) {
    if ((d.profile?.name ?? name) !== name || seen.has(d.decisionId)) continue;
    seen.add(d.decisionId);
    if (d.task !== task) {
      otherTasks[d.task] = (otherTasks[d.task] ?? 0) + 1;
      continue;
    }
    const byId = latest.get(`d:${d.decisionId}`);
    const byJoin = d.joinId !== undefined ? latest.get(`j:${d.joinId}`) : undefined;
    for (const k of KINDS)
      if (k !== want && (byId?.[k] ?? byJoin?.[k])) mismatchedFeedback[`${k} for ${task}`] = (mismatchedFeedback[`${k} for ${task}`] ?? 0) + 1;
    const truth = byId?.[want] ?? byJoin?.[want];
    joined.push(truth ? { decision: d as DecisionOf<T>, truth } : { decision: d as DecisionOf<T> });
  }
  return { joined, otherTasks, mismatchedFeedback };
}

/** Decisions per variant (primary unless the line says canary). */
export function variantCounts(lines: readonly DecisionLine[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of lines) out.set(d.variant ?? 'primary', (out.get(d.variant ?? 'primary') ?? 0) + 1);
  return out;
}

/** Each shadow's runs, failures and agreement with the answer (`agree`, else the same label for classification). */
export function shadowCounts(lines: readonly DecisionLine[]): Map<string, ShadowCounts> {
  const acc = new Map<string, { decisions: number; failures: number; agree: number; compared: number }>();
  for (const d of lines)
    for (const s of d.shadows ?? []) {
      const c = acc.get(s.name) ?? { decisions: 0, failures: 0, agree: 0, compared: 0 };
      c.decisions++;
      const agree = s.agree ?? (d.task === 'classification' && s.label !== undefined ? s.label === d.output.label : undefined);
      if (s.error !== undefined) c.failures++;
      else if (agree !== undefined) (c.compared++, (c.agree += +agree));
      acc.set(s.name, c);
    }
  return new Map([...acc].map(([k, c]) => [k, { decisions: c.decisions, failures: c.failures, agreement: c.compared ? c.agree / c.compared : null }]));
}

/** Each modality's missing rate per UTC day of the decisions' times. */
export function missingByDay(lines: readonly DecisionLine[], modalities: readonly string[]): SummaryBase['missingByDay'] {
  const days = new Map<string, DecisionLine[]>();
  for (const d of lines) {
    const day = d.time.slice(0, 10);
    (days.get(day) ?? days.set(day, []).get(day)!).push(d);
  }
  return [...days.keys()].sort().map((day) => {
    const ds = days.get(day)!;
    return { day, decisions: ds.length, missingRate: Object.fromEntries(modalities.map((m) => [m, ds.filter((d) => !d.modalities[m]).length / ds.length])) };
  });
}

/** A map of groups made on first use. */
export class Groups<G> extends Map<string, G> {
  constructor(private readonly make: () => G) {
    super();
  }
  at(key: string): G {
    return this.get(key) ?? (this.set(key, this.make()), this.get(key)!);
  }
}
