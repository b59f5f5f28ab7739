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
