/**
 * The data bucket's key layout, shared by the functions, the CLI and the CDK stack (grants,
 * notifications and lifecycle rules), so a prefix is written down once.
 */
export const PREFIX = {
  profiles: 'profiles/',
  models: 'models/',
  /** Small JSONL files, one Lambda each (S3 notification). */
  batchIn: 'batch/in/',
  /** Large JSONL files, fanned out by the Step Functions Distributed Map (EventBridge). */
  batchInLarge: 'batch/in-large/',
  batchOut: 'batch/out/',
  training: 'training/',
  /** The operator's holdouts: retraining reads them and can never write them. */
  validation: 'validation/',
  reports: 'reports/',
  /** The decision log, written by Firehose as gzipped JSON lines under `dt=YYYY-MM-DD/`. */
  decisions: 'decisions/',
  /** Label feedback, the same way. */
  feedback: 'feedback/',
} as const;

/** The `dt=YYYY-MM-DD/` partition of a time (UTC), as Firehose's prefix expression writes it. */
export function partition(at: Date): string {
  return `dt=${at.toISOString().slice(0, 10)}/`;
}

/** The joins table's attribute names (the store writes them; the stack declares the key and TTL). */
export const JOIN_TABLE = { partitionKey: 'pk', ttl: 'ttl' } as const;

/** Metric names of joins (namespace `LateFusion`, dimension `service`); the stack alarms on them. */
export const JOIN_METRIC = { late: 'JoinLateArrivals', decided: 'JoinsDecided', insufficient: 'JoinsInsufficient' } as const;

/**
 * Metric names of the loop's drift summariser (namespace `LateFusion`): per {profile, modality},
 * and the worst over all of them (dimension `service` only), which the stack alarms on.
 */
export const LOOP_METRIC = {
  psi: 'PSI',
  missingRate: 'MissingRate',
  meanConfidence: 'MeanConfidence',
  disagreementRate: 'DisagreementRate',
  meanContribution: 'MeanContribution',
  maxPsi: 'MaxPSI',
  maxMissingRate: 'MaxMissingRate',
} as const;

/** Metric the shadows emit per {profile, shadow} when one fails (functions/loop/variants.ts); the stack alarms on it. */
export const SHADOW_FAILURES_METRIC = 'ShadowFailures';
