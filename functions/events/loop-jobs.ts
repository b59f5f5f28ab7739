/**
 * The loop's scheduled Lambda functions (EventBridge Scheduler, daily by default): `dataset`
 * writes `training/<profile>/<date>.jsonl` from the decision log and feedback, which retraining
 * consumes; `drift` emits each profile's per-modality statistics and PSI as metrics and logs a
 * summary. Both read `decisions/` and `feedback/` of `FUSION_BUCKET` (under `FUSION_PREFIX`).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { FusionError, toProblem } from '../fusion/index.js';
import { type JobConfig, type ScheduledRun, datasetJob, driftJob, jobConfig, parseRun } from '../loop/jobs.js';
import { bucketSource } from '../loop/logs.js';
import { logger } from '../observability.js';
import { createStore } from '../store/index.js';
import { s3Client } from '../store/s3-client.js';

const IO_TIMEOUT_MS = 30_000;
let client: S3Client | undefined;

/** The bucket, the run's input and the configuration, or a logged problem (thrown: the schedule's retries and the Errors alarm see it). */
function start(event: unknown, context: Context | undefined, job: string): { bucket: string; prefix: string; run: ScheduledRun; config: JobConfig } {
  if (context) logger.addContext(context);
  try {
    const bucket = process.env.FUSION_BUCKET;
    if (!bucket) throw new FusionError('invalid-configuration', 'FUSION_BUCKET is not set: the data bucket the decision log is in.');
    return { bucket, prefix: process.env.FUSION_PREFIX ?? '', run: parseRun(event), config: jobConfig(process.env) };
  } catch (e) {
    if (e instanceof FusionError) logger.error(`The ${job} job cannot run`, { problem: toProblem(e) });
    throw e;
  }
}

const s3 = () => (client ??= s3Client(process.env, IO_TIMEOUT_MS));

/** Dataset job: the window's labelled decisions per profile into training/<profile>/<date>.jsonl. */
export async function dataset(event: unknown, context?: Context) {
  const { bucket, prefix, run, config } = start(event, context, 'dataset');
  const summary = await datasetJob(
    {
      source: bucketSource(s3(), bucket, prefix),
      store: createStore(process.env),
      put: async (key, body) => void (await s3().send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: body, ContentType: 'application/x-ndjson' }))),
    },
    run,
    config,
  );
  logger.info('Dataset job', { ...summary });
  return summary;
}

const SHARES = new Set(['classShares', 'labelShares', 'labelPsi', 'binShares']);

/** Drift summariser: per profile and modality, label-free statistics and PSI as metrics and one log line. */
export async function drift(event: unknown, context?: Context) {
  const { bucket, prefix, run, config } = start(event, context, 'drift');
  const summary = await driftJob({ source: bucketSource(s3(), bucket, prefix), store: createStore(process.env) }, run, config);
  // The class, label and bin shares (up to 1000 a modality) stay out of the log line; the metrics carry the rest.
  const brief = (s: object) => Object.fromEntries(Object.entries(s).filter(([k]) => !SHARES.has(k)));
  const profiles = Object.fromEntries(
    Object.entries(summary.profiles).map(([name, p]) => [
      name,
      'modalities' in p ? { decisions: p.decisions, task: p.task, modalities: Object.fromEntries(Object.entries(p.modalities).map(([m, s]) => [m, brief(s)])) } : p,
    ]),
  );
  logger.info('Drift summary', { ...summary, profiles });
  return summary;
}
