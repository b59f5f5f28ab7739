import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fuseAny } from '../../functions/fusion/fuse.js';
import { DecisionLine, decisionLine } from '../../functions/fusion/loop/decision-log.js';
import { unitHash } from '../../functions/fusion/loop/variant.js';
import { average } from '../../functions/fusion/rules/average.js';
import { type Decision, type RecorderConfig, assignDecisionIds, collector, flushDecisionLog, modalitySums, newDecisionId, recordDecisions, recorderConfig, validDecisionId } from '../../functions/loop/record.js';
import { METRIC } from '../../functions/observability.js';

/** Fuses `input` with the average rule and returns its decisions with ids `d-<i>` (or the request's). */
function decided(input: unknown, id = 'd'): Decision[] {
  const { observe, decided } = collector();
  fuseAny(average, input, () => ({ profile: { name: 'p', classes: ['neg', 'pos'], modalities: ['text', 'audio', 'video'] }, version: 'v7' }), {}, observe);
  return assignDecisionIds(id, input, decided);
}
const ctx = { decisionId: 'x', source: 'http' as const, latencyMs: 1.23456, payloads: false, time: new Date(0) };

/** Runs `fn` with process.stdout.write captured; returns the decision lines written. */
function captured(fn: () => void): Record<string, unknown>[] {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const config = (over: Partial<RecorderConfig> = {}): RecorderConfig => ({ sample: 1, payloads: false, stdout: true, ...over });

describe('the decision line of each task', () => {
  it('should summarise a classification decision: each modality’s label and confidence, the output, the profile', () => {
    const [d] = decided({ profile: 'p', predictions: { text: { probabilities: [0.2, 0.8] }, audio: { label: 'neg', confidence: 0.9 } } });
    const line = decisionLine(ctx, d!.prepared, d!.response);
    expect(DecisionLine.parse(line)).toEqual(line);
    expect(line).toMatchObject({
      type: 'decision',
      task: 'classification',
      decisionId: 'x',
      strategy: 'average',
      profile: { name: 'p', version: 'v7' },
      missing: ['video'],
      latencyMs: 1.235,
      time: '1970-01-01T00:00:00.000Z',
      modalities: { text: { label: 'pos', confidence: 0.8, weight: 1 }, audio: { label: 'neg', confidence: 0.9, weight: 1 } },
      output: { label: (d!.response as { label: string }).label },
    });
    // Shares and probabilities are rounded to 6 decimals in the line.
    expect((line.output as { confidence: number }).confidence).toBeCloseTo((d!.response as { confidence: number }).confidence, 6);
    expect((line.output as { confidence: number }).confidence).toBe(Math.round((d!.response as { confidence: number }).confidence * 1e6) / 1e6);
    expect(line.inputs).toBeUndefined();
    expect(decisionLine({ ...ctx, payloads: true }, d!.prepared, d!.response).inputs).toEqual({ text: { probabilities: [0.2, 0.8] }, audio: { label: 'neg', confidence: 0.9 } });
  });

  it('should summarise a regression decision: each modality’s value and std, the fused value', () => {
    const [d] = decided({ task: 'regression', predictions: { a: { value: 1, std: 1 }, b: { value: 3 } } });
    const line = decisionLine(ctx, d!.prepared, d!.response);
    expect(DecisionLine.parse(line)).toEqual(line);
    expect(line).toMatchObject({ task: 'regression', modalities: { a: { value: 1, std: 1, weight: 1, contribution: 0.5 }, b: { value: 3, weight: 1, contribution: 0.5 } }, output: { value: 2 } });
    expect(line.inputs).toBeUndefined();
    expect(decisionLine({ ...ctx, payloads: true }, d!.prepared, d!.response).inputs).toEqual({ a: { value: 1, std: 1 }, b: { value: 3 } });
  });

  it('should summarise a multi-label decision: the labels each modality puts over the threshold and how sure it is', () => {
    const [d] = decided({ task: 'multilabel', labels: ['cat', 'dog'], predictions: { img: { scores: [0.9, 0.3] }, txt: { scores: { cat: 0.2, dog: 0.6 } } } });
    const line = decisionLine(ctx, d!.prepared, d!.response);
    expect(DecisionLine.parse(line)).toEqual(line);
    expect(line.task).toBe('multilabel');
    if (line.task !== 'multilabel') return;
    expect(line.modalities.img).toMatchObject({ labels: ['cat'] });
    expect(line.modalities.txt).toMatchObject({ labels: ['dog'] });
    // Mean over labels of max(s, 1 - s): img (0.9 + 0.7) / 2, txt (0.8 + 0.6) / 2.
    expect(line.modalities.img!.confidence).toBeCloseTo(0.8, 12);
    expect(line.modalities.txt!.confidence).toBeCloseTo(0.7, 12);
    // Fused scores: cat 0.55, dog 0.45 at the 0.5 threshold.
    expect(line.output.labels).toEqual(['cat']);
    expect(line.output.scores.cat).toBeCloseTo(0.55, 12);
    expect(decisionLine({ ...ctx, payloads: true }, d!.prepared, d!.response).inputs).toEqual({ img: { scores: [0.9, 0.3] }, txt: { scores: [0.2, 0.6] } });
  });

  it('should refuse a line without its task’s fields', () => {
    const [d] = decided({ task: 'regression', predictions: { a: { value: 1 } } });
    const line = decisionLine(ctx, d!.prepared, d!.response);
    expect(DecisionLine.safeParse({ ...line, task: 'classification' }).success).toBe(false);
    expect(DecisionLine.safeParse({ ...line, type: 'feedback' }).success).toBe(false);
  });
});

describe('decision ids', () => {
  it('should give a single request the id and batch item i "<id>:<i>" unless the item sends its own', () => {
    const batch = decided({ classes: ['neg', 'pos'], items: [{ predictions: { t: { label: 'neg' } } }, { decisionId: 'mine', predictions: { t: { label: 'pos' } } }, { predictions: { t: { label: 'pos' } } }] }, 'req-1');
    expect(batch.map((d) => d.decisionId)).toEqual(['req-1:0', 'mine', 'req-1:2']);
    expect(batch.map((d) => d.response.decisionId)).toEqual(['req-1:0', 'mine', 'req-1:2']);
    expect(decided({ classes: ['a', 'b'], predictions: { t: { label: 'a' } } }, 'one').map((d) => d.decisionId)).toEqual(['one']);
  });

  it('should leave the core’s answer as it was before (no decisionId without an adapter)', () => {
    const input = { classes: ['a', 'b'], predictions: { t: { probabilities: [0.3, 0.7] } }, decisionId: 'ignored-by-the-core' };
    expect(fuseAny(average, input)).not.toHaveProperty('decisionId');
  });
});

describe('newDecisionId', () => {
  it('should make random version-4 UUIDs: well formed, valid decision ids, all distinct over several refills of its pool', () => {
    const ids = Array.from({ length: 5000 }, () => newDecisionId());
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(validDecisionId(id)).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Random, not a counter: the last 15 hex digits (after the variant's) are about uniform.
    const counts = new Array<number>(16).fill(0);
    for (const id of ids) for (const c of id.replace(/-/g, '').slice(17)) counts[parseInt(c, 16)]!++;
    const expected = (ids.length * 15) / 16;
    for (const n of counts) expect(Math.abs(n - expected) / expected).toBeLessThan(0.1);
  });
});

describe('recordDecisions', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('should write one "type":"decision" JSON line per decision to stdout, in one write', () => {
    const ds = decided({ classes: ['neg', 'pos'], items: [{ predictions: { t: { label: 'neg' } } }, { predictions: { t: { label: 'pos' } } }] }, 'b');
    const writes = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    recordDecisions(ds, { source: 'http', latencyMs: 2 }, config());
    expect(writes).toHaveBeenCalledTimes(1);
    writes.mockRestore();
    const lines = captured(() => recordDecisions(ds, { source: 'http', latencyMs: 2 }, config()));
    expect(lines.map((l) => [l.type, l.decisionId, l.source])).toEqual([
      ['decision', 'b:0', 'http'],
      ['decision', 'b:1', 'http'],
    ]);
    for (const l of lines) expect(DecisionLine.safeParse(l).success).toBe(true);
  });

  it('should log nothing at rate 0, and at 0.5 a share of 10,000 ids within binomial bounds, the same choice for the same id', () => {
    const [d] = decided({ classes: ['a', 'b'], predictions: { t: { label: 'a' } } });
    const many = Array.from({ length: 10_000 }, (_, i) => ({ ...d!, decisionId: `id-${i}` }));
    expect(captured(() => recordDecisions(many, { source: 'batch', latencyMs: 0 }, config({ sample: 0 })))).toEqual([]);
    const half = captured(() => recordDecisions(many, { source: 'batch', latencyMs: 0 }, config({ sample: 0.5 })));
    const sd = Math.sqrt(10_000 * 0.25);
    expect(Math.abs(half.length - 5_000)).toBeLessThan(4 * sd);
    const again = captured(() => recordDecisions(many, { source: 'batch', latencyMs: 0 }, config({ sample: 0.5 })));
    expect(again.map((l) => l.decisionId)).toEqual(half.map((l) => l.decisionId));
    // Exactly the ids whose hash is below the rate.
    expect(half.map((l) => l.decisionId)).toEqual(many.filter((m) => unitHash(m.decisionId) < 0.5).map((m) => m.decisionId));
  });

  it('should include inputs only with FUSION_LOG_PAYLOADS', () => {
    const ds = decided({ classes: ['a', 'b'], predictions: { t: { probabilities: [0.4, 0.6] } } });
    expect(captured(() => recordDecisions(ds, { source: 'http', latencyMs: 0 }, config()))[0]).not.toHaveProperty('inputs');
    expect(captured(() => recordDecisions(ds, { source: 'http', latencyMs: 0 }, config({ payloads: true })))[0]!.inputs).toEqual({ t: { probabilities: [0.4, 0.6] } });
    expect(recorderConfig({ FUSION_LOG_PAYLOADS: 'true' }).payloads).toBe(true);
    expect(recorderConfig({}).payloads).toBe(false);
  });

  it('should append to the local store under decisions/dt=YYYY-MM-DD/, and keep stdout clean when told', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'record-'));
    dirs.push(dir);
    const ds = decided({ classes: ['a', 'b'], predictions: { t: { label: 'a' } } }, 'local-1');
    const time = new Date('2026-11-30T23:59:59Z');
    expect(captured(() => recordDecisions(ds, { source: 'batch', latencyMs: 0, time }, config({ localDir: dir, stdout: false })))).toEqual([]);
    recordDecisions(ds, { source: 'batch', latencyMs: 0, time }, config({ localDir: dir, stdout: false }));
    // Written within 200 ms without being asked (a small buffer, not a write per request).
    await new Promise((r) => setTimeout(r, 400));
    const day = join(dir, 'decisions', 'dt=2026-11-30');
    const files = await readdir(day);
    expect(files).toEqual([`local-${process.pid}.jsonl`]);
    const lines = (await readFile(join(day, files[0]!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.decisionId)).toEqual(['local-1', 'local-1']);
    // Another day goes to its own partition; flushDecisionLog writes at once.
    recordDecisions(ds, { source: 'batch', latencyMs: 0, time: new Date('2026-12-01T00:00:00Z') }, config({ localDir: dir, stdout: false }));
    flushDecisionLog();
    expect(await readdir(join(dir, 'decisions'))).toEqual(['dt=2026-11-30', 'dt=2026-12-01']);
  });

  it('should reject a bad FUSION_DECISION_LOG_SAMPLE at configuration, naming it, and default to 1', () => {
    for (const bad of ['1.5', '-0.1', 'half', 'NaN'])
      expect(() => recorderConfig({ FUSION_DECISION_LOG_SAMPLE: bad }), bad).toThrow(/FUSION_DECISION_LOG_SAMPLE must be a number from 0 to 1/);
    expect(recorderConfig({}).sample).toBe(1);
    expect(recorderConfig({ FUSION_DECISION_LOG_SAMPLE: '0.25' }).sample).toBe(0.25);
  });
});

describe('label-free metrics', () => {
  it('should sum, per profile and modality, decisions, missing, confidence, disagreement and contribution', () => {
    const items = [
      { predictions: { text: { probabilities: [0.2, 0.8] }, audio: { label: 'neg', confidence: 0.9 } } },
      { predictions: { text: { probabilities: [0.4, 0.6] } } },
    ];
    const ds = decided({ profile: 'p', items }, 'm');
    const lines = ds.map((d) => decisionLine({ ...ctx, decisionId: d.decisionId }, d.prepared, d.response));
    // Decision 1: neg (audio's 0.9 outweighs text's 0.8); decision 2: pos (text alone).
    expect(lines.map((l) => (l.output as { label: string }).label)).toEqual(['neg', 'pos']);
    const sums = Object.fromEntries([...modalitySums(lines).values()].map((e) => [`${e.profile}/${e.modality}`, e.values]));
    expect(Object.keys(sums).sort()).toEqual(['p/audio', 'p/text', 'p/video']);
    expect(sums['p/video']).toEqual({ [METRIC.modalityDecisions]: 2, [METRIC.modalityMissing]: 2 });
    expect(sums['p/audio']).toMatchObject({ [METRIC.modalityDecisions]: 2, [METRIC.modalityMissing]: 1, [METRIC.modalityDisagreement]: 0 });
    expect(sums['p/audio']![METRIC.modalityConfidence]).toBeCloseTo(0.9, 12);
    expect(sums['p/text']).toMatchObject({ [METRIC.modalityDecisions]: 2, [METRIC.modalityMissing]: 0, [METRIC.modalityDisagreement]: 1 });
    expect(sums['p/text']![METRIC.modalityConfidence]).toBeCloseTo(0.8 + 0.6, 12);
    // Contributions of one decision sum to 1 over its modalities: 2 decisions, 2 in all.
    expect(sums['p/text']![METRIC.modalityContribution]! + sums['p/audio']![METRIC.modalityContribution]!).toBeCloseTo(2, 12);
  });

  it('should skip decisions that name no profile (bounded dimensions)', () => {
    const ds = decided({ classes: ['a', 'b'], predictions: { t: { label: 'a' } } });
    expect(modalitySums(ds.map((d) => decisionLine(ctx, d.prepared, d.response))).size).toBe(0);
  });
});
