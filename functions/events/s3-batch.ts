/**
 * S3 batch files: an object created under `batch/in/<strategy>/<name>.jsonl` is streamed, fused
 * line by line and written to `batch/out/<strategy>/<name>.jsonl` (and, when a line is invalid,
 * `<name>.errors.jsonl`), both streamed with multipart uploads. The output records the input's
 * ETag in its metadata, so a redelivered event for the same ETag writes nothing.
 *
 * The same function is the item processor of the large-batch Distributed Map
 * (infra/lib/large-batch.ts): given `{"BatchInput", "Items"}` it returns one record per item.
 */
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, S3Event, S3EventRecord } from 'aws-lambda';
import { PassThrough, type Readable } from 'node:stream';
import { recorderConfig } from '../loop/record.js';
import { logger, metrics } from '../observability.js';
import { createStore } from '../store/index.js';
import { s3Client } from '../store/s3-client.js';
import { httpStatus, unquote } from '../store/s3-read.js';
import { type BatchRecord, type BatchSummary, fuseItems, runBatch } from './batch-core.js';
import { maxLineBytes, readLines, writableSink } from './lines.js';
import { decodeKey } from './s3-event.js';

/** Where a batch input's results go. */
interface BatchKeys {
  strategy: string;
  output: string;
  errors: string;
}

const INPUT = /^(.*?)batch\/in\/([^/]+)\/(.+)\.jsonl$/;
/** Metadata key (x-amz-meta-source-etag) recording which input version an output was made from. */
const SOURCE_ETAG = 'source-etag';
/** Batch files stream for minutes; the deadline applies to socket inactivity, not the whole call. */
const IO_TIMEOUT_MS = 60_000;

// A bad FUSION_DECISION_LOG_SAMPLE fails the cold start, naming the variable.
recorderConfig(process.env);
let client: S3Client | undefined;
const s3 = () => (client ??= s3Client(process.env, IO_TIMEOUT_MS));

/** The strategy and output keys of an input key, or undefined when the key is not a batch input. */
function batchKeys(key: string): BatchKeys | undefined {
  const m = INPUT.exec(key);
  if (!m) return undefined;
  const [, prefix, strategy, name] = m as unknown as [string, string, string, string];
  const base = `${prefix}batch/out/${strategy}/${name}`;
  return { strategy, output: `${base}.jsonl`, errors: `${base}.errors.jsonl` };
}

/** What happened to one record. */
export type BatchOutcome = { status: 'fused'; key: string; summary: BatchSummary } | { status: 'duplicate' | 'ignored'; key: string };

/** A Distributed Map child invocation: a batch of a JSONL object's lines, already parsed. */
export interface MapBatchEvent {
  BatchInput: { bucket: string; key: string; strategy: string };
  Items: { index: number; request: unknown }[];
}

/**
 * Lambda entry. An S3 notification: each record in turn; a failure throws so Lambda retries.
 * A Distributed Map batch: the records of its items, in order (`line` = item index + 1).
 */
export async function handler(event: S3Event, context?: Context): Promise<BatchOutcome[]>;
export async function handler(event: MapBatchEvent, context?: Context): Promise<BatchRecord[]>;
export async function handler(event: S3Event | MapBatchEvent, context?: Context): Promise<BatchOutcome[] | BatchRecord[]> {
  if (context) logger.addContext(context);
  if ('Items' in event) return fuseMapBatch(event);
  const outcomes: BatchOutcome[] = [];
  for (const record of event.Records) outcomes.push(await processRecord(record));
  return outcomes;
}

async function fuseMapBatch(event: MapBatchEvent): Promise<BatchRecord[]> {
  const started = performance.now();
  const { strategy, bucket, key } = event.BatchInput;
  const store = createStore(process.env);
  const records = await fuseItems(event.Items, { strategy, loadProfile: (ref) => store.getProfile(ref), runId: objectRunId(bucket, key) });
  const failed = records.filter((r) => 'error' in r).length;
  emitSummary(strategy, { lines: records.length, fused: records.length - failed, failed, seconds: (performance.now() - started) / 1000 });
  logger.info('Map batch fused', { bucket, key, strategy, first: event.Items[0]?.index, items: records.length, failed });
  return records;
}

function emitSummary(strategy: string, summary: BatchSummary): void {
  metrics.addDimension('strategy', strategy);
  metrics.addMetric('BatchLines', MetricUnit.Count, summary.lines);
  metrics.addMetric('BatchLinesFused', MetricUnit.Count, summary.fused);
  metrics.addMetric('BatchLinesFailed', MetricUnit.Count, summary.failed);
  metrics.addMetric('BatchSeconds', MetricUnit.Seconds, summary.seconds);
  metrics.publishStoredMetrics();
}

async function processRecord(record: S3EventRecord): Promise<BatchOutcome> {
  const bucket = record.s3.bucket.name;
  const key = decodeKey(record.s3.object.key);
  const keys = batchKeys(key);
  if (!record.eventName.startsWith('ObjectCreated') || !keys) {
    logger.warn('Not a batch input; ignored', { bucket, key, eventName: record.eventName });
    return { status: 'ignored', key };
  }
  const etag = unquote(record.s3.object.eTag ?? '');
  if (etag && (await outputEtag(bucket, keys.output)) === etag) {
    logger.info('Output already made from this input version; redelivery ignored', { bucket, key, etag, output: keys.output });
    metrics.addMetric('BatchDuplicates', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    return { status: 'duplicate', key };
  }
  const summary = await fuseObject(bucket, key, keys);
  logger.info('Batch fused', { bucket, key, strategy: keys.strategy, output: keys.output, errors: summary.failed ? keys.errors : undefined, ...summary });
  emitSummary(keys.strategy, summary);
  return { status: 'fused', key, summary };
}

/** Streams the input through the batch core into the two outputs; nothing is kept on failure. */
async function fuseObject(bucket: string, key: string, keys: BatchKeys): Promise<BatchSummary> {
  const maxLine = maxLineBytes(process.env);
  const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const etag = unquote(got.ETag ?? '');
  const output = streamedUpload(bucket, keys.output, etag);
  let errors: ReturnType<typeof streamedUpload> | undefined;
  const store = createStore(process.env);
  try {
    const summary = await runBatch(
      readLines(got.Body as Readable, { maxLineBytes: maxLine }),
      {
        output: output.sink,
        errors: { write: (text) => (errors ??= streamedUpload(bucket, keys.errors, etag)).sink.write(text) },
      },
      { strategy: keys.strategy, loadProfile: (ref) => store.getProfile(ref), runId: objectRunId(bucket, key, etag) },
    );
    // The output is written last: it is the marker that this input version is done.
    if (errors) await errors.finish();
    else await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: keys.errors }));
    await output.finish();
    return summary;
  } catch (e) {
    await Promise.allSettled([output.abort(), errors?.abort()]);
    throw e;
  }
}

/**
 * The decision-id stem of an input object's lines (line n: `<stem>:<n>`): a hash of the object
 * (and its version's ETag when known), so a redelivered or retried input keeps its ids.
 */
export function objectRunId(bucket: string, key: string, etag = ''): string {
  return `s3-${createHash('sha256').update(`${bucket}/${key}@${etag}`).digest('hex').slice(0, 32)}`;
}

/** A multipart upload fed through a stream, so memory stays bounded by the part buffers. */
function streamedUpload(bucket: string, key: string, sourceEtag: string) {
  const body = new PassThrough();
  const upload = new Upload({
    client: s3(),
    params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-ndjson', Metadata: { [SOURCE_ETAG]: sourceEtag } },
  });
  const done = upload.done();
  // A failed upload stops draining its stream: fail the writer waiting on it (and observe the
  // rejection here, since finish() may not be reached).
  done.catch((e: unknown) => body.destroy(e as Error));
  const sink = writableSink(body);
  return {
    sink,
    async finish() {
      body.end();
      await done;
    },
    async abort() {
      await upload.abort();
      body.destroy();
    },
  };
}

/** The source ETag recorded on an existing output, if any. */
async function outputEtag(bucket: string, key: string): Promise<string | undefined> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata?.[SOURCE_ETAG];
  } catch (e) {
    if (httpStatus(e) === 404) return undefined;
    throw e;
  }
}
