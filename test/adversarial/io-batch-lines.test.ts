/**
 * Issue 11, item 5: one line never sinks a batch file. A line over FUSION_MAX_LINE_BYTES is an
 * error record, counted but never held; a byte-order mark is ignored; invalid UTF-8 is an error
 * record, not U+FFFD text; CRLF and CR-only files work. For the batch core, `fusion batch` and
 * the S3 batch Lambda.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.js';
import type { Io } from '../../functions/cli/io.js';
import { runBatch } from '../../functions/events/batch-core.js';
import { readLines } from '../../functions/events/lines.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { lambdaContext, s3Event } from '../events/shapes.js';

const req = (id: string, p = 0.8) => JSON.stringify({ id, classes: ['a', 'b'], predictions: { x: { probabilities: [p, 1 - p] } } });
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const parse = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function fuse(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, maxLineBytes?: number) {
  let out = '';
  let errs = '';
  const summary = await runBatch(
    readLines(Readable.from(source as Iterable<Uint8Array>), maxLineBytes ? { maxLineBytes } : {}),
    { output: { write: (t) => void (out += t) }, errors: { write: (t) => void (errs += t) } },
    { strategy: 'average' },
  );
  return { out: parse(out), errs: parse(errs), summary };
}

describe('batch lines: the core', () => {
  it('should report a line over the limit as line-too-long, never holding it, and fuse the lines after it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let peak = 0;
    async function* source() {
      yield Buffer.from(`${req('before')}\n{"id":"huge","pad":"`);
      const base = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < 640; i++) {
        yield chunk; // the same 64 KiB again and again: 40 MiB of one line
        if (i % 32 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      }
      yield Buffer.from(`"}\n${req('after')}\n`);
    }
    const { out, errs, summary } = await fuse(source());
    expect(out.map((r) => [r.id, r.line])).toEqual([['before', 1], ['after', 3]]);
    expect(errs).toEqual([{ line: 2, id: null, error: expect.objectContaining({ status: 413, type: 'urn:problem:late-fusion:line-too-long' }) }]);
    expect(errs[0].error.detail).toMatch(/^line 2 is 4194\d{4} bytes, over FUSION_MAX_LINE_BYTES \(1048576\)/);
    expect(summary).toMatchObject({ lines: 3, fused: 2, failed: 1 });
    expect(peak).toBeLessThan(4 * 1024 * 1024); // at most the limit plus a chunk, not 40 MiB
  });

  it('should apply a configured limit exactly: a line of the limit passes, one byte more does not', async () => {
    const line = req('exact');
    const { out, errs } = await fuse([Buffer.from(`${line}\n${line} \n${line}`)], Buffer.byteLength(line));
    expect(out.map((r) => r.line)).toEqual([1, 3]);
    expect(errs.map((r) => [r.line, r.error.type.split(':').at(-1)])).toEqual([[2, 'line-too-long']]);
  });

  it('should ignore a UTF-8 byte-order mark at the start of the file, even cut across chunks', async () => {
    const bytes = Buffer.concat([BOM, Buffer.from(`${req('one')}\n${req('two')}\n`)]);
    const { out, errs } = await fuse([bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)]);
    expect(errs).toEqual([]);
    expect(out.map((r) => r.id)).toEqual(['one', 'two']);
  });

  it('should report a line with invalid UTF-8 as invalid-utf8 instead of fusing U+FFFD text', async () => {
    const bad = Buffer.concat([Buffer.from('{"id":"caf'), Buffer.from([0xe9]), Buffer.from(`","classes":["a","b"],"predictions":{"x":{"label":"a"}}}`)]);
    const { out, errs } = await fuse([Buffer.concat([bad, Buffer.from(`\n${req('fine')}\n`)])]);
    expect(out.map((r) => [r.id, r.line])).toEqual([['fine', 2]]);
    expect(errs).toEqual([{ line: 1, id: null, error: expect.objectContaining({ status: 400, type: 'urn:problem:late-fusion:invalid-utf8', detail: expect.stringContaining('line 1 is not valid UTF-8') }) }]);
  });

  it('should read CRLF and CR-only files, numbering lines as they are, a CRLF cut across chunks included', async () => {
    for (const eol of ['\r\n', '\r']) {
      const bytes = Buffer.from([req('a'), req('b'), '', req('c')].join(eol) + eol);
      const cutAt = bytes.indexOf('\r') + 1; // between CR and LF for CRLF
      const { out, errs } = await fuse([bytes.subarray(0, cutAt), bytes.subarray(cutAt)]);
      expect(errs).toEqual([]);
      expect(out.map((r) => [r.id, r.line])).toEqual([['a', 1], ['b', 2], ['c', 4]]);
    }
  });
});

describe('batch lines: fusion batch', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'io-lines-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  function io(env: Record<string, string> = {}) {
    const out = { stdout: '', stderr: '' };
    const value: Io = {
      stdin: Readable.from(['']),
      stdout: { write: (s: string) => void (out.stdout += s) },
      stderr: { write: (s: string) => void (out.stderr += s) },
      env: { ...process.env, FUSION_BUCKET: '', ...env },
    };
    return { io: value, out };
  }

  it('should skip a too-long line, a bad UTF-8 line, drop the BOM and read CR line ends, fusing every other line', async () => {
    const input = join(dir, 'mixed.jsonl');
    const long = `{"id":"long","pad":"${'y'.repeat(5000)}"}`;
    await writeFile(input, Buffer.concat([BOM, Buffer.from(`${req('1')}\r${long}\r\n`), Buffer.from([0xff, 0x0a]), Buffer.from(`${req('4')}\n`)]));
    const { io: cli, out } = io({ FUSION_MAX_LINE_BYTES: '4096' });
    const code = await main(['batch', '-s', 'average', '-i', input, '-o', join(dir, 'out.jsonl'), '-e', join(dir, 'err.jsonl')], cli);
    expect(code).toBe(2);
    expect(parse(await readFile(join(dir, 'out.jsonl'), 'utf8')).map((r) => [r.id, r.line])).toEqual([['1', 1], ['4', 4]]);
    const errors = parse(await readFile(join(dir, 'err.jsonl'), 'utf8'));
    expect(errors.map((r) => [r.line, r.error.status, r.error.type.split(':').at(-1)])).toEqual([[2, 413, 'line-too-long'], [3, 400, 'invalid-utf8']]);
    expect(JSON.parse(out.stderr)).toMatchObject({ lines: 4, fused: 2, failed: 2 });
  });

  it('should refuse an invalid FUSION_MAX_LINE_BYTES, naming it', async () => {
    const input = join(dir, 'one.jsonl');
    await writeFile(input, `${req('1')}\n`);
    const { io: cli, out } = io({ FUSION_MAX_LINE_BYTES: 'lots' });
    expect(await main(['batch', '-s', 'average', '-i', input, '-o', join(dir, 'o.jsonl')], cli)).not.toBe(0);
    expect(out.stderr).toContain('FUSION_MAX_LINE_BYTES must be a whole number');
  });
});

describe('batch lines: the S3 batch Lambda', () => {
  let s3: S3Fixture;
  let handler: typeof import('../../functions/events/s3-batch.js').handler;
  beforeAll(async () => {
    s3 = await startS3();
    Object.assign(process.env, s3.env, { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR', FUSION_MAX_LINE_BYTES: '4096' });
    ({ handler } = await import('../../functions/events/s3-batch.js'));
  });
  afterAll(async () => {
    delete process.env.FUSION_MAX_LINE_BYTES;
    await s3?.stop();
  });
  const text = async (key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();

  it('should write a line-too-long and an invalid-utf8 record and fuse the rest of a BOM, CRLF file', async () => {
    const body = Buffer.concat([BOM, Buffer.from(`${req('1')}\r\n{"id":"x","pad":"${'z'.repeat(10_000)}"}\r\n`), Buffer.from([0xc3, 0x28, 0x0d, 0x0a]), Buffer.from(`${req('4')}\r\n`)]);
    const key = 'batch/in/average/adversarial.jsonl';
    const put = await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
    const [outcome] = await handler(s3Event(s3.bucket, key, put.ETag!, body.length), lambdaContext('s3-batch'));
    expect(outcome).toMatchObject({ status: 'fused', summary: { lines: 4, fused: 2, failed: 2 } });
    expect(parse(await text('batch/out/average/adversarial.jsonl')).map((r) => [r.id, r.line])).toEqual([['1', 1], ['4', 4]]);
    const errors = parse(await text('batch/out/average/adversarial.errors.jsonl'));
    expect(errors.map((r) => [r.line, r.error.type.split(':').at(-1)])).toEqual([[2, 'line-too-long'], [3, 'invalid-utf8']]);
  });
});
