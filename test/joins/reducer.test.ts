import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JoinEvent, type JoinStep, fuseArrived, reduce } from '../../functions/fusion/join/reducer.js';
import type { JoinOutcome, JoinState } from '../../functions/fusion/join/schema.js';
import { fuse } from '../../functions/fusion/registry.js';
import type { Prediction } from '../../functions/fusion/schemas.js';
import { context, prediction, RESOLVED } from './support.js';

const MODALITIES: readonly string[] = ['text', 'video', 'audio'];
const T0 = Date.UTC(2026, 11, 1);
const WINDOW = 30_000;

const weight = fc.integer({ min: 1, max: 100 });
const predictions = fc.tuple(
  fc.tuple(weight, weight, weight),
  fc.tuple(weight, weight, weight),
  fc.tuple(weight, weight, weight),
).map((ps) => Object.fromEntries(MODALITIES.map((m, i) => [m, prediction(...ps[i]!)])));

/** Runs events in order; checks that an outcome, once there, never changes and every delivery carries it. */
function run(events: { event: JoinEvent; at: number }[], ctx = context()) {
  let state: JoinState | undefined;
  let outcome: JoinOutcome | undefined;
  const delivered: JoinOutcome[] = [];
  const steps: JoinStep[] = [];
  for (const { event, at } of events) {
    const step = reduce(state, event, at, ctx);
    steps.push(step);
    state = step.state;
    if (outcome) expect(state?.outcome).toEqual(outcome);
    outcome = state?.outcome;
    for (const e of step.effects) if (e.type === 'deliver') delivered.push(e.outcome);
    // As the adapter does once a delivery succeeded.
    if (step.effects.some((e) => e.type === 'deliver')) state = reduce(state, { type: 'delivered' }, at, ctx).state;
  }
  return { state, outcome, delivered, steps };
}

const synchronous = (preds: Record<string, unknown>, modalities: readonly string[]) =>
  fuse('average', { id: 'item-1', profile: 'sentiment', predictions: Object.fromEntries(modalities.map((m) => [m, preds[m]])) }, () => RESOLVED);

describe('join reducer (properties)', () => {
  it('should decide once, with every modality, whatever the order, duplicates and early timers when all arrive in the window', () => {
    fc.assert(
      fc.property(
        predictions,
        fc.array(fc.constantFrom(...MODALITIES, 'timer' as const), { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: WINDOW - 1 }), { minLength: 20, maxLength: 20 }),
        (preds, noise, offsets) => {
          // Every modality once, in a random place among duplicates and early timer firings.
          const names = [...noise, ...MODALITIES];
          const times = offsets.slice(0, names.length).sort((a, b) => a - b);
          const events = names.map((n, i) => ({ event: n === 'timer' ? ({ type: 'timer' } as const) : ({ type: 'arrive', modality: n, prediction: preds[n]! } as const), at: T0 + times[i]! }));
          events.push({ event: { type: 'timer' }, at: T0 + WINDOW + 5 });
          const { outcome, delivered } = run(events);
          // A timer before any arrival does nothing, so the first arrival may come later than T0.
          expect(outcome?.state).toBe('decided');
          expect(delivered).toHaveLength(1);
          const { decidedAt: _d, arrivals: _a, state: _s, joinId, decisionId, trigger, ...decision } = outcome as Extract<JoinOutcome, { state: 'decided' }>;
          expect(decisionId).toBe(joinId);
          expect(trigger).toBe('complete');
          expect(decision).toEqual(synchronous(preds, MODALITIES));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('should close at the deadline with what arrived in the window, keep late ones, and never change the outcome', () => {
    fc.assert(
      fc.property(
        predictions,
        fc.subarray([...MODALITIES], { minLength: 1, maxLength: 3 }),
        fc.array(fc.constantFrom(...MODALITIES), { maxLength: 6 }),
        fc.boolean(),
        (preds, inWindowRaw, after, timerFirst) => {
          const inWindow = inWindowRaw.length === 3 ? inWindowRaw.slice(0, 2) : inWindowRaw;
          const events: { event: JoinEvent; at: number }[] = inWindow.map((m, i) => ({ event: { type: 'arrive', modality: m, prediction: preds[m]! }, at: T0 + i * 1000 }));
          const late = after.map((m, i) => ({ event: { type: 'arrive', modality: m, prediction: preds[m]! } as JoinEvent, at: T0 + WINDOW + 1 + i }));
          const timer = { event: { type: 'timer' } as JoinEvent, at: T0 + WINDOW + 100 };
          const { state, outcome, delivered, steps } = run(timerFirst ? [...events, timer, ...late] : [...events, ...late, timer]);
          expect(delivered).toHaveLength(1);
          const present = MODALITIES.filter((m) => inWindow.includes(m));
          if (present.length >= 2) {
            expect(outcome).toMatchObject({ state: 'decided', trigger: 'window', decidedAt: new Date(T0 + WINDOW).toISOString() });
            const { decidedAt: _d, arrivals: _a, state: _s, joinId, decisionId, trigger: _t, ...decision } = outcome as Extract<JoinOutcome, { state: 'decided' }>;
            expect(decisionId).toBe(joinId);
            expect(decision).toEqual(synchronous(preds, present));
          } else {
            expect(outcome).toMatchObject({ state: 'insufficient', arrived: present, missing: MODALITIES.filter((m) => !present.includes(m)) });
          }
          const lateOnes = [...new Set(after.filter((m) => !inWindow.includes(m)))];
          expect(Object.keys(state!.late).sort()).toEqual(lateOnes.sort());
          // Every late arrival is answered 409 join-closed; a repeat of an arrived one gets the outcome.
          for (const [i, step] of steps.entries()) {
            const e = (timerFirst ? [...events, timer, ...late] : [...events, ...late, timer])[i]!.event;
            if (e.type === 'arrive' && !inWindow.includes(e.modality)) expect(step.reply).toMatchObject({ status: 409, body: { type: expect.stringContaining('join-closed') } });
            if (e.type === 'arrive' && inWindow.includes(e.modality) && i >= events.length) expect(step.reply.status).toBe(200);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('join reducer (random timelines)', () => {
  it('should reach, for any timeline of arrivals, duplicates and timer firings, the one outcome its timestamps determine', () => {
    const event = fc.record({
      // Times on and around the deadline of a join opened at 0 come up often.
      at: fc.oneof(fc.integer({ min: 0, max: 2 * WINDOW }), fc.constantFrom(0, WINDOW - 1, WINDOW, WINDOW + 1)),
      what: fc.constantFrom(...MODALITIES, 'timer'),
    });
    fc.assert(
      fc.property(predictions, fc.array(event, { minLength: 1, maxLength: 15 }), (preds, raw) => {
        const timeline = [...raw].sort((a, b) => a.at - b.at);
        const events = timeline.map(({ at, what }) => ({ at: T0 + at, event: what === 'timer' ? ({ type: 'timer' } as const) : ({ type: 'arrive', modality: what, prediction: preds[what]! } as const) }));
        const { outcome, delivered } = run(events);

        // The oracle, from the timestamps alone.
        const first = timeline.find((e) => e.what !== 'timer');
        if (!first) {
          expect(outcome).toBeUndefined();
          return;
        }
        const deadline = first.at + WINDOW;
        const inTime: string[] = [];
        let completedAt: number | undefined;
        for (const e of timeline)
          if (e.what !== 'timer' && e.at < deadline && completedAt === undefined && !inTime.includes(e.what)) {
            inTime.push(e.what);
            if (inTime.length === MODALITIES.length) completedAt = e.at;
          }
        // Any event at or after the deadline closes the join (a timer, or an arrival that is late).
        const closedByTime = timeline.some((e) => e.at >= deadline);
        if (completedAt === undefined && !closedByTime) {
          expect(outcome).toBeUndefined();
          return;
        }
        expect(delivered).toHaveLength(1);
        const present = MODALITIES.filter((m) => inTime.includes(m));
        if (completedAt !== undefined) expect(outcome).toMatchObject({ state: 'decided', trigger: 'complete', decidedAt: new Date(T0 + completedAt).toISOString() });
        else if (present.length >= 2) expect(outcome).toMatchObject({ state: 'decided', trigger: 'window', decidedAt: new Date(T0 + deadline).toISOString() });
        else expect(outcome).toMatchObject({ state: 'insufficient', arrived: present });
        if (outcome?.state === 'decided') {
          const { decidedAt: _d, arrivals: _a, state: _s, joinId, decisionId, trigger: _t, ...decision } = outcome;
          expect(decisionId).toBe(joinId);
          expect(decision).toEqual(synchronous(preds, present));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('join reducer (examples)', () => {
  const p = { probabilities: [0.1, 0.2, 0.7] };
  it('should open a join on the first arrival, schedule its deadline and answer 202 with what is missing', () => {
    const step = reduce(undefined, { type: 'arrive', modality: 'text', prediction: p }, T0, context());
    expect(step.effects).toEqual([{ type: 'schedule', at: T0 + WINDOW }]);
    expect(step.reply).toEqual({
      status: 202,
      body: { state: 'pending', joinId: 'item-1', profile: 'sentiment', arrived: ['text'], missing: ['video', 'audio'], openedAt: new Date(T0).toISOString(), deadline: new Date(T0 + WINDOW).toISOString() },
    });
    expect(step.state).toMatchObject({ version: 'v1', openedAt: T0, deadline: T0 + WINDOW });
  });

  it('should answer 409 join-conflict to the same modality with a different prediction and keep the first', () => {
    const first = reduce(undefined, { type: 'arrive', modality: 'text', prediction: p }, T0, context());
    const again = reduce(first.state, { type: 'arrive', modality: 'text', prediction: { probabilities: [0.7, 0.2, 0.1] } }, T0 + 5, context());
    expect(again.changed).toBe(false);
    expect(again.reply).toMatchObject({ status: 409, body: { type: expect.stringContaining('join-conflict'), status: 409 } });
  });

  it('should record arrival times and lateness after the first arrival in the decision', () => {
    const { outcome } = run(MODALITIES.map((m, i) => ({ event: { type: 'arrive', modality: m, prediction: p }, at: T0 + i * 250 })));
    expect(outcome).toMatchObject({ state: 'decided', trigger: 'complete', decidedAt: new Date(T0 + 500).toISOString(), profile: { name: 'sentiment', version: 'v1' } });
    expect((outcome as { arrivals: unknown }).arrivals).toEqual({
      text: { arrivedAt: new Date(T0).toISOString(), latenessMs: 0 },
      video: { arrivedAt: new Date(T0 + 250).toISOString(), latenessMs: 250 },
      audio: { arrivedAt: new Date(T0 + 500).toISOString(), latenessMs: 500 },
    });
  });

  it('should use the profile minModalities as the quorum when join.quorum is absent, else every modality', () => {
    const one = { event: { type: 'arrive', modality: 'text', prediction: p } as JoinEvent, at: T0 };
    const timer = { event: { type: 'timer' } as JoinEvent, at: T0 + WINDOW };
    const noQuorum = context('item-1', { quorum: undefined });
    expect(run([one, timer], noQuorum).outcome?.state).toBe('insufficient');
    const minOne = { ...noQuorum, profile: { ...noQuorum.profile, profile: { ...noQuorum.profile.profile, minModalities: 1 } } };
    expect(run([one, timer], minOne).outcome).toMatchObject({ state: 'decided', trigger: 'window', modalities: { used: ['text'], missing: ['video', 'audio'] } });
  });

  it('should decide with the strategy of the join section, the same as the synchronous route', () => {
    const ctx = context('item-1', { strategy: 'vote' });
    const preds: Record<string, Prediction> = { text: { label: 'positive' }, video: { label: 'negative', confidence: 0.9 }, audio: { probabilities: [0.2, 0.2, 0.6] } };
    const { outcome } = run(MODALITIES.map((m) => ({ event: { type: 'arrive', modality: m, prediction: preds[m]! }, at: T0 })), ctx);
    const expected = fuseArrived({ arrivals: Object.fromEntries(MODALITIES.map((m) => [m, { prediction: preds[m]!, arrivedAt: T0 }])), joinId: 'item-1', profile: 'sentiment' }, [...MODALITIES], ctx);
    expect(outcome).toMatchObject({ ...expected, strategy: 'vote', votes: expect.any(Object) });
  });
});
