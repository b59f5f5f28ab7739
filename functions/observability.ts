/**
 * Logs and metrics, set up once per process (at cold start) and shared by every function.
 *
 * - `logger`: one JSON object per line, with Powertools Logger's fields and level rules
 *   (functions/logger.ts). Prediction payloads are never logged unless `FUSION_LOG_PAYLOADS=true`
 *   (see `logPayloads`).
 * - `emitMetrics`: CloudWatch embedded metric format (EMF) records on stdout, written here in a
 *   few dozen lines instead of Powertools Metrics (13 KB of every bundle); `metrics` says
 *   whether they are on.
 *
 * Neither imports anything at load but `logger.ts`: no `node:crypto`, no `node:console`.
 *
 * Environment: `POWERTOOLS_SERVICE_NAME` (default "late-fusion"), `POWERTOOLS_METRICS_NAMESPACE`
 * (default "LateFusion"), `POWERTOOLS_LOG_LEVEL`, `POWERTOOLS_METRICS_DISABLED`.
 */
import { Logger } from './logger.js';
import { LOOP_METRIC } from './layout.js';

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME || 'late-fusion';

/** The structured JSON logger every function writes to (functions/logger.ts). */
export const logger = new Logger({ service: SERVICE });

/** CloudWatch metric units (the EMF specification's list). */
export type MetricUnit =
  | 'Seconds' | 'Microseconds' | 'Milliseconds' | 'Bytes' | 'Kilobytes' | 'Megabytes' | 'Gigabytes' | 'Terabytes'
  | 'Bits' | 'Kilobits' | 'Megabits' | 'Gigabits' | 'Terabits' | 'Percent' | 'Count'
  | 'Bytes/Second' | 'Kilobytes/Second' | 'Megabytes/Second' | 'Gigabytes/Second' | 'Terabytes/Second'
  | 'Bits/Second' | 'Kilobits/Second' | 'Megabits/Second' | 'Gigabits/Second' | 'Terabits/Second'
  | 'Count/Second' | 'None';

/** How the metrics are written, read once from the environment. */
export interface MetricsConfig {
  /** False when `POWERTOOLS_METRICS_DISABLED` is true-ish, or unset and `POWERTOOLS_DEV` is true-ish. */
  readonly enabled: boolean;
  /** `POWERTOOLS_METRICS_NAMESPACE`, default "LateFusion". */
  readonly namespace: string;
  /** `POWERTOOLS_SERVICE_NAME`, default "late-fusion": the `service` dimension of every record. */
  readonly service: string;
}

const TRUE = new Set(['1', 'y', 'yes', 't', 'true', 'on']);
const FALSE = new Set(['0', 'n', 'no', 'f', 'false', 'off']);

/** Powertools' boolean reading of a variable: the words it knows, else `fallback` (it threw). */
function flag(value: string | undefined, fallback: boolean): boolean {
  const v = value?.trim().toLowerCase() ?? '';
  return TRUE.has(v) ? true : FALSE.has(v) ? false : fallback;
}

/**
 * The metrics settings `env` asks for, as Powertools Metrics read them: `POWERTOOLS_METRICS_DISABLED`
 * wins when set; without it, `POWERTOOLS_DEV` switches metrics off. A value that is not a boolean
 * word leaves metrics on (Powertools failed the function's init on it).
 */
export function metricsConfig(env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  const disabled = env.POWERTOOLS_METRICS_DISABLED !== undefined ? flag(env.POWERTOOLS_METRICS_DISABLED, false) : flag(env.POWERTOOLS_DEV, false);
  return { enabled: !disabled, namespace: env.POWERTOOLS_METRICS_NAMESPACE || 'LateFusion', service: env.POWERTOOLS_SERVICE_NAME || 'late-fusion' };
}

/** The settings every function's metrics follow, read at cold start. */
export const metrics: MetricsConfig = metricsConfig();

/** Metric names, in one place so dashboards, alarms and code agree. */
export const METRIC = {
  /** Decisions produced (1 per single request, one per item of a batch). */
  decisionsFused: 'DecisionsFused',
  /** Items in a request (1 for a single request). */
  itemsPerRequest: 'ItemsPerRequest',
  /** Expected modalities that were absent, summed over the request's decisions. */
  missingModalities: 'MissingModalities',
  /** Requests rejected as invalid (400, 413, 415, 422). */
  validationFailures: 'ValidationFailures',
  /** Decisions made with a stale cached profile (the store could not refresh it). */
  staleProfiles: 'StaleProfiles',
  /** Requests answered 503 because a stored model gave a non-finite answer. */
  modelFailures: 'ModelFailures',
  /** Whether a shadow chose the answer's label: 1 or 0 per decision, averaged over a request's decisions. */
  shadowAgreement: 'ShadowAgreement',
  /** Shadows that failed (their model did not load, their strategy is unknown, they threw); the answer stands. */
  shadowFailures: 'ShadowFailures',
  // Label-free monitoring, per {profile, modality}, from each logged decision naming a profile.
  // Each is a sum over a request's decisions, so rates are ratios of sums (metric math):
  // missing rate = ModalityMissing / ModalityDecisions; mean confidence = ModalityConfidence /
  // (ModalityDecisions - ModalityMissing); likewise disagreement and contribution.
  /** Decisions that expected the modality (present or missing). */
  modalityDecisions: 'ModalityDecisions',
  /** Decisions where the expected modality was missing (0/1 each). */
  modalityMissing: 'ModalityMissing',
  /** Sum of the modality's confidence (classification: its top probability; multilabel: mean max(s, 1 - s)). */
  modalityConfidence: 'ModalityConfidence',
  /** Decisions where the modality's own answer differed from the decision (0/1 each; not for regression). */
  modalityDisagreement: 'ModalityDisagreement',
  /** Sum of the modality's contribution to the decision. */
  modalityContribution: 'ModalityContribution',
  /** Feedback stored (`POST /v1/feedback` answered 202), per `task` (from the outcome given). */
  feedbackAccepted: 'FeedbackAccepted',
  /** Feedback refused, per `reason`: the problem type (invalid-request, invalid-json, unavailable, ...). */
  feedbackRejected: 'FeedbackRejected',
  /** The drift summariser's (functions/loop/jobs.ts). */
  ...LOOP_METRIC,
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** EMF and CloudWatch limits: metrics per record, dimension keys per set (`service` included), name and dimension value lengths. */
export const EMF_LIMITS = { metrics: 100, dimensions: 30, nameLength: 255, dimensionValueLength: 1024 } as const;

/** One CloudWatch embedded metric format (EMF) record. */
export interface EmfRecord {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: MetricUnit }[] }[] };
  [key: string]: unknown;
}

/**
 * The EMF records for `values` under `dimensions` (plus `service`), in units `units` (Count
 * where not given): one record per 100 metrics. Values that are not finite numbers, names of
 * 0 or more than 255 characters, dimension values that are empty or over 1024 characters, and
 * metrics named like a dimension are left out (CloudWatch would reject or misread them); more
 * than 30 dimensions is a programming error and throws.
 */
export function emfRecords(
  config: Pick<MetricsConfig, 'namespace' | 'service'>,
  dimensions: Readonly<Record<string, string>>,
  values: Readonly<Partial<Record<string, number>>>,
  units: Readonly<Partial<Record<string, MetricUnit>>> = {},
  timestamp = Date.now(),
): EmfRecord[] {
  const dims: Record<string, string> = { service: config.service };
  for (const [name, value] of Object.entries(dimensions)) if (validName(name) && typeof value === 'string' && value !== '' && value.length <= EMF_LIMITS.dimensionValueLength) dims[name] = value;
  const keys = Object.keys(dims);
  if (keys.length > EMF_LIMITS.dimensions) throw new RangeError(`At most ${EMF_LIMITS.dimensions} metric dimensions (service included); got ${keys.length}.`);
  const entries = Object.entries(values).filter((e): e is [string, number] => validName(e[0]) && typeof e[1] === 'number' && Number.isFinite(e[1]) && !Object.hasOwn(dims, e[0]));
  const records: EmfRecord[] = [];
  for (let i = 0; i < entries.length; i += EMF_LIMITS.metrics) {
    const chunk = entries.slice(i, i + EMF_LIMITS.metrics);
    const Metrics = chunk.map(([Name]) => ({ Name, Unit: (Object.hasOwn(units, Name) && units[Name]) || 'Count' }));
    records.push({ _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: config.namespace, Dimensions: [keys], Metrics }] }, ...dims, ...Object.fromEntries(chunk) });
  }
  return records;
}

const validName = (name: string) => name.length > 0 && name.length <= EMF_LIMITS.nameLength;

/**
 * Emits `values` (counts, unless `units` names another unit) under `dimensions` as CloudWatch
 * EMF on stdout, one JSON line per record. Each call writes its own records at once, so
 * concurrent requests in one process (the local server) never mix their dimensions. Nothing
 * is written when metrics are disabled (`metrics.enabled`).
 */
export function emitMetrics(
  dimensions: Readonly<Record<string, string>>,
  values: Readonly<Partial<Record<MetricName | (string & {}), number>>>,
  units?: Readonly<Partial<Record<string, MetricUnit>>>,
): void {
  if (!metrics.enabled) return;
  for (const record of emfRecords(metrics, dimensions, values, units)) process.stdout.write(`${JSON.stringify(record)}\n`);
}

/** Whether logs may carry request and response payloads (`FUSION_LOG_PAYLOADS=true`). */
export function logPayloads(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FUSION_LOG_PAYLOADS === 'true';
}
