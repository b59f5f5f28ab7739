import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../events/shapes.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { mlLine, regLine } from './synthetic-drift-log.js';

/**
 * The daily drift summariser (the Lambda entry, over s3rver) on a synthetic log of regression
 * and multi-label decisions with known shifts:
 * - "prices" (regression; a, b): the reference cuts each modality at 1.8, 3.6, 5.4, 7.2 (a
 *   fifth of the training values a bin). a logs 0..9 (as in training: PSI 0); b logs
 *   0,0,0,0,0,2,4,6,8,8 (shares 0.5, 0.1, 0.1, 0.1, 0.2: PSI 0.3·ln 5 ≈ 0.483). One line is
 *   delivered twice and counts once.
 * - "tags" (multi-label; cat, dog; img, txt): the reference says each puts cat over its
 *   threshold on half the rows and dog on a fifth. img now puts cat on 8 of 10 (mean PSI
 *   0.15·ln 4 ≈ 0.208 > 0.2); txt keeps 5 and 2 of 10 (PSI 0).
 * - "calm" (regression; a, b): values as in training: PSI 0 everywhere.
 * - "bare" (multi-label, no reference): statistics but no PSI.
 */
const today = new Date().toISOString().slice(0, 10);
const time = `${today}T12:00:00.000Z`;
const endOfToday = `${today}T23:59:00Z`;
const ln = Math.log;
const histogram = { edges: [1.8, 3.6, 5.4, 7.2], shares: [0.2, 0.2, 0.2, 0.2, 0.2] };
const training = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const shifted = [0, 0, 0, 0, 0, 2, 4, 6, 8, 8];
const labels = ['cat', 'dog'];
const tagsOf = (cat: number, dog: number, i: number) => [...(i < cat ? ['cat'] : []), ...(i < dog ? ['dog'] : [])];

const profiles = {
  prices: { name: 'prices', task: 'regression', modalities: ['a', 'b'], reference: { rows: 10, histograms: { a: histogram, b: histogram } } },
  calm: { name: 'calm', task: 'regression', modalities: ['a', 'b'], reference: { rows: 10, histograms: { a: histogram, b: histogram } } },
  tags: { name: 'tags', task: 'multilabel', labels, modalities: ['img', 'txt'], reference: { rows: 10, labelShares: { img: [0.5, 0.2], txt: [0.5, 0.2] } } },
  bare: { name: 'bare', task: 'multilabel', labels, modalities: ['img', 'txt'] },
};
const decisions = [
  ...training.map((v, i) => regLine(`p${i}`, { a: v, b: shifted[i]! }, 'prices', time)),
  regLine('p9', { a: 9, b: 8 }, 'prices', time),
  ...training.map((v, i) => regLine(`c${i}`, { a: v, b: v }, 'calm', time)),
  ...training.map((_, i) => mlLine(`t${i}`, { img: tagsOf(8, 2, i), txt: tagsOf(5, 2, i) }, 'tags', time)),
  ...training.map((_, i) => mlLine(`b${i}`, i < 5 ? { img: ['cat'] } : { img: [], txt: ['dog'] }, 'bare', time)),
];

let s3: S3Fixture;
let jobs: typeof import('../../functions/events/loop-jobs.js');
type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
let emf: Emf[] = [];
let logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  s3 = await startS3();
  Object.assign(process.env, s3.env, { POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'INFO' });
  for (const [name, p] of Object.entries(profiles)) await s3.put(`profiles/${name}.json`, p);
  const Body = gzipSync(decisions.map((d) => `${JSON.stringify(d)}\n`).join(''));
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `decisions/dt=${today}/LateFusion-Decisions-1-${today}.jsonl.gz`, Body }));
  jobs = await import('../../functions/events/loop-jobs.js');
});
afterAll(async () => {
  await s3?.stop();
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});
beforeEach(() => {
  emf = [];
  logged = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const l of String(chunk).split('\n').filter(Boolean)) {
      const rec = JSON.parse(l) as Emf;
      if (rec._aws) emf.push(rec);
      else logged.push(rec);
    }
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const metric = (name: string, dims: Record<string, string>) =>
  emf.filter((r) => r._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === name) && Object.entries(dims).every(([k, v]) => r[k] === v)).map((r) => r[name] as number);
const run = (extra: Record<string, unknown> = {}) => jobs.drift({ scheduledTime: endOfToday, ...extra }, lambdaContext('LoopDriftFunction'));

describe('the drift summariser on regression and multi-label profiles', () => {
  it('should emit PSI per modality against the reference, above 0.2 exactly where the log shifted', async () => {
    const summary = await run();
    expect(metric('PSI', { profile: 'prices', modality: 'a' })).toEqual([0]);
    expect(metric('PSI', { profile: 'prices', modality: 'b' })[0]).toBeCloseTo(0.3 * ln(5), 12);
    expect(metric('PSI', { profile: 'tags', modality: 'img' })[0]).toBeCloseTo(0.15 * ln(4), 12);
    expect(metric('PSI', { profile: 'tags', modality: 'txt' })).toEqual([0]);
    expect(summary.profiles.prices).toMatchObject({ decisions: 10, task: 'regression', modalities: { a: { drift: false }, b: { drift: true } } });
    expect(summary.profiles.tags).toMatchObject({ decisions: 10, task: 'multilabel', modalities: { img: { drift: true }, txt: { drift: false } } });
    expect(summary.maxPsi).toBeCloseTo(0.3 * ln(5), 12);
    const worst = emf.find((r) => r.MaxPSI !== undefined)!;
    expect(worst._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    expect(worst.MaxPSI).toBeCloseTo(0.3 * ln(5), 12);
  });

  it('should emit each task’s label-free statistics, and no PSI for a profile without a reference', async () => {
    await run({ profiles: ['bare', 'prices'] });
    expect(metric('MissingRate', { profile: 'bare', modality: 'txt' })).toEqual([0.5]);
    expect(metric('MeanConfidence', { profile: 'bare', modality: 'img' })[0]).toBeCloseTo(0.8, 12);
    expect(metric('DisagreementRate', { profile: 'bare', modality: 'img' })).toEqual([0.25]);
    expect(metric('PSI', { profile: 'bare', modality: 'img' })).toEqual([]);
    // A regression modality has no confidence or disagreement: only what its line carries.
    expect(metric('MeanConfidence', { profile: 'prices', modality: 'a' })).toEqual([]);
    expect(metric('MeanContribution', { profile: 'prices', modality: 'a' })).toEqual([0.5]);
  });

  it('should keep MaxPSI under the alarm’s 0.2 on a stable log', async () => {
    const summary = await run({ profiles: ['calm'] });
    expect(summary.maxPsi).toBe(0);
    expect(emf.find((r) => r.MaxPSI !== undefined)!.MaxPSI).toBe(0);
  });

  it('should keep the per-label and per-bin shares out of its log line', async () => {
    await run({ profiles: ['tags', 'prices'] });
    const line = logged.find((l) => l.message === 'Drift summary')!;
    const text = JSON.stringify(line);
    expect(text).not.toMatch(/labelShares|labelPsi|binShares/);
    expect(line.profiles).toMatchObject({ tags: { task: 'multilabel', modalities: { img: { psi: expect.any(Number), drift: true } } } });
  });
});
