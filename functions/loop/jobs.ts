/**
 * The loop's two scheduled jobs, apart from Lambda: the dataset job joins each profile's
 * decisions with their feedback into `training/<profile>/<date>.jsonl` (which retraining picks
 * up), and the drift summariser computes each profile's label-free statistics and PSI per
 * modality, emits them as metrics and logs a summary. Both read a bounded window of the log.
 */
import * as z from 'zod/mini';
import { FusionError, type Profile } from '../fusion/index.js';
import { type ClassificationTrainingLine, type MultilabelTrainingLine, type TrainingLine, buildDataset } from '../fusion/loop/dataset.js';
import type { DecisionLine } from '../fusion/loop/decision-log.js';
import { type ModalityStats, modalityStats } from '../fusion/loop/monitor.js';
import { type MultilabelModalityStats, type RegressionModalityStats, multilabelDrift, regressionDrift } from '../fusion/loop/drift-tasks.js';
import type { MultilabelReference, RegressionReference } from '../fusion/loop/reference.js';
import { profileTask } from '../fusion/tasks/common.js';
import type { Task } from '../fusion/tasks/task.js';
import { LOOP_METRIC, PREFIX } from '../layout.js';
import { positiveInt } from '../limits.js';
import { emitMetrics } from '../observability.js';
import { type Store, checkProfile } from '../store/index.js';
import { type CollectLimits, collect, loopLimits } from './collect.js';
import type { LogSource } from './logs.js';

const DAY = 86_400_000;
/** At most this many profiles per run (the rest are reported as truncated). */
export const MAX_PROFILES_PER_RUN = 100;

const Name = z.string().check(z.regex(/^[A-Za-z0-9._-]{1,128}$/, 'a profile name is 1 to 128 letters, digits, ".", "_" or "-"'));

/**
 * The input EventBridge Scheduler sends (the stack sets it from the schedule's context
 * attributes): when the run was scheduled, and optionally a window or profiles overriding the
 * function's configuration for one run.
 */
export const ScheduledRun = z.object({
  scheduledTime: z.iso.datetime({ offset: true, error: 'scheduledTime must be an ISO 8601 time such as 2026-12-01T00:30:00Z (<aws.scheduler.scheduled-time>)' }),
  scheduleArn: z.optional(z.string().check(z.maxLength(2048))),
  executionId: z.optional(z.string().check(z.maxLength(256))),
  attemptNumber: z.optional(z.union([z.string().check(z.maxLength(8)), z.number()])),
  days: z.optional(z.int().check(z.gte(1, 'days must be from 1 to 31'), z.lte(31, 'days must be from 1 to 31'))),
  profiles: z.optional(z.array(Name).check(z.maxLength(MAX_PROFILES_PER_RUN, `profiles names at most ${MAX_PROFILES_PER_RUN} profiles`))),
});
export type ScheduledRun = z.infer<typeof ScheduledRun>;

/** What a job reads from its environment. */
export interface JobConfig {
  /** `FUSION_LOOP_DAYS` (default 1): the window is the `days` × 24 h before the scheduled time. */
  days: number;
  /** `FUSION_LOOP_PROFILES` (comma-separated); default: the stored profiles. */
  profiles?: string[];
  /** `FUSION_DATASET_MIN_ROWS` (default 1): fewer labelled lines write no file. */
  minRows: number;
  limits: CollectLimits;
}

/** The jobs' configuration; a bad value fails fast, naming the variable. */
export function jobConfig(env: NodeJS.ProcessEnv): JobConfig {
  const profiles = env.FUSION_LOOP_PROFILES?.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = profiles?.find((p) => !Name.safeParse(p).success);
  if (bad !== undefined) throw new FusionError('invalid-configuration', `FUSION_LOOP_PROFILES names "${bad.slice(0, 40)}", not a profile name; give comma-separated names of letters, digits, ".", "_" or "-".`);
  return { days: positiveInt(env, 'FUSION_LOOP_DAYS', 1), minRows: positiveInt(env, 'FUSION_DATASET_MIN_ROWS', 1), limits: loopLimits(env), ...(profiles?.length ? { profiles } : {}) };
}

/** The run's window, `[from, to)`, and its profiles (the event's overrides first). */
export function runWindow(run: ScheduledRun, config: JobConfig): { from: Date; to: Date; days: number; profiles?: string[] } {
  const to = new Date(run.scheduledTime);
  const days = run.days ?? config.days;
  const profiles = run.profiles ?? config.profiles;
  return { from: new Date(to.getTime() - days * DAY), to, days, ...(profiles ? { profiles } : {}) };
}

/** Parses the scheduler's input; a bad one is a FusionError naming the field. */
export function parseRun(event: unknown): ScheduledRun {
  const parsed = ScheduledRun.safeParse(event);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!;
  throw new FusionError('invalid-request', `the scheduled input is not valid: ${first.path.join('.') || 'input'}: ${first.message}`);
}

const inWindow = (from: Date, to: Date) => (d: DecisionLine) => {
  const t = Date.parse(d.time);
  return t >= from.getTime() && t < to.getTime();
};

/** A stored profile, or why it cannot be used. */
async function profileOf(store: Store, name: string): Promise<Profile | string> {
  try {
    const raw = await store.getJson(`${PREFIX.profiles}${name}.json`);
    return checkProfile(raw, `${PREFIX.profiles}${name}.json`);
  } catch (e) {
    if (e instanceof FusionError) return e.message.slice(0, 300);
    throw e;
  }
}

/** What a job did, for its log line and its return value. */
export interface JobSummary<T> {
  from: string;
  to: string;
  files: number;
  unreadableLines: number;
  truncated: string[];
  profiles: Record<string, T>;
}

/** One profile's outcome of the dataset job. */
export type DatasetOutcome = ReturnType<typeof buildDataset>['report'] & { task: Task; unknownLabels: number; key?: string; skipped?: string };

/** The outcomes a profile knows, or undefined when every outcome of its task fits (regression). */
function knownOutcomes(profile: Profile, task: Task): ((l: TrainingLine) => boolean) | undefined {
  if (task === 'classification') return (l) => profile.classes.includes((l as ClassificationTrainingLine).label);
  if (task === 'multilabel') {
    const labels = new Set((profile as unknown as { labels?: string[] }).labels ?? []);
    return (l) => (l as MultilabelTrainingLine).labels.every((x) => labels.has(x));
  }
  return undefined;
}

/**
 * For each profile (configured, or every stored profile with a `training` section), of any
 * task: its decisions of the window joined with their feedback, in the lines its task's
 * retraining reads, written to `training/<profile>/<YYYY-MM-DD>.jsonl` when there are at least
 * `minRows` labelled lines.
 */
export async function datasetJob(
  deps: { source: LogSource; store: Store; put(key: string, body: string): Promise<void> },
  run: ScheduledRun,
  config: JobConfig,
): Promise<JobSummary<DatasetOutcome | { skipped: string }>> {
  const w = runWindow(run, config);
  const truncated: string[] = [];
  let names = w.profiles ?? (await deps.store.listProfiles());
  if (names.length > MAX_PROFILES_PER_RUN) {
    truncated.push(`profiles: ${names.length} stored, only the first ${MAX_PROFILES_PER_RUN} were processed (set FUSION_LOOP_PROFILES)`);
    names = names.slice(0, MAX_PROFILES_PER_RUN);
  }
  const read = await collect(deps.source, w.from, config.limits, inWindow(w.from, w.to));
  const out: JobSummary<DatasetOutcome | { skipped: string }> = { from: w.from.toISOString(), to: w.to.toISOString(), files: read.files, unreadableLines: read.unreadableLines, truncated: [...truncated, ...read.truncated], profiles: {} };
  for (const name of names) {
    const profile = await profileOf(deps.store, name);
    if (typeof profile === 'string') {
      out.profiles[name] = { skipped: profile };
      continue;
    }
    // Without a training section retraining would reject the file; configured profiles are written regardless.
    if (!w.profiles && !profile.training) {
      out.profiles[name] = { skipped: 'no "training" section: retraining would reject the file (name it in FUSION_LOOP_PROFILES to write it anyway)' };
      continue;
    }
    const task = profileTask(profile);
    const built = buildDataset(read.decisions, read.feedback, name, task);
    // A class or label the profile lacks would make retraining reject the whole file.
    const known = knownOutcomes(profile, task);
    const lines = known ? built.lines.filter(known) : built.lines;
    const report = { ...built.report, task, labelled: lines.length, unknownLabels: built.lines.length - lines.length };
    if (lines.length < config.minRows) {
      out.profiles[name] = { ...report, skipped: `${lines.length} labelled lines, fewer than FUSION_DATASET_MIN_ROWS (${config.minRows})` };
      continue;
    }
    const key = `${PREFIX.training}${name}/${w.to.toISOString().slice(0, 10)}.jsonl`;
    await deps.put(key, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    out.profiles[name] = { ...report, key };
  }
  return out;
}

/** One modality's statistics, of the profile's task. */
export type AnyModalityStats = ModalityStats | RegressionModalityStats | MultilabelModalityStats;

/** One profile's outcome of the drift summariser. */
export type DriftOutcome = { decisions: number; task: string; modalities: Record<string, AnyModalityStats> } | { decisions: number; skipped: string };

/** Each modality's statistics and PSI against the profile's reference, by the profile's task. */
function driftOf(lines: DecisionLine[], profile: Profile): Record<string, AnyModalityStats> {
  const task = profileTask(profile);
  const view = profile as unknown as { labels?: string[]; reference?: unknown };
  if (task === 'regression') return regressionDrift(lines, profile.modalities, view.reference as RegressionReference | undefined);
  if (task === 'multilabel') return multilabelDrift(lines, view.labels ?? [], profile.modalities, view.reference as MultilabelReference | undefined);
  return modalityStats(lines, profile.modalities, profile.classes, profile.reference?.shares);
}

/** The metrics of one modality's statistics: those its task has. */
const METRIC_OF = [['psi', LOOP_METRIC.psi], ['meanConfidence', LOOP_METRIC.meanConfidence], ['disagreementRate', LOOP_METRIC.disagreementRate], ['meanContribution', LOOP_METRIC.meanContribution]] as const;

/**
 * Per profile seen in the window's decisions (or configured), of any task: each modality's
 * missing rate, mean confidence and disagreement (classification and multi-label), mean
 * contribution, and PSI against the profile's reference (drift-tasks.ts for regression and multi-label),
 * emitted as metrics per {profile, modality}; then the worst PSI and missing rate over all of
 * them (dimension `service` only), which the alarms watch.
 */
export async function driftJob(deps: { source: LogSource; store: Store }, run: ScheduledRun, config: JobConfig): Promise<JobSummary<DriftOutcome> & { maxPsi: number | null; maxMissingRate: number | null }> {
  const w = runWindow(run, config);
  const keep = inWindow(w.from, w.to);
  // No feedback: the summariser is label-free (and may read decisions/ and profiles/ only).
  const read = await collect(deps.source, w.from, config.limits, (d) => keep(d) && d.profile !== undefined && (!w.profiles || w.profiles.includes(d.profile.name)), false);
  const byProfile = new Map<string, DecisionLine[]>();
  // Delivery is at least once: a decision logged twice counts once.
  const seen = new Set<string>();
  for (const d of read.decisions) if (!seen.has(d.decisionId) && seen.add(d.decisionId)) (byProfile.get(d.profile!.name) ?? byProfile.set(d.profile!.name, []).get(d.profile!.name)!).push(d);
  const truncated = [...read.truncated];
  let names = [...byProfile.keys()].sort();
  if (names.length > MAX_PROFILES_PER_RUN) {
    truncated.push(`profiles: ${names.length} in the log, only the first ${MAX_PROFILES_PER_RUN} were summarised`);
    names = names.slice(0, MAX_PROFILES_PER_RUN);
  }
  const profiles: Record<string, DriftOutcome> = {};
  let maxPsi: number | null = null;
  let maxMissingRate: number | null = null;
  for (const name of names) {
    const lines = byProfile.get(name)!;
    const profile = await profileOf(deps.store, name);
    if (typeof profile === 'string') {
      profiles[name] = { decisions: lines.length, skipped: profile };
      continue;
    }
    const stats = driftOf(lines, profile);
    for (const [modality, s] of Object.entries(stats)) {
      const values: Partial<Record<(typeof LOOP_METRIC)[keyof typeof LOOP_METRIC], number>> = { [LOOP_METRIC.missingRate]: s.missingRate };
      for (const [key, metric] of METRIC_OF) {
        const v = (s as unknown as Record<string, unknown>)[key];
        if (typeof v === 'number') values[metric] = v;
      }
      emitMetrics({ profile: name, modality }, values);
      if (s.psi !== undefined) maxPsi = Math.max(maxPsi ?? 0, s.psi);
      maxMissingRate = Math.max(maxMissingRate ?? 0, s.missingRate);
    }
    profiles[name] = { decisions: lines.length, task: profileTask(profile), modalities: stats };
  }
  const worst: Partial<Record<(typeof LOOP_METRIC)[keyof typeof LOOP_METRIC], number>> = {};
  if (maxPsi !== null) worst[LOOP_METRIC.maxPsi] = maxPsi;
  if (maxMissingRate !== null) worst[LOOP_METRIC.maxMissingRate] = maxMissingRate;
  emitMetrics({}, worst);
  return { from: w.from.toISOString(), to: w.to.toISOString(), files: read.files, unreadableLines: read.unreadableLines, truncated, profiles, maxPsi, maxMissingRate };
}
