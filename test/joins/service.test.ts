import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NotFoundError } from '../../functions/fusion/errors.js';
import type { JoinOutcome } from '../../functions/fusion/join/schema.js';
import type { ResolvedProfile } from '../../functions/fusion/prepare.js';
import { fuse } from '../../functions/fusion/registry.js';
import { MemoryDelivery } from '../../functions/joins/delivery.js';
import { DynamoJoinStore } from '../../functions/joins/dynamo.js';
import { type JoinDelivery, JoinService } from '../../functions/joins/service.js';
import { type JoinStore, MemoryJoinStore } from '../../functions/joins/store.js';
import { type DynamoFixture, startDynamo } from '../support/dynamo.js';
import { PROFILE, prediction } from './support.js';

let dynamo: DynamoFixture;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(() => dynamo?.stop());

const T0 = Date.UTC(2026, 11, 1, 12);
const PROFILES: Record<string, ResolvedProfile> = {
  sentiment: { profile: PROFILE, version: 'v1' },
  'sentiment@v1': { profile: PROFILE, version: 'v1' },
  plain: { profile: { ...PROFILE, name: 'plain', join: undefined }, version: 'v1' },
  strict: { profile: { ...PROFILE, name: 'strict', minModalities: 2, join: { strategy: 'average', windowSeconds: 30 } }, version: 'v1' },
  'strict@v1': { profile: { ...PROFILE, name: 'strict', minModalities: 2, join: { strategy: 'average', windowSeconds: 30 } }, version: 'v1' },
};
const P = { text: prediction(1, 2, 7), video: prediction(2, 5, 3), audio: prediction(6, 1, 3) };

/** A service on a fake clock with a recording scheduler. */
function harness(store: JoinStore, delivery: JoinDelivery = new MemoryDelivery()) {
  const clock = { now: T0 };
  const timers: { profile: string; joinId: string; at: number }[] = [];
  const late: string[] = [];
  const service = new JoinService({
    store,
    scheduler: { schedule: (profile, joinId, at) => (timers.push({ profile, joinId, at }), Promise.resolve()) },
    delivery,
    profiles: (ref) => (PROFILES[ref] ? Promise.resolve(PROFILES[ref]) : Promise.reject(new NotFoundError(`Profile "${ref}" was not found.`))),
    now: () => clock.now,
    counters: { late: (_p, m) => late.push(m), outcome: () => undefined },
  });
  return { service, clock, timers, late };
}

const synchronous = (modalities: (keyof typeof P)[], joinId: string) =>
  fuse('average', { id: joinId, profile: 'sentiment', predictions: Object.fromEntries(modalities.map((m) => [m, P[m]])) }, () => PROFILES.sentiment);

function decisionOf(o: JoinOutcome | undefined) {
  const { decidedAt: _d, arrivals: _a, state: _s, joinId, trigger: _t, decisionId, ...decision } = o as Extract<JoinOutcome, { state: 'decided' }>;
  // A join's decision id is its joinId.
  expect(decisionId).toBe(joinId);
  return decision;
}

const stores: [string, () => JoinStore][] = [
  ['memory', () => new MemoryJoinStore()],
  ['DynamoDB (dynalite)', () => new DynamoJoinStore(dynamo.client, dynamo.table)],
];

describe.each(stores)('join store contract: %s', (_name, make) => {
  it('should create only once, and write only over the revision it read', async () => {
    const store = make();
    const state = { profile: 'sentiment', joinId: `c-${Math.random()}`, openedAt: T0, deadline: T0 + 1000, arrivals: {}, late: {}, delivered: false };
    expect(await store.get('sentiment', state.joinId)).toBeUndefined();
    expect(await store.put(state, 0, 1)).toBe(true);
    expect(await store.put(state, 0, 1)).toBe(false);
    expect(await store.get('sentiment', state.joinId)).toEqual({ state, rev: 1 });
    expect(await store.put({ ...state, delivered: true }, 1, 1)).toBe(true);
    expect(await store.put({ ...state, openedAt: 5 }, 1, 1)).toBe(false);
    expect(await store.get('sentiment', state.joinId)).toEqual({ state: { ...state, delivered: true }, rev: 2 });
  });
});

describe.each(stores)('join service: %s', (_name, make) => {
  it('should answer 202 until the last modality, then 200 with the decision the synchronous route gives, delivered once', async () => {
    const delivery = new MemoryDelivery();
    const { service, timers } = harness(make(), delivery);
    expect(await service.arrive('sentiment', 'a1', 'video', P.video)).toMatchObject({ status: 202, body: { state: 'pending', arrived: ['video'], missing: ['text', 'audio'] } });
    expect(timers).toEqual([{ profile: 'sentiment', joinId: 'a1', at: T0 + 30_000 }]);
    expect((await service.arrive('sentiment', 'a1', 'text', P.text)).status).toBe(202);
    const done = await service.arrive('sentiment', 'a1', 'audio', P.audio);
    expect(done).toMatchObject({ status: 200, body: { state: 'decided', trigger: 'complete', joinId: 'a1' } });
    expect(decisionOf(done.body as JoinOutcome)).toEqual(synchronous(['text', 'video', 'audio'], 'a1'));
    expect(delivery.outcomes.map((d) => d.outcome)).toEqual([done.body]);
    // Retries are safe: the same body answers the outcome; another body is a conflict.
    expect(await service.arrive('sentiment', 'a1', 'text', P.text)).toEqual(done);
    expect(await service.arrive('sentiment', 'a1', 'text', P.audio)).toMatchObject({ status: 409, body: { type: expect.stringContaining('join-conflict') } });
    expect(await service.status('sentiment', 'a1')).toEqual({ status: 200, body: done.body });
    expect(delivery.outcomes).toHaveLength(1);
  });

  it('should close with the quorum at the deadline (fake clock), then keep a late arrival without changing the outcome', async () => {
    const { service, clock, late } = harness(make());
    await service.arrive('sentiment', 'w1', 'text', P.text);
    clock.now += 1500;
    await service.arrive('sentiment', 'w1', 'audio', P.audio);
    clock.now = T0 + 29_999;
    await service.fire('sentiment', 'w1'); // early: nothing happens
    expect((await service.status('sentiment', 'w1')).body).toMatchObject({ state: 'pending' });
    clock.now = T0 + 30_050;
    await service.fire('sentiment', 'w1');
    const { body } = await service.status('sentiment', 'w1');
    expect(body).toMatchObject({ state: 'decided', trigger: 'window', decidedAt: new Date(T0 + 30_000).toISOString(), modalities: { used: ['text', 'audio'], missing: ['video'] } });
    expect((body as { arrivals: unknown }).arrivals).toEqual({ text: { arrivedAt: new Date(T0).toISOString(), latenessMs: 0 }, audio: { arrivedAt: new Date(T0 + 1500).toISOString(), latenessMs: 1500 } });
    expect(decisionOf(body as JoinOutcome)).toEqual(synchronous(['text', 'audio'], 'w1'));
    const tooLate = await service.arrive('sentiment', 'w1', 'video', P.video);
    expect(tooLate).toMatchObject({ status: 409, body: { type: expect.stringContaining('join-closed'), outcomeId: 'w1', outcome: 'decided' } });
    expect(late).toEqual(['video']);
    expect(await service.status('sentiment', 'w1')).toEqual({ status: 200, body: { ...(body as object), late: ['video'] } });
  });

  it('should take single arrivals for a profile whose minModalities is 2, and use it as the quorum', async () => {
    const { service, clock } = harness(make());
    expect((await service.arrive('strict', 's1', 'text', P.text)).status).toBe(202);
    clock.now = T0 + 30_000;
    await service.fire('strict', 's1');
    expect((await service.status('strict', 's1')).body).toMatchObject({ state: 'insufficient', arrived: ['text'] });
    expect((await service.arrive('strict', 's2', 'text', P.text)).status).toBe(202);
    expect((await service.arrive('strict', 's2', 'audio', P.audio)).status).toBe(202);
    clock.now = T0 + 60_000;
    await service.fire('strict', 's2');
    expect((await service.status('strict', 's2')).body).toMatchObject({ state: 'decided', trigger: 'window', modalities: { used: ['text', 'audio'] } });
  });

  it('should make an insufficient outcome naming what arrived and what did not when the quorum is not met', async () => {
    const { service, clock } = harness(make());
    await service.arrive('sentiment', 'i1', 'video', P.video);
    clock.now = T0 + 31_000;
    await service.fire('sentiment', 'i1');
    const { body } = await service.status('sentiment', 'i1');
    expect(body).toMatchObject({ state: 'insufficient', arrived: ['video'], missing: ['text', 'audio'], problem: { status: 422, detail: expect.stringContaining('quorum of 2') } });
  });

  it('should re-send from the timer an outcome claimed but not delivered, and never make a second one', async () => {
    const sent: JoinOutcome[] = [];
    let failing = true;
    const delivery: JoinDelivery = { deliver: (o) => (failing ? Promise.reject(new Error('queue down')) : (sent.push(o), Promise.resolve())) };
    const store = make();
    const { service, clock } = harness(store, delivery);
    for (const m of ['text', 'video', 'audio'] as const) await service.arrive('sentiment', 'd1', m, P[m]);
    expect((await store.get('sentiment', 'd1'))?.state.delivered).toBe(false);
    clock.now = T0 + 30_000;
    await expect(service.fire('sentiment', 'd1')).rejects.toThrow('queue down');
    failing = false;
    await service.fire('sentiment', 'd1');
    await service.fire('sentiment', 'd1'); // delivered: nothing more
    expect(sent).toHaveLength(1);
    expect(sent[0]).toEqual((await service.status('sentiment', 'd1')).body);
    expect((await store.get('sentiment', 'd1'))?.state.delivered).toBe(true);
  });

  it('should reject bad input with 400 and 404 problems naming the field', async () => {
    const { service } = harness(make());
    await expect(service.arrive('sentiment', 'b1', 'face', P.text)).rejects.toMatchObject({ code: 'invalid-request', errors: [{ path: 'modality', message: expect.stringContaining('text, video, audio') }] });
    await expect(service.arrive('sentiment', 'b1', 'text', { probabilities: [0.5, 0.5] })).rejects.toMatchObject({ code: 'invalid-request', errors: [{ path: 'probabilities' }] });
    await expect(service.arrive('sentiment', 'b1', 'text', { probabilities: [0.5, 0.5, 0], logits: [1] })).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(service.arrive('sentiment', 'bad/id', 'text', P.text)).rejects.toMatchObject({ code: 'invalid-request', errors: [{ path: 'joinId' }] });
    await expect(service.arrive('sentiment', 'x'.repeat(129), 'text', P.text)).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(service.arrive('nosuch', 'b1', 'text', P.text)).rejects.toMatchObject({ code: 'not-found' });
    await expect(service.arrive('plain', 'b1', 'text', P.text)).rejects.toMatchObject({ code: 'invalid-request', errors: [{ path: 'profile', message: expect.stringContaining('"join": {"strategy"') }] });
    await expect(service.status('sentiment', 'never')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('should decide 200 joins x 3 modalities PUT concurrently in random order with 20% duplicates exactly once each', async () => {
    const delivery = new MemoryDelivery();
    const { service } = harness(make(), delivery);
    const puts: [string, keyof typeof P][] = [];
    for (let j = 0; j < 200; j++) for (const m of ['text', 'video', 'audio'] as const) puts.push([`k${j}`, m]);
    const dups = puts.filter((_, i) => i % 5 === 0);
    const all = [...puts, ...dups].sort(() => Math.random() - 0.5);
    // At most 50 PUTs in flight (dynalite answers one request at a time).
    const replies: { status: number }[] = [];
    const next = all.entries();
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (const [i, [id, m]] of next) replies[i] = await service.arrive('sentiment', id, m, P[m]);
      }),
    );
    expect(replies.every((r) => r.status === 200 || r.status === 202)).toBe(true);
    expect(delivery.outcomes).toHaveLength(200);
    expect(new Set(delivery.outcomes.map((d) => d.outcome.joinId)).size).toBe(200);
    for (const { outcome } of delivery.outcomes) {
      expect(outcome).toMatchObject({ state: 'decided', trigger: 'complete' });
      expect(decisionOf(outcome)).toEqual(synchronous(['text', 'video', 'audio'], outcome.joinId));
    }
  }, 30_000);
});

describe('memory store bounds', () => {
  it('should make room by dropping delivered joins, and refuse a new join with 503 when all held are open', async () => {
    const store = new MemoryJoinStore(undefined, 2);
    const state = (joinId: string, delivered: boolean) => ({ profile: 'sentiment', joinId, openedAt: T0, deadline: T0 + 1, arrivals: {}, late: {}, delivered });
    expect(await store.put(state('a', true), 0, Infinity)).toBe(true);
    expect(await store.put(state('b', false), 0, Infinity)).toBe(true);
    expect(await store.put(state('c', false), 0, Infinity)).toBe(true);
    expect(await store.get('sentiment', 'a')).toBeUndefined();
    await expect(store.put(state('d', false), 0, Infinity)).rejects.toMatchObject({ code: 'unavailable' });
    expect(store.size).toBe(2);
  });
});

describe('DynamoDB write units', () => {
  it('should spend 4 write units on a 3-modality join: one per arrival and one to mark the delivery', async () => {
    const store = new DynamoJoinStore(dynamo.client, dynamo.table);
    const { service } = harness(store);
    for (const m of ['text', 'video', 'audio'] as const) await service.arrive('sentiment', 'wcu-1', m, P[m]);
    expect(store.stats).toMatchObject({ writes: 4, writeUnits: 4, conflicts: 0 });
  });
});
