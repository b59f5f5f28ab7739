import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { runBatch } from '../../functions/events/batch-core.js';
import { readLines } from '../../functions/events/lines.js';
import { handler as inverseVariance } from '../../functions/http/entries/inverse-variance.js';
import { handler as meta } from '../../functions/http/entries/meta.js';
import { ROUTES } from '../../functions/http/routes.js';
import { context, eventV2 } from '../http/events.js';

const body = (r: { body?: string }) => JSON.parse(r.body!);

describe('HTTP', () => {
  it('should serve POST /v1/fuse/inverse-variance: 200 for regression, 400 naming the task for classification', async () => {
    expect(ROUTES.some((r) => r.path === '/v1/fuse/inverse-variance')).toBe(true);
    const ok = await inverseVariance(eventV2('POST', '/v1/fuse/inverse-variance', { task: 'regression', predictions: { a: { value: 1, std: 2 }, b: { value: 2, std: 2 } } }), context());
    expect(ok.statusCode).toBe(200);
    const { std, decisionId, ...rest } = body(ok);
    expect(decisionId).toBe(ok.headers['x-fusion-decision-id']);
    expect(rest).toEqual({ task: 'regression', strategy: 'inverse-variance', value: 1.5, modalities: { used: ['a', 'b'], missing: [] }, contributions: { a: 0.5, b: 0.5 } });
    expect(std).toBeCloseTo(Math.SQRT2, 12);
    const bad = await inverseVariance(eventV2('POST', '/v1/fuse/inverse-variance', { classes: ['a', 'b'], predictions: { x: { probabilities: [0.4, 0.6] } } }), context());
    expect(bad.statusCode).toBe(400);
    expect(body(bad).errors).toEqual([{ path: 'task', message: expect.stringContaining('no classification form') }]);
  });

  it('should list each strategy’s tasks in GET /v1/strategies and one union on task in the OpenAPI document', async () => {
    const list = body(await meta(eventV2('GET', '/v1/strategies'), context())).strategies as { name: string; tasks: string[] }[];
    const tasks = Object.fromEntries(list.map((s) => [s.name, s.tasks]));
    expect(tasks).toMatchObject({
      average: ['classification', 'regression', 'multilabel'],
      product: ['classification', 'multilabel'],
      borda: ['classification'],
      'inverse-variance': ['regression'],
    });
    const doc = body(await meta(eventV2('GET', '/v1/openapi.json'), context()));
    expect(doc.components.schemas.TaskRequest.anyOf).toEqual([
      { $ref: '#/components/schemas/FusionRequest' },
      { $ref: '#/components/schemas/RegressionRequest' },
      { $ref: '#/components/schemas/MultilabelRequest' },
    ]);
    expect(doc.components.schemas.RegressionRequest.properties.task).toEqual({ type: 'string', const: 'regression' });
    expect(doc.paths['/v1/fuse/median'].post.responses['200'].content['application/json'].examples.regression.value).toMatchObject({ task: 'regression', strategy: 'median', value: 1.1 });
  });
});

describe('JSONL batches (fusion batch, S3 batch)', () => {
  it('should fuse lines of the three tasks in order and report the bad one without stopping', async () => {
    const lines = [
      { id: 1, task: 'regression', predictions: { a: { value: 1 }, b: { value: 2 }, c: { value: 9 } } },
      { id: 2, task: 'multilabel', labels: ['x', 'y'], predictions: { a: { scores: [0.2, 0.9] }, b: { scores: [0.4, 0.7] } } },
      { id: 3, task: 'multilabel', labels: ['x'], predictions: { a: { scores: [0.2, 0.9] } } },
      { id: 4, classes: ['n', 'p'], predictions: { a: { probabilities: [0.3, 0.7] } } },
    ].map((l) => JSON.stringify(l));
    let out = '';
    let errs = '';
    const summary = await runBatch(readLines(Readable.from([Buffer.from(lines.join('\n'))])), { output: { write: (t) => void (out += t) }, errors: { write: (t) => void (errs += t) } }, { strategy: 'median' });
    const results = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((r) => [r.id, r.result.value ?? r.result.scores ?? r.result.label])).toEqual([[1, 2], [2, { x: 0.30000000000000004, y: 0.8 }], [4, 'p']]);
    expect(JSON.parse(errs)).toMatchObject({ line: 3, id: 3, error: { status: 400, errors: [{ path: 'predictions.a.scores' }] } });
    expect(summary).toMatchObject({ lines: 4, fused: 3, failed: 1 });
  });
});
