import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type BatchSummary, runBatch } from '../../functions/events/batch-core.js';
import { readLines } from '../../functions/events/lines.js';
import { DirectoryStore, DEFAULT_STORE_DIR } from '../../functions/store/index.js';

const good = (id: string | number, p = 0.7) => JSON.stringify({ id, classes: ['neg', 'pos'], predictions: { a: { probabilities: [1 - p, p] }, b: { probabilities: [0.4, 0.6] } } });

async function fuseText(text: string | Uint8Array[], opts: Partial<Parameters<typeof runBatch>[2]> = {}, separateErrors = true) {
  let out = '';
  let errs = '';
  const source = Readable.from(typeof text === 'string' ? [Buffer.from(text)] : text);
  const summary: BatchSummary = await runBatch(
    readLines(source),
    { output: { write: (t) => void (out += t) }, ...(separateErrors ? { errors: { write: (t) => void (errs += t) } } : {}) },
    { strategy: 'average', ...opts },
  );
  const parse = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { out: parse(out), errs: parse(errs), summary };
}

describe('readLines', () => {
  it('should rebuild lines split across chunks, including a multi-byte character cut in half and CRLF', async () => {
    const bytes = Buffer.from('{"a":"é"}\r\n{"b":"😀"}\n{"c":1}');
    const chunks = [bytes.subarray(0, 8), bytes.subarray(8, 15), bytes.subarray(15)];
    const lines: unknown[] = [];
    for await (const group of readLines(Readable.from(chunks))) lines.push(...group);
    expect(lines).toEqual(['{"a":"é"}', '{"b":"😀"}', '{"c":1}']);
  });
});

describe('runBatch', () => {
  it('should fuse every good line in input order and report the bad line by number without stopping', async () => {
    const text = [good('a'), '{"id":"x", "classes": ["neg"', good('b', 0.9), '', good(3, 0.2)].join('\n') + '\n';
    const { out, errs, summary } = await fuseText(text);
    expect(out.map((r) => [r.id, r.line, r.result.label])).toEqual([['a', 1, 'pos'], ['b', 3, 'pos'], [3, 5, 'neg']]);
    expect(out[0].result.probabilities.pos).toBeCloseTo(0.65, 12);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ line: 2, id: null, error: { status: 400, type: 'urn:problem:late-fusion:invalid-json' } });
    expect(errs[0].error.detail).toContain('line 2');
    expect(summary).toMatchObject({ lines: 4, fused: 3, failed: 1 });
  });

  it('should keep the id of an invalid request and name the field in its problem', async () => {
    const { errs } = await fuseText(JSON.stringify({ id: 'q', classes: ['neg', 'pos'], predictions: { a: { probabilities: [0.5, 0.9] } } }));
    expect(errs[0]).toMatchObject({ line: 1, id: 'q', error: { status: 400, errors: [{ path: 'predictions.a.probabilities' }] } });
  });

  it('should put error records in the output stream when no error sink is given', async () => {
    const { out } = await fuseText(`${good(1)}\n[]\n`, {}, false);
    expect(out.map((r) => ('result' in r ? 'result' : 'error'))).toEqual(['result', 'error']);
  });

  it('should answer every line with a 404 naming the valid strategies when the strategy is unknown', async () => {
    const { out, errs } = await fuseText(`${good(1)}\n${good(2)}\n`, { strategy: 'nope' });
    expect(out).toEqual([]);
    expect(errs.map((e) => [e.line, e.id, e.error.status])).toEqual([[1, 1, 404], [2, 2, 404]]);
    expect(errs[0].error.detail).toContain('average');
  });

  it('should load each named profile once per run and report an unknown profile per line', async () => {
    const store = new DirectoryStore(DEFAULT_STORE_DIR);
    const loads: string[] = [];
    const loadProfile = (ref: string) => (loads.push(ref), store.getProfile(ref));
    const line = (id: number, profile: string) => JSON.stringify({ id, profile, predictions: { text: { probabilities: [0.1, 0.2, 0.7] } } });
    const text = [line(1, 'sentiment'), line(2, 'nope'), line(3, 'sentiment'), line(4, 'nope')].join('\n');
    const { out, errs } = await fuseText(text, { loadProfile });
    expect(out.map((r) => [r.id, r.result.label, r.result.profile.name, r.result.modalities.missing])).toEqual([
      [1, 'positive', 'sentiment', ['video', 'audio']],
      [3, 'positive', 'sentiment', ['video', 'audio']],
    ]);
    expect(errs.map((e) => [e.id, e.error.status])).toEqual([[2, 404], [4, 404]]);
    expect(loads).toEqual(['sentiment', 'nope']);
  });

  it('should apply the default profile to lines that name none', async () => {
    const store = new DirectoryStore(DEFAULT_STORE_DIR);
    const line = JSON.stringify({ predictions: { text: { probabilities: [0.1, 0.2, 0.7] }, video: { label: 'negative' } } });
    const { out } = await fuseText(line, { loadProfile: (r) => store.getProfile(r), defaultProfile: 'sentiment' });
    // weights 0.5 text, 0.3 video renormalised over the two present modalities
    expect(out[0].result.probabilities.positive).toBeCloseTo((0.5 * 0.7 + 0.3 * 0) / 0.8, 12);
  });

  it('should stop with the store error when the profile store is unavailable, since a retry can succeed', async () => {
    const { UnavailableError } = await import('../../functions/fusion/index.js');
    const loadProfile = async () => {
      throw new UnavailableError('store down');
    };
    await expect(fuseText(JSON.stringify({ profile: 'sentiment', predictions: {} }), { loadProfile })).rejects.toThrow('store down');
  });
});
