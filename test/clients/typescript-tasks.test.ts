/**
 * The TypeScript client's regression and multi-label fusion against the real fusion serve: each
 * answer equal to the raw API's, typed by the request's task (the type-level checks are in
 * package.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FusionClient, FusionProblemError, type MultilabelRequest, type MultilabelResponse, type RegressionRequest, type RegressionResponse } from '@late-fusion/client';
import { type ServeProcess, startServe } from './server.js';

let serve: ServeProcess;
beforeAll(async () => {
  serve = await startServe();
});
afterAll(() => serve?.close());

describe('TypeScript client: regression and multi-label fusion, live', () => {
  const client = () => new FusionClient({ endpoint: serve.url });
  const post = async (strategy: string, body: unknown) =>
    (await fetch(`${serve.url}/v1/fuse/${strategy}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<unknown>;
  const REG_REQUEST: RegressionRequest = { task: 'regression', decisionId: 'ts-reg-1', predictions: { text: { value: 1.8, std: 0.5 }, audio: { value: 0.9, std: 1.2 } } };
  const ML_REQUEST: MultilabelRequest = {
    task: 'multilabel',
    decisionId: 'ts-ml-1',
    labels: ['person', 'dog', 'outdoor'],
    predictions: { image: { scores: [0.9, 0.2, 0.7] }, audio: { scores: { person: 0.6, dog: 0.8, outdoor: 0.5 } } },
  };

  it('should fuse a regression request as the API answers it, typed as a regression answer', async () => {
    const answer: RegressionResponse = await client().fuse('inverse-variance', REG_REQUEST);
    expect(answer).toEqual(await post('inverse-variance', REG_REQUEST));
    // inverse-variance: weights 1/std^2 = 4 and 1/1.44; value = (4*1.8 + 0.9/1.44) / (4 + 1/1.44)
    expect(answer.value).toBeCloseTo((4 * 1.8 + 0.9 / 1.44) / (4 + 1 / 1.44), 12);
    expect(answer.std).toBeCloseTo(1 / Math.sqrt(4 + 1 / 1.44), 12);
    expect([answer.task, answer.decisionId]).toEqual(['regression', 'ts-reg-1']);
  });

  it('should fuse a multi-label request as the API answers it, typed as a multi-label answer', async () => {
    const answer: MultilabelResponse = await client().fuse('average', ML_REQUEST);
    expect(answer).toEqual(await post('average', ML_REQUEST));
    expect(answer.scores).toEqual({ person: 0.75, dog: 0.5, outdoor: 0.6 });
    expect(answer.labels).toEqual(['person', 'dog', 'outdoor']); // each mean reaches the default threshold 0.5
  });

  it('should fuse regression and multi-label batches (task in the defaults) as the API answers them, one answer per item', async () => {
    const { task: _r, decisionId: _d, ...reg } = REG_REQUEST;
    const regItems = [{ ...reg, decisionId: 'ts-reg-b0' }, { predictions: { text: { value: 2 } }, decisionId: 'ts-reg-b1' }];
    const regs: RegressionResponse[] = await client().fuseBatch('average', regItems, { task: 'regression' });
    expect(regs).toEqual(((await post('average', { task: 'regression', items: regItems })) as { results: unknown[] }).results);
    expect(regs.map((r) => r.value)).toEqual([(1.8 + 0.9) / 2, 2]);
    const { task: _m, decisionId: _e, labels, ...ml } = ML_REQUEST;
    const mlItems = [{ ...ml, decisionId: 'ts-ml-b0' }, { predictions: { image: { scores: [0.1, 0.9, 0.4] } }, decisionId: 'ts-ml-b1' }];
    const mls: MultilabelResponse[] = await client().fuseBatch('max', mlItems, { task: 'multilabel', labels });
    expect(mls).toEqual(((await post('max', { task: 'multilabel', labels, items: mlItems })) as { results: unknown[] }).results);
    expect(mls.map((r) => r.labels)).toEqual([['person', 'dog', 'outdoor'], ['dog']]);
  });

  it('should reject a batch with one bad item whole: a FusionProblemError naming the item, as the API does', async () => {
    const body = { task: 'regression' as const, items: [{ predictions: { text: { value: 1 } } }, { predictions: { text: { value: Number.NaN } } }] };
    const err = (await client().fuseBatch('average', body.items, { task: 'regression' }).catch((e: unknown) => e)) as FusionProblemError;
    expect(err).toBeInstanceOf(FusionProblemError);
    expect(err.problem).toEqual(await post('average', body));
    expect([err.status, err.problem.errors?.map((e) => e.path)]).toEqual([400, ['items.1.predictions.text.value']]);
    const few = { modalities: ['text', 'audio'], options: { minModalities: 2 }, predictions: { text: { value: 1 } } };
    const short = (await client().fuseBatch('average', [{ predictions: { text: { value: 1 } } }, few], { task: 'regression' }).catch((e: unknown) => e)) as FusionProblemError;
    expect([short.status, short.problem.type, short.problem.errors?.[0]?.path]).toEqual([422, 'urn:problem:late-fusion:insufficient-modalities', 'items.1.predictions']);
  });
});
