/**
 * S3-triggered retraining: labelled data uploaded to `training/<profile>/<name>.jsonl` trains
 * the model kind of the profile's `training` section, writes the artifact to
 * `models/<profile>/<timestamp>.json` and a report (JSON and HTML) to
 * `reports/<profile>/<timestamp>/`, and repoints the profile at the new model only when the
 * promotion guardrail allows it, on the operator's holdout `validation/<profile>/*.jsonl` (or,
 * without one, only with `training.autoPromote`), with a conditional write (If-Match the
 * profile's ETag).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context, S3Event, S3EventRecord } from 'aws-lambda';
import { FusionError, type Profile, toProblem } from '../fusion/index.js';
import { type ModelArtifact, evaluate, parseDataset, sha256 } from '../fusion/learned/index.js';
import { type TaskData, parseTaskData } from '../fusion/learned/task-data.js';
import { evaluateTask } from '../fusion/learned/task-train.js';
import { profileTask } from '../fusion/tasks/index.js';
import { datasetReference } from '../fusion/loop/monitor.js';
import { taskReference } from '../fusion/loop/drift-tasks.js';
import type { MultilabelReference, RegressionReference } from '../fusion/loop/reference.js';
import { PREFIX } from '../layout.js';
import { emitMetrics, logger } from '../observability.js';
import { renderReport } from '../report/index.js';
import { checkModel, checkModelFits, checkProfile, decodeJson } from '../store/index.js';
import { s3Client } from '../store/s3-client.js';
import { httpStatus, unquote } from '../store/s3-read.js';
import { putIfMatch } from './conditional-put.js';
import { provenance } from './provenance.js';
import { retrain, trainingSection } from './promotion.js';
import { retrainTask, taskTrainingSection } from './task-promotion.js';
import { decodeKey } from './s3-event.js';

const TRAINING = /^(.*?)training\/([A-Za-z0-9._-]{1,128})\/(.+)\.jsonl$/;
const IO_TIMEOUT_MS = 30_000;
/** The most a holdout may hold (files, bytes): it is read whole for every retraining. */
export const HOLDOUT_LIMITS = { files: 20, bytes: 64 * 1024 * 1024 } as const;

/** What one upload led to; `decision` is also in the report and the logs. */
export interface RetrainOutcome {
  key: string;
  status: 'promoted' | 'not-promoted' | 'rejected' | 'ignored';
  reason: string;
  modelKey?: string;
  reportKey?: string;
}

let client: S3Client | undefined;
const s3 = () => (client ??= s3Client(process.env, IO_TIMEOUT_MS));

/** Lambda entry: each record in turn. S3 failures throw so Lambda retries; bad data is reported, not retried. */
export async function handler(event: S3Event, context?: Context): Promise<RetrainOutcome[]> {
  if (context) logger.addContext(context);
  const outcomes: RetrainOutcome[] = [];
  for (const record of event.Records) outcomes.push(await processRecord(record));
  return outcomes;
}

async function processRecord(record: S3EventRecord): Promise<RetrainOutcome> {
  const bucket = record.s3.bucket.name;
  const key = decodeKey(record.s3.object.key);
  const m = TRAINING.exec(key);
  if (!record.eventName.startsWith('ObjectCreated') || !m) {
    logger.warn('Not a training upload; ignored', { bucket, key, eventName: record.eventName });
    return { key, status: 'ignored', reason: 'not training/<profile>/<name>.jsonl' };
  }
  const [, prefix, name] = m as unknown as [string, string, string];
  const createdAt = new Date().toISOString();
  const stamp = createdAt.replace(/[:.]/g, '-');
  const at = { bucket, prefix, name, profileKey: `${prefix}profiles/${name}.json`, reportDir: `${prefix}reports/${name}/${stamp}/` };
  const source = `s3://${bucket}/${key}`;

  let data, profile: Profile, profileEtag: string, job: Job;
  try {
    data = await getText(bucket, key);
    const raw = await getText(bucket, at.profileKey);
    const where = `s3://${bucket}/${at.profileKey}`;
    profile = checkProfile(decodeJson(raw.text, where), where);
    profileEtag = raw.etag;
    job = await (profileTask(profile) === 'classification' ? classificationJob : taskJob)(data.text, profile, bucket, `${prefix}${PREFIX.validation}${name}/`);
  } catch (e) {
    if (!(e instanceof FusionError)) throw e;
    return reject(at, key, source, createdAt, e);
  }
  const current = profile.model ? await getModel(bucket, prefix + profile.model.key, profile.model.versionId, profile, at.profileKey) : undefined;
  let trained;
  try {
    trained = job.retrain(current, { dataSha256: sha256(data.text), createdAt });
  } catch (e) {
    if (!(e instanceof FusionError)) throw e;
    return reject(at, key, source, createdAt, e);
  }
  const { artifact, decision } = trained;

  const modelKey = `models/${name}/${stamp}.json`;
  const put = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: prefix + modelKey, Body: `${JSON.stringify(artifact)}\n`, ContentType: 'application/json' }));
  let final: Decision & { conflict?: boolean } = decision;
  if (decision.promote) {
    // The new model's training data is also the new drift reference (fusion monitor, the summariser).
    const updated = { ...profile, model: { key: modelKey, ...(put.VersionId ? { versionId: put.VersionId } : {}) }, ...(job.reference ? { reference: job.reference(createdAt) } : {}) };
    const Metadata = provenance('retrain', `data ${key}; model ${prefix + modelKey}; report ${at.reportDir}report.json`);
    const written = await putIfMatch(s3(), { Bucket: bucket, Key: at.profileKey, Body: `${JSON.stringify(updated, null, 2)}\n`, ContentType: 'application/json', Metadata }, profileEtag);
    if (!written.ok)
      final = { ...decision, promote: false, conflict: true, reason: `not promoted: the guardrail allowed it (${decision.reason}), but profile ${at.profileKey} changed while training (read at ETag ${profileEtag}, now ${written.currentEtag ?? 'another'}); the other write wins. Upload the data again to retrain against the new profile.` };
  }

  const evaluation = job.evaluate(artifact, current);
  const report = {
    profile: name, createdAt, data: { source, etag: data.etag, rows: job.rows, sha256: sha256(data.text) },
    training: job.config, holdout: job.holdout ?? null, model: { key: prefix + modelKey, kind: (artifact as { kind: string }).kind, ...(put.VersionId ? { versionId: put.VersionId } : {}) },
    previousModel: profile.model ?? null, promoted: final.promote, decision: final, evaluation,
  };
  const html = job.render && withDecision(await job.render(evaluation, { title: `Retraining ${name}: ${final.promote ? 'promoted' : 'not promoted'}`, source, createdAt }), final);
  await putReport(at, report, html);
  const status = final.promote ? 'promoted' : 'not-promoted';
  logger.info('Retraining decision', { profile: name, task: profileTask(profile), source, status, model: prefix + modelKey, report: at.reportDir, ...final });
  emitMetrics({ profile: name }, { [final.promote ? 'RetrainPromoted' : 'RetrainNotPromoted']: 1 });
  return { key, status, reason: final.reason, modelKey: prefix + modelKey, reportKey: `${at.reportDir}report.json` };
}

type Where = { bucket: string; prefix: string; name: string; profileKey: string; reportDir: string };
type Decision = { promote: boolean; reason: string };

/** Retraining of one profile's task: its config, data rows and holdout, and how to train, evaluate and render. */
interface Job {
  config: unknown;
  rows: number;
  holdout?: { source: string; rows: number };
  retrain(current: unknown, meta: { dataSha256: string; createdAt: string }): { artifact: unknown; decision: Decision };
  evaluate(artifact: unknown, current: unknown): unknown;
  render?: (evaluation: unknown, meta: Parameters<typeof renderReport>[1]) => Promise<string>;
  /** The drift reference of the training data (of the profile's task), stored with a promoted model. */
  reference?: (createdAt: string) => Profile['reference'] | RegressionReference | MultilabelReference;
}

const NO_TRAINING = (name: string, example: string) =>
  new FusionError('invalid-request', `profile "${name}" has no "training" section; add one such as ${example}`);

/** A classification profile's retraining (`promotion.ts`). */
async function classificationJob(text: string, profile: Profile, bucket: string, holdoutDir: string): Promise<Job> {
  const config = trainingSection(profile);
  if (!config) throw NO_TRAINING(profile.name, '{"model": "logistic", "C": 1.0, "promotionMargin": 0.01}');
  const dataset = parseDataset(text, profile);
  const holdout = await getHoldout(bucket, holdoutDir, (t) => parseDataset(t, profile).examples);
  const held = holdout && { holdout: { classes: profile.classes, modalities: profile.modalities, examples: holdout.rows }, holdoutSource: holdout.source };
  return {
    config,
    rows: dataset.examples.length,
    ...(holdout ? { holdout: { source: holdout.source, rows: holdout.rows.length } } : {}),
    retrain: (current, meta) => retrain(dataset, profile, config, current as ModelArtifact | undefined, { ...meta, ...held }),
    evaluate: (artifact, current) =>
      evaluate(dataset, profile, { models: [{ name: 'new model (fitted on this data)', artifact: artifact as ModelArtifact }, ...(current ? [{ name: 'current model', artifact: current as ModelArtifact }] : [])] }),
    render: (evaluation, meta) => renderReport(evaluation as Parameters<typeof renderReport>[0], meta),
    reference: (createdAt) => datasetReference(dataset, createdAt),
  };
}

/** A regression or multi-label profile's retraining (`task-promotion.ts`); the report is JSON only. */
async function taskJob(text: string, profile: Profile, bucket: string, holdoutDir: string): Promise<Job> {
  const config = taskTrainingSection(profile);
  const example = profileTask(profile) === 'regression' ? '{"model": "ridge", "alpha": 1.0}' : '{"model": "logistic", "C": 1.0}';
  if (!config) throw NO_TRAINING(profile.name, example);
  const data = parseTaskData(text, profile);
  const holdout = await getHoldout(bucket, holdoutDir, (t) => [parseTaskData(t, profile)]);
  const held = holdout && { holdout: mergeTaskData(holdout.rows), holdoutSource: holdout.source };
  return {
    config,
    rows: data.rows.length,
    ...(held ? { holdout: { source: held.holdoutSource, rows: held.holdout.rows.length } } : {}),
    retrain: (current, meta) => retrainTask(data, profile, config, current, { ...meta, ...held }),
    evaluate: (artifact, current) => evaluateTask(data, [{ name: 'new model (fitted on this data)', artifact }, ...(current ? [{ name: 'current model', artifact: current }] : [])]),
    reference: (createdAt) => taskReference(data, createdAt),
  };
}

function mergeTaskData(parts: TaskData[]): TaskData {
  return { ...parts[0]!, rows: parts.flatMap((p) => p.rows as unknown[]), targets: parts.flatMap((p) => p.targets as unknown[]) } as TaskData;
}

/** Data or profile that cannot be trained on: a report saying why, no model, no retry. */
async function reject(at: Where, key: string, source: string, createdAt: string, e: FusionError): Promise<RetrainOutcome> {
  const problem = toProblem(e);
  const reason = `rejected: ${problem.detail}`;
  await putReport(at, { profile: at.name, createdAt, data: { source }, promoted: false, decision: { promote: false, reason }, problem });
  logger.warn('Retraining rejected', { source, reason, errors: problem.errors });
  emitMetrics({}, { RetrainRejected: 1 });
  return { key, status: 'rejected', reason, reportKey: `${at.reportDir}report.json` };
}

async function putReport(at: Where, report: unknown, html?: string): Promise<void> {
  const put = (file: string, body: string, type: string) =>
    s3().send(new PutObjectCommand({ Bucket: at.bucket, Key: `${at.reportDir}${file}`, Body: body, ContentType: type }));
  await put('report.json', `${JSON.stringify(report, null, 2)}\n`, 'application/json');
  if (html) await put('report.html', html, 'text/html; charset=utf-8');
}

/** The decision as the report's first section. */
function withDecision(html: string, d: Decision): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const section = `\n<section id="decision"><h2>Decision: ${d.promote ? 'promoted' : 'not promoted'}</h2><p>${esc(d.reason)}</p></section>`;
  return html.replace('</h1>', `</h1>${section}`);
}

/**
 * The operator's holdout: every `*.jsonl` under `dir` (at most `HOLDOUT_LIMITS`), each parsed
 * with `parse`; undefined when there is none. A bad holdout is rejected, naming the file.
 */
async function getHoldout<T>(bucket: string, dir: string, parse: (text: string) => T[]): Promise<{ rows: T[]; source: string } | undefined> {
  const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: dir, MaxKeys: 1000 }));
  const files = (listed.Contents ?? []).filter((o) => o.Key?.endsWith('.jsonl'));
  const source = `s3://${bucket}/${dir}*.jsonl`;
  if (files.length === 0) return undefined;
  const bytes = files.reduce((n, o) => n + (o.Size ?? 0), 0);
  if (files.length > HOLDOUT_LIMITS.files || listed.IsTruncated || bytes > HOLDOUT_LIMITS.bytes)
    throw new FusionError('invalid-request', `the holdout ${source} has ${files.length}${listed.IsTruncated ? '+' : ''} files of ${bytes} bytes; keep it to at most ${HOLDOUT_LIMITS.files} files and ${HOLDOUT_LIMITS.bytes} bytes`);
  const parts = await Promise.all(
    files.map(async ({ Key }) => {
      try {
        return parse((await getText(bucket, Key!)).text);
      } catch (e) {
        if (!(e instanceof FusionError)) throw e;
        throw new FusionError(e.code, `holdout s3://${bucket}/${Key}: ${e.message}`, e.errors);
      }
    }),
  );
  return { rows: parts.flat(), source };
}

async function getText(bucket: string, key: string, versionId?: string): Promise<{ text: string; etag: string }> {
  try {
    const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    return { text: await out.Body!.transformToString('utf-8'), etag: unquote(out.ETag ?? '') };
  } catch (e) {
    if (httpStatus(e) === 404) throw new FusionError('not-found', `s3://${bucket}/${key}${versionId ? ` version ${versionId}` : ''} does not exist.`);
    throw e;
  }
}

/**
 * The profile's current model. One that no longer loads (missing, invalid, or disagreeing with
 * the profile) counts as none, so a good model can replace it.
 */
async function getModel(bucket: string, key: string, versionId: string | undefined, profile: Profile, profileKey: string): Promise<ModelArtifact | undefined> {
  try {
    const { text } = await getText(bucket, key, versionId);
    const where = `s3://${bucket}/${key}`;
    const model = checkModel(decodeJson(text, where), where);
    checkModelFits(profile, model, `s3://${bucket}/${profileKey}`, where);
    return model;
  } catch (e) {
    if (!(e instanceof FusionError)) throw e;
    logger.warn('The current model cannot be loaded; treating the profile as having none', { key, reason: e.message });
    return undefined;
  }
}
