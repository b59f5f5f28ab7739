import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'LateFusionTest';
  delete process.env.POWERTOOLS_DEV;
  delete process.env.FUSION_LOG_PAYLOADS;
});

import { withEnv } from '../../functions/http/config.js';
import { handler as product } from '../../functions/http/entries/product.js';
import { context, eventV2 } from './events.js';

// A marker value that only ever appears inside the prediction payload.
const MARKER = 0.123456789;
const REQUEST = { classes: ['a', 'b'], predictions: { x: { probabilities: [MARKER, 1 - MARKER] }, y: { logits: [0.5, 0.25] } }, modalities: ['x', 'y', 'z'] };

type Line = Record<string, unknown> & { _aws?: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
let lines: Line[] = [];
let raw = '';

beforeEach(() => {
  lines = [];
  raw = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const text = String(chunk);
    raw += text;
    for (const l of text.split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const call = (body: unknown, requestEnv?: NodeJS.ProcessEnv) => {
  const event = eventV2('POST', '/v1/fuse/product', body);
  const ctx = context('late-fusion-product');
  const invoke = () => product(event, ctx);
  return { event, ctx, result: requestEnv ? withEnv(requestEnv, invoke) : invoke() };
};

describe('logs', () => {
  it('should log one structured JSON line per request with both request ids and no payload', async () => {
    const { event, ctx, result } = call(REQUEST);
    expect((await result).statusCode).toBe(200);
    const log = lines.find((l) => l.message === 'fused')!;
    expect(log).toMatchObject({ level: 'DEBUG', service: 'late-fusion', strategy: 'product', status: 200, decisions: 1, missing_modalities: 1 });
    expect(log.request_id).toBe(event.requestContext.requestId);
    expect(log.function_request_id).toBe(ctx.awsRequestId);
    expect(raw).not.toContain(String(MARKER));
  });

  it('should not log payloads of rejected requests either', async () => {
    const { result } = call({ ...REQUEST, options: { minModalities: 3 } });
    expect((await result).statusCode).toBe(422);
    expect(lines.find((l) => l.message === 'request rejected')).toMatchObject({ status: 422, strategy: 'product', paths: ['predictions'] });
    expect(raw).not.toContain(String(MARKER));
  });

  it('should log the request and response when FUSION_LOG_PAYLOADS=true', async () => {
    const { result } = call(REQUEST, { ...process.env, FUSION_LOG_PAYLOADS: 'true' });
    expect((await result).statusCode).toBe(200);
    const log = lines.find((l) => l.message === 'fused')!;
    expect(log.request).toEqual(REQUEST);
    expect((log.response as { strategy: string }).strategy).toBe('product');
  });
});

describe('metrics (CloudWatch EMF)', () => {
  const emf = () => lines.filter((l) => l._aws);
  const values = (l: Line) => Object.fromEntries(l._aws!.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, l[m.Name]]));

  it('should emit decisions, items and missing modalities per strategy for a batch', async () => {
    const batch = { classes: ['a', 'b'], modalities: ['x', 'y', 'z'], items: [{ predictions: { x: { label: 'a' } } }, { predictions: { x: { label: 'b' }, y: { label: 'b' } } }] };
    expect((await call(batch).result).statusCode).toBe(200);
    const [record] = emf();
    expect(record!._aws!.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'LateFusionTest', Dimensions: [['service', 'strategy', 'task']] });
    expect(record).toMatchObject({ service: 'late-fusion', strategy: 'product', task: 'classification' });
    expect(values(record!)).toEqual({ DecisionsFused: 2, ItemsPerRequest: 2, MissingModalities: 3 });
  });

  it('should give multi-label decisions the task dimension "multilabel"', async () => {
    const request = { task: 'multilabel', labels: ['a', 'b'], predictions: { x: { scores: [0.2, 0.9] } } };
    expect((await call(request).result).statusCode).toBe(200);
    expect(emf()[0]).toMatchObject({ strategy: 'product', task: 'multilabel', DecisionsFused: 1 });
  });

  it('should count validation failures per strategy', async () => {
    expect((await call({ classes: 'a,b' }).result).statusCode).toBe(400);
    const [record] = emf();
    expect(record).toMatchObject({ strategy: 'product', ValidationFailures: 1 });
    expect(values(record!)).toEqual({ ValidationFailures: 1 });
  });
});
