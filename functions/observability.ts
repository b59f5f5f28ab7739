/**
 * Logs and metrics, set up once per process (at cold start) and shared by every function.
 *
 * - `logger`: Powertools Logger, one JSON object per line. Prediction payloads are never logged
 *   unless `FUSION_LOG_PAYLOADS=true` (see `logPayloads`).
 * - `metrics`: Powertools Metrics, CloudWatch embedded metric format (EMF) on stdout.
 *
 * Environment: `POWERTOOLS_SERVICE_NAME` (default "late-fusion"), `POWERTOOLS_METRICS_NAMESPACE`
 * (default "LateFusion"), `POWERTOOLS_LOG_LEVEL`, `POWERTOOLS_METRICS_DISABLED`.
 */
import { LogLevelThreshold, Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { LOOP_METRIC } from './layout.js';

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME || 'late-fusion';

/**
 * Powertools Logger that knows, without reading the environment (as `level` does on every
 * call), whether it writes DEBUG lines. Every level change goes through `setLogLevel`
 * (including the sampling rate's), so the answer is refreshed there.
 */
class FusionLogger extends Logger {
  // `declare`: no field initialiser, which would run after the constructor's own setLogLevel calls.
  declare private debugOn: boolean;

  constructor(options: ConstructorParameters<typeof Logger>[0]) {
    super(options);
    this.debugOn = this.level <= LogLevelThreshold.DEBUG;
  }

  override setLogLevel(logLevel: Parameters<Logger['setLogLevel']>[0]): void {
    super.setLogLevel(logLevel);
    this.debugOn = this.level <= LogLevelThreshold.DEBUG;
  }

  /** Whether DEBUG lines are written now: check it before building a DEBUG line on a hot path. */
  get debugEnabled(): boolean {
    return this.debugOn;
  }
}

/** The structured JSON logger every function writes to. */
export const logger = new FusionLogger({ serviceName: SERVICE });

/** Powertools Metrics that can say whether it is switched off (`POWERTOOLS_METRICS_DISABLED`). */
class FusionMetrics extends Metrics {
  get enabled(): boolean {
    return !this.isDisabled();
  }
}

/** The EMF metrics emitter every function writes to. */
export const metrics = new FusionMetrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'LateFusion', serviceName: SERVICE });

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
  /** The drift summariser's (functions/loop/jobs.ts). */
  ...LOOP_METRIC,
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * Emits `values` (counts) under `dimensions` as one EMF record. Everything happens in one
 * synchronous block, so concurrent requests in one process (the local server) never mix
 * their dimensions.
 */
export function emitMetrics(dimensions: Record<string, string>, values: Partial<Record<MetricName, number>>): void {
  const entries = Object.entries(values);
  if (entries.length === 0 || !metrics.enabled) return;
  for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
  for (const [name, value] of entries) metrics.addMetric(name, MetricUnit.Count, value);
  metrics.publishStoredMetrics();
}

/** Whether logs may carry request and response payloads (`FUSION_LOG_PAYLOADS=true`). */
export function logPayloads(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FUSION_LOG_PAYLOADS === 'true';
}
