import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FusionClient, FusionProblemError, FusionTimeoutError, type FusionRequest, type JoinPrediction, type MultilabelPrediction, type RegressionPrediction } from '@late-fusion/client';
import { JOIN_PROFILE, TASK_JOIN_PROFILES, type ServeProcess, TEST_MAX_BODY_BYTES, serverHasJoins, startServe, startStub } from './server.js';

const SENTIMENT: FusionRequest = {
  profile: 'sentiment',
  predictions: { text: { probabilities: [0.1, 0.2, 0.7] }, video: { probabilities: [0.2, 0.5, 0.3] }, audio: { label: 'positive', confidence: 0.6 } },
};
// Answers carry a decisionId: sending our own makes two answers to one request comparable (and
// checks that the server keeps a client's id).
const SENTIMENT_WITH_ID: FusionRequest = { ...SENTIMENT, decisionId: 'ts-live-1' };
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const FAST = { baseMs: 5, maxMs: 2000 };

let serve: ServeProcess;
beforeAll(async () => {
  serve = await startServe();
});
afterAll(() => serve?.close());

describe('TypeScript client against fusion serve (npm start)', () => {
  const client = () => new FusionClient({ endpoint: serve.url });

  it('should fuse a request exactly as the API answers it', async () => {
    const decision = await client().fuse('average', SENTIMENT_WITH_ID);
    const raw = await (await fetch(`${serve.url}/v1/fuse/average`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SENTIMENT_WITH_ID) })).json();
    expect(decision).toEqual(raw);
    expect(decision.decisionId).toBe('ts-live-1');
    expect(decision.label).toBe('positive');
    expect(decision.profile?.name).toBe('sentiment');
  });

  it('should send SigV4-signed requests the server accepts when auth is iam', async () => {
    const signed = new FusionClient({ endpoint: serve.url, auth: 'iam', region: 'eu-west-1', credentials: CREDENTIALS });
    expect(await signed.fuse('average', SENTIMENT_WITH_ID)).toEqual(await client().fuse('average', SENTIMENT_WITH_ID));
  });

  it('should fuse a batch with shared defaults, one result per item in order', async () => {
    const items: FusionRequest[] = [
      { id: 'a', predictions: { text: { probabilities: [0.8, 0.1, 0.1] } } },
      { id: 'b', predictions: { text: { label: 'positive' }, audio: { logits: [0, 0, 2] } } },
    ];
    const results = await client().fuseBatch('vote', items, { profile: 'sentiment' });
    expect(results.map((r) => [r.id, r.label])).toEqual([['a', 'negative'], ['b', 'positive']]);
    const { decisionId, ...second } = results[1]!;
    const { decisionId: _single, ...alone } = await client().fuse('vote', { ...items[1], profile: 'sentiment' });
    expect(second).toEqual(alone);
    // Item i of a batch is "<the batch's id>:<i>".
    expect(decisionId).toBe(`${results[0]!.decisionId!.slice(0, -2)}:1`);
  });

  it('should list strategies and report health', async () => {
    const names = (await client().strategies()).map((s) => s.name);
    expect(names).toContain('average');
    expect(await client().health()).toEqual({ status: 'ok', strategies: names });
  });

  it('should throw FusionProblemError with the 400 problem fields, without retrying', async () => {
    const bad = { classes: ['a', 'b'], predictions: { text: { probabilities: [0.5, 0.3, 0.2] } } };
    const err = await client().fuse('average', bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FusionProblemError);
    const p = (err as FusionProblemError).problem;
    expect((err as FusionProblemError).status).toBe(400);
    expect(p.type).toBe('urn:problem:late-fusion:invalid-request');
    expect(p.errors?.[0]?.path).toBe('predictions.text.probabilities');
    expect(p.detail).toContain('probabilities has 3 values but there are 2 classes');
  });

  it('should throw a 413 problem for a body over the limit', async () => {
    const big = { classes: ['a', 'b'], predictions: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`m${i}`, { probabilities: [0.5, 0.5] }])) };
    expect(JSON.stringify(big).length).toBeGreaterThan(TEST_MAX_BODY_BYTES);
    const err = (await client().fuse('average', big).catch((e: unknown) => e)) as FusionProblemError;
    expect(err).toBeInstanceOf(FusionProblemError);
    expect([err.status, err.problem.type]).toEqual([413, 'urn:problem:late-fusion:payload-too-large']);
  });

  it.skipIf(!serverHasJoins)('should complete a join from three puts and read the decision with wait', async () => {
    const c = client();
    const join = c.join(JOIN_PROFILE, `ts-${Date.now()}:1`);
    const preds = SENTIMENT.predictions!;
    const first = await join.put('text', preds.text!);
    expect(first).toMatchObject({ state: 'pending', arrived: ['text'] });
    expect(Object.keys(first).sort()).toEqual(['arrived', 'deadline', 'joinId', 'missing', 'openedAt', 'profile', 'state']); // JoinPending
    expect(first.state === 'pending' && first.missing.sort()).toEqual(['audio', 'video']);
    expect((await join.put('text', preds.text!)).state).toBe('pending'); // a repeat changes nothing
    await join.put('video', preds.video!);
    const last = await join.put('audio', preds.audio!);
    expect(last.state).toBe('decided');
    const waited = await join.wait({ timeoutMs: 5000 });
    expect(waited.state).toBe('decided');
    const sync = await c.fuse('average', { ...SENTIMENT, profile: JOIN_PROFILE });
    expect(waited).toMatchObject({ state: 'decided', joinId: join.joinId, label: sync.label, probabilities: sync.probabilities, trigger: 'complete' });
    expect(Object.keys(waited.state === 'decided' ? waited.arrivals : {}).sort()).toEqual(['audio', 'text', 'video']);
    const conflict = (await join.put('text', { label: 'negative' }).catch((e: unknown) => e)) as FusionProblemError;
    expect(conflict.status).toBe(409);
    expect(await join.get()).toEqual(waited); // the outcome never changes
  });

  // The server takes a join prediction of the profile's task; the client's types say so too.
  const REGRESSION: Record<string, RegressionPrediction> = { text: { value: 1.8, std: 0.5 }, audio: { value: 0.9, std: 1.2 }, video: { value: 1.1, std: 0.8 } };
  const MULTILABEL: Record<string, MultilabelPrediction> = { image: { scores: [0.9, 0.2, 0.7] }, audio: { scores: { person: 0.6, dog: 0.8, outdoor: 0.5 } } };
  it.each([
    ['regression', TASK_JOIN_PROFILES.regression, REGRESSION, ['value', 'std']],
    ['multi-label', TASK_JOIN_PROFILES.multilabel, MULTILABEL, ['scores', 'labels']],
  ] as const)('should complete a %s join with puts of that task, deciding as the synchronous route does', async (_task, profile, predictions, fields) => {
    const c = client();
    const join = c.join(profile.name, `ts-${profile.task}-${Date.now()}`);
    const states = [];
    for (const [modality, prediction] of Object.entries(predictions)) states.push(await join.put(modality, prediction satisfies JoinPrediction));
    expect(states.map((s) => s.state)).toEqual([...Array(states.length - 1).fill('pending'), 'decided']);
    const sync = (await c.request('POST', `/v1/fuse/${profile.join.strategy}`, { task: profile.task, profile: profile.name, predictions })).body as Record<string, unknown>;
    const decided = (await join.wait({ timeoutMs: 5000 })) as unknown as Record<string, unknown>;
    expect(decided).toMatchObject({ state: 'decided', task: profile.task, trigger: 'complete', decisionId: join.joinId });
    for (const f of fields) expect(decided[f], f).toEqual(sync[f]);
    expect(Object.keys(decided.arrivals as object).sort()).toEqual(Object.keys(predictions).sort());
  });
});

describe('TypeScript client options', () => {
  it('should reject a bad endpoint, auth mode, a jwt without a token and iam without a region when constructed', () => {
    expect(() => new FusionClient({ endpoint: 'not a url' })).toThrow(TypeError);
    expect(() => new FusionClient({ endpoint: 'http://127.0.0.1:3000', auth: 'basic' as 'iam' })).toThrow('auth must be "iam", "jwt" or "none"');
    expect(() => new FusionClient({ endpoint: 'https://api.example.com', auth: 'jwt' })).toThrow('needs a token');
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      expect(() => new FusionClient({ endpoint: 'https://api.example.com' })).toThrow('auth "iam" needs a region');
    } finally {
      if (region !== undefined) process.env.AWS_REGION = region;
    }
    expect(() => new FusionClient({ endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })).not.toThrow();
  });
});

describe('TypeScript client retries', () => {
  it('should retry 503 twice (waiting for Retry-After) and return the 200, signing each attempt afresh', async () => {
    const stub = await startStub([
      { status: 503, body: { type: 'urn:problem:late-fusion:unavailable', title: 'Service unavailable', status: 503, detail: 'later' }, headers: { 'retry-after': '1' } },
      { status: 503, body: 'busy' },
      { status: 200, body: { status: 'ok', strategies: ['average'] } },
    ]);
    try {
      const c = new FusionClient({ endpoint: stub.url, auth: 'iam', region: 'us-east-1', credentials: CREDENTIALS, backoff: FAST });
      expect(await c.health()).toEqual({ status: 'ok', strategies: ['average'] });
      expect(stub.seen).toHaveLength(3);
      expect(stub.seen[1]!.at - stub.seen[0]!.at).toBeGreaterThanOrEqual(950);
      for (const s of stub.seen) expect(s.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/execute-api\/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=[0-9a-f]{64}$/);
    } finally {
      await stub.close();
    }
  });

  it('should retry 429 but never another 4xx, and give up after `retries`', async () => {
    const throttled = await startStub([{ status: 429, body: { message: 'Too Many Requests' } }]);
    const bad = await startStub([{ status: 403, body: { message: 'Forbidden' } }]);
    try {
      const e1 = (await new FusionClient({ endpoint: throttled.url, retries: 2, backoff: FAST }).health().catch((e: unknown) => e)) as FusionProblemError;
      expect([e1.status, throttled.seen.length]).toEqual([429, 3]);
      const e2 = (await new FusionClient({ endpoint: bad.url, backoff: FAST }).health().catch((e: unknown) => e)) as FusionProblemError;
      expect([e2.status, bad.seen.length]).toEqual([403, 1]);
      // API Gateway's own error body becomes a problem object
      expect(e2.problem).toEqual({ type: 'about:blank', title: 'Forbidden', status: 403, detail: 'Forbidden' });
    } finally {
      await Promise.all([throttled.close(), bad.close()]);
    }
  });

  it('should retry a refused connection, then throw the network error', async () => {
    const stub = await startStub([{ status: 200, body: {} }]);
    await stub.close(); // nothing listens on its port any more
    const started = performance.now();
    await expect(new FusionClient({ endpoint: stub.url, retries: 2, backoff: { baseMs: 50, maxMs: 1000 } }).health()).rejects.toThrow(TypeError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25 + 50); // two backoffs of at least half of 50 and 100 ms
  });

  it('should retry an attempt that times out', async () => {
    const stub = await startStub([
      { status: 200, body: { status: 'late', strategies: [] }, delayMs: 2000 },
      { status: 200, body: { status: 'ok', strategies: [] } },
    ]);
    try {
      expect(await new FusionClient({ endpoint: stub.url, timeoutMs: 200, backoff: FAST }).health()).toEqual({ status: 'ok', strategies: [] });
      expect(stub.seen).toHaveLength(2);
    } finally {
      await stub.close();
    }
  });

  it('should send a bearer token with auth jwt', async () => {
    const stub = await startStub([{ status: 200, body: { status: 'ok', strategies: [] } }]);
    try {
      await new FusionClient({ endpoint: stub.url, auth: 'jwt', token: async () => 'tok-1' }).health();
      expect(stub.seen[0]!.headers.authorization).toBe('Bearer tok-1');
    } finally {
      await stub.close();
    }
  });
});

describe('TypeScript client joins (against a stub following the joins contract)', () => {
  it('should wait through pending states (and a 404 before the first put) until decided', async () => {
    const decision = { joinId: 'j1', trigger: 'window', decidedAt: '2026-12-01T00:00:00Z', arrivals: { text: { arrivedAt: '2026-11-30T23:59:30Z', latenessMs: 0 } }, strategy: 'average', label: 'positive', confidence: 0.7, probabilities: { negative: 0.3, positive: 0.7 }, modalities: { used: ['text'], missing: ['audio'] }, contributions: { text: 1 } };
    const stub = await startStub([
      { status: 404, body: { type: 'urn:problem:late-fusion:not-found', title: 'Not found', status: 404, detail: 'no join' } },
      { status: 200, body: { state: 'pending', joinId: 'j1', profile: 'sentiment', arrived: ['text'], missing: ['audio'], openedAt: '2026-11-30T23:59:30Z', deadline: '2026-12-01T00:00:00Z' } },
      { status: 200, body: { state: 'decided', ...decision } },
    ]);
    try {
      const state = await new FusionClient({ endpoint: stub.url }).join('sentiment', 'j1').wait({ timeoutMs: 5000, intervalMs: 5 });
      expect(state).toEqual({ state: 'decided', ...decision });
      expect(stub.seen.map((s) => `${s.method} ${s.url}`)).toEqual(Array(3).fill('GET /v1/joins/sentiment/j1'));
    } finally {
      await stub.close();
    }
  });

  it('should PUT a prediction to the modality path, and time out a join that stays pending', async () => {
    const stub = await startStub([{ status: 202, body: { state: 'pending', joinId: 'clip:42', profile: 'sentiment', arrived: ['text'], missing: ['audio'], openedAt: '2026-12-01T00:00:00Z', deadline: '2026-12-01T00:00:30Z' } }]);
    try {
      const join = new FusionClient({ endpoint: stub.url }).join('sentiment', 'clip:42');
      expect(await join.put('text', { probabilities: [0.2, 0.8] })).toMatchObject({ state: 'pending', missing: ['audio'] });
      expect(stub.seen[0]).toMatchObject({ method: 'PUT', url: '/v1/joins/sentiment/clip%3A42/text', body: '{"probabilities":[0.2,0.8]}' });
      await expect(join.wait({ timeoutMs: 100, intervalMs: 10 })).rejects.toBeInstanceOf(FusionTimeoutError);
    } finally {
      await stub.close();
    }
  });
});

describe('TypeScript client feedback', () => {
  it('should send feedback (202) that the local server stores, and the same feedback again alike', async () => {
    const client = new FusionClient({ endpoint: serve.url });
    const feedback = { decisionId: `ts-${Date.now()}`, label: 'positive', source: 'ts-review' };
    const first = await client.feedback(feedback);
    expect(first).toEqual({ accepted: true, id: feedback.decisionId, source: 'ts-review', checked: 'schema' });
    expect(await client.feedback(feedback)).toEqual(first);
    const day = new Date().toISOString().slice(0, 10);
    const stored = readFileSync(join(serve.dir, 'feedback', `dt=${day}`, 'feedback.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(stored.filter((l) => l.decisionId === feedback.decisionId).map(({ receivedAt: _r, ...rest }) => rest)).toEqual([
      { type: 'feedback', ...feedback },
      { type: 'feedback', ...feedback },
    ]);
  });

  it('should throw the 400 problem naming the field of feedback with two outcomes', async () => {
    const err = await new FusionClient({ endpoint: serve.url }).feedback({ joinId: 'j-1', label: 'a', value: 1 }).catch((e: unknown) => e);
    expect((err as FusionProblemError).status).toBe(400);
    expect((err as FusionProblemError).problem.errors?.[0]?.path).toBe('label');
  });

  it('should retry feedback answered 503 (the stream did not take it) and return the 202', async () => {
    const accepted = { accepted: true, id: 'd-1', source: 'default', checked: 'schema' };
    const stub = await startStub([{ status: 503, body: { status: 503, title: 'Service unavailable' }, headers: { 'retry-after': '0' } }, { status: 202, body: accepted }]);
    try {
      expect(await new FusionClient({ endpoint: stub.url, backoff: FAST }).feedback({ decisionId: 'd-1', label: 'x' })).toEqual(accepted);
      expect(stub.seen.map((s) => [s.method, s.url, JSON.parse(s.body)])).toEqual([
        ['POST', '/v1/feedback', { decisionId: 'd-1', label: 'x' }],
        ['POST', '/v1/feedback', { decisionId: 'd-1', label: 'x' }],
      ]);
    } finally {
      await stub.close();
    }
  });
});
