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
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, S3Event, S3EventRecord } from 'aws-lambda';
import { FusionError, type Profile, toProblem } from '../fusion/index.js';
import { type Dataset, type ModelArtifact, evaluate, parseDataset, sha256 } from '../fusion/learned/index.js';
import { datasetReference } from '../fusion/loop/monitor.js';
import { PREFIX } from '../layout.js';
import { logger, metrics } from '../observability.js';
import { renderReport } from '../report/index.js';
import { checkModel, checkModelFits, checkProfile, decodeJson } from '../store/index.js';
import { s3Client } from '../store/s3-client.js';
import { httpStatus, unquote } from '../store/s3-read.js';
import { putIfMatch } from './conditional-put.js';
import { provenance } from './provenance.js';
import { type PromotionDecision, retrain, trainingSection } from './promotion.js';
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

  let data, profile: Profile, profileEtag: string, prepared, holdout;
  try {
    data = await getText(bucket, key);
    const raw = await getText(bucket, at.profileKey);
    const where = `s3://${bucket}/${at.profileKey}`;
    profile = checkProfile(decodeJson(raw.text, where), where);
    profileEtag = raw.etag;
    const config = trainingSection(profile);
    if (!config) throw new FusionError('invalid-request', `profile "${name}" has no "training" section; add one such as {"model": "logistic", "C": 1.0, "promotionMargin": 0.01}`);
    prepared = { config, dataset: parseDataset(data.text, profile) };
    holdout = await getHoldout(bucket, `${prefix}${PREFIX.validation}${name}/`, profile);
  } catch (e) {
    if (!(e instanceof FusionError)) throw e;
    return reject(at, key, source, createdAt, e);
  }
  const current = profile.model ? await getModel(bucket, prefix + profile.model.key, profile.model.versionId, profile, at.profileKey) : undefined;
  let trained;
  try {
    trained = retrain(prepared.dataset, profile, prepared.config, current, { dataSha256: sha256(data.text), createdAt, ...holdout });
  } catch (e) {
    if (!(e instanceof FusionError)) throw e;
    return reject(at, key, source, createdAt, e);
  }
  const { artifact, decision } = trained;

  const modelKey = `models/${name}/${stamp}.json`;
  const put = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: prefix + modelKey, Body: `${JSON.stringify(artifact)}\n`, ContentType: 'application/json' }));
  let final: PromotionDecision & { conflict?: boolean } = decision;
  if (decision.promote) {
    // The new model's training data is also the new drift reference (fusion monitor, the summariser).
    const updated: Profile = { ...profile, model: { key: modelKey, ...(put.VersionId ? { versionId: put.VersionId } : {}) }, reference: datasetReference(prepared.dataset, createdAt) };
    const Metadata = provenance('retrain', `data ${key}; model ${prefix + modelKey}; report ${at.reportDir}report.json`);
    const written = await putIfMatch(s3(), { Bucket: bucket, Key: at.profileKey, Body: `${JSON.stringify(updated, null, 2)}\n`, ContentType: 'application/json', Metadata }, profileEtag);
    if (!written.ok)
      final = { ...decision, promote: false, conflict: true, reason: `not promoted: the guardrail allowed it (${decision.reason}), but profile ${at.profileKey} changed while training (read at ETag ${profileEtag}, now ${written.currentEtag ?? 'another'}); the other write wins. Upload the data again to retrain against the new profile.` };
  }

  const evaluation = evaluate(prepared.dataset, profile, {
    models: [{ name: 'new model (fitted on this data)', artifact }, ...(current ? [{ name: 'current model', artifact: current }] : [])],
  });
  const report = {
    profile: name, createdAt, data: { source, etag: data.etag, rows: prepared.dataset.examples.length, sha256: artifact.training.dataSha256 },
    training: prepared.config, holdout: holdout ? { source: holdout.holdoutSource, rows: holdout.holdout.examples.length } : null, model: { key: prefix + modelKey, kind: artifact.kind, ...(put.VersionId ? { versionId: put.VersionId } : {}) },
    previousModel: profile.model ?? null, promoted: final.promote, decision: final, evaluation,
  };
  const html = withDecision(await renderReport(evaluation, { title: `Retraining ${name}: ${final.promote ? 'promoted' : 'not promoted'}`, source, createdAt }), final);
  await putReport(at, report, html);
  const status = final.promote ? 'promoted' : 'not-promoted';
  logger.info('Retraining decision', { profile: name, source, status, model: prefix + modelKey, report: at.reportDir, ...final });
  metrics.addDimension('profile', name);
  metrics.addMetric(final.promote ? 'RetrainPromoted' : 'RetrainNotPromoted', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  return { key, status, reason: final.reason, modelKey: prefix + modelKey, reportKey: `${at.reportDir}report.json` };
}

type Where = { bucket: string; prefix: string; name: string; profileKey: string; reportDir: string };

/** Data or profile that cannot be trained on: a report saying why, no model, no retry. */
async function reject(at: Where, key: string, source: string, createdAt: string, e: FusionError): Promise<RetrainOutcome> {
  const problem = toProblem(e);
  const reason = `rejected: ${problem.detail}`;
  await putReport(at, { profile: at.name, createdAt, data: { source }, promoted: false, decision: { promote: false, reason }, problem });
  logger.warn('Retraining rejected', { source, reason, errors: problem.errors });
  metrics.addMetric('RetrainRejected', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  return { key, status: 'rejected', reason, reportKey: `${at.reportDir}report.json` };
}

async function putReport(at: Where, report: unknown, html?: string): Promise<void> {
  const put = (file: string, body: string, type: string) =>
    s3().send(new PutObjectCommand({ Bucket: at.bucket, Key: `${at.reportDir}${file}`, Body: body, ContentType: type }));
  await put('report.json', `${JSON.stringify(report, null, 2)}\n`, 'application/json');
  if (html) await put('report.html', html, 'text/html; charset=utf-8');
}

/** The decision as the report's first section. */
function withDecision(html: string, d: PromotionDecision): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const section = `\n<section id="decision"><h2>Decision: ${d.promote ? 'promoted' : 'not promoted'}</h2><p>${esc(d.reason)}</p></section>`;
  return html.replace('</h1>', `</h1>${section}`);
}

/**
 * The operator's holdout: every `*.jsonl` under `dir` (at most `HOLDOUT_LIMITS`), parsed against
 * the profile; undefined when there is none. A bad holdout is rejected, naming the file.
 */
async function getHoldout(bucket: string, dir: string, profile: Profile): Promise<{ holdout: Dataset; holdoutSource: string } | undefined> {
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
        return parseDataset((await getText(bucket, Key!)).text, profile).examples;
      } catch (e) {
        if (!(e instanceof FusionError)) throw e;
        throw new FusionError(e.code, `holdout s3://${bucket}/${Key}: ${e.message}`, e.errors);
      }
    }),
  );
  return { holdout: { classes: profile.classes, modalities: profile.modalities, examples: parts.flat() }, holdoutSource: source };
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
