import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.js';
import type { Io } from '../../functions/cli/io.js';
import type { Json } from './shapes.js';

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'cli-batch-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

function io(opts: { tty?: boolean; stdin?: string } = {}) {
  const out = { stdout: '', stderr: '' };
  const value: Io = {
    stdin: Readable.from([opts.stdin ?? '']),
    stdout: { write: (s: string) => void (out.stdout += s) },
    stderr: { write: (s: string) => void (out.stderr += s), isTTY: opts.tty ?? false },
    env: { ...process.env, FUSION_BUCKET: '' },
  };
  return { io: value, out };
}
const readJsonl = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
const req = (id: number, p: number) => JSON.stringify({ id, classes: ['a', 'b'], predictions: { x: { probabilities: [p, 1 - p] }, y: { probabilities: [0.5, 0.5] } } });

describe('fusion batch', () => {
  it('should write results and error records to their files, print the summary and exit 2 when a line failed', async () => {
    const input = join(dir, 'in.jsonl');
    await writeFile(input, `${req(1, 0.9)}\n{oops\n${req(2, 0.1)}\n`);
    const { io: cli, out } = io();
    const code = await main(['batch', '--strategy', 'product', '--input', input, '--output', join(dir, 'out.jsonl'), '--errors', join(dir, 'err.jsonl')], cli);
    expect(code).toBe(2);
    expect((await readJsonl(join(dir, 'out.jsonl'))).map((r) => [r.id, r.line, r.result.label])).toEqual([[1, 1, 'a'], [2, 3, 'b']]);
    expect((await readJsonl(join(dir, 'err.jsonl'))).map((r) => [r.line, r.error.status])).toEqual([[2, 400]]);
    expect(JSON.parse(out.stderr)).toMatchObject({ lines: 3, fused: 2, failed: 1 });
    expect(out.stderr).not.toContain('fusing [');
  });

  it('should exit 0, read standard input, write standard output, and fill in a stored profile by name', async () => {
    const line = JSON.stringify({ id: 'x', predictions: { text: { probabilities: [0.1, 0.1, 0.8] } } });
    const { io: cli, out } = io({ stdin: `${line}\n` });
    const code = await main(['batch', '-s', 'average', '-i', '-', '-o', '-', '--profile', 'sentiment'], cli);
    expect(code).toBe(0);
    const [rec] = out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(rec).toMatchObject({ id: 'x', line: 1, result: { label: 'positive', profile: { name: 'sentiment' }, modalities: { missing: ['video', 'audio'] } } });
  });

  it('should take a profile file and send error records to standard error without --errors', async () => {
    const profile = join(dir, 'p.json');
    await writeFile(profile, JSON.stringify({ name: 'pq', classes: ['p', 'q'], modalities: ['m', 'n'], weights: { m: 3, n: 1 } }));
    const input = join(dir, 'in2.jsonl');
    await writeFile(input, `${JSON.stringify({ predictions: { m: { label: 'p' }, n: { label: 'q' } } })}\n${JSON.stringify({ predictions: { z: { label: 'p' } } })}\n`);
    const { io: cli, out } = io();
    expect(await main(['batch', '-s', 'average', '-i', input, '-o', join(dir, 'out2.jsonl'), '-p', profile], cli)).toBe(2);
    const [rec] = await readJsonl(join(dir, 'out2.jsonl'));
    expect(rec.result.probabilities.p).toBeCloseTo(0.75, 12);
    const errorLine = JSON.parse(out.stderr.split('\n')[0]!);
    expect(errorLine).toMatchObject({ line: 2, error: { status: 400, errors: [{ path: 'predictions.z' }] } });
  });

  it('should draw a progress bar only when standard error is a terminal', async () => {
    const input = join(dir, 'in3.jsonl');
    await writeFile(input, `${req(1, 0.3)}\n`);
    const { io: cli, out } = io({ tty: true });
    expect(await main(['batch', '-s', 'max', '-i', input, '-o', join(dir, 'out3.jsonl')], cli)).toBe(0);
    expect(out.stderr).toContain('fusing [');
    expect(out.stderr).toContain('100%');
  });

  it('should exit 2 with a problem naming the valid strategies, or the missing file', async () => {
    const a = io();
    expect(await main(['batch', '-s', 'mean', '-i', 'x', '-o', join(dir, 'o.jsonl')], a.io)).toBe(2);
    expect(JSON.parse(a.out.stderr)).toMatchObject({ status: 404, detail: expect.stringContaining('average') });
    const b = io();
    expect(await main(['batch', '-s', 'average', '-i', join(dir, 'nope.jsonl'), '-o', join(dir, 'o.jsonl')], b.io)).toBe(2);
    expect(b.out.stderr).toBe(`fusion: file not found: ${join(dir, 'nope.jsonl')}\n`);
    const c = io();
    expect(await main(['batch', '-s', 'average', '-i', '-'], c.io)).toBe(2);
    expect(c.out.stderr).toContain('--output is required');
  });

  it('should start the deployed state machine with --remote, after checking the input, and print where results go', async () => {
    const seen: { target?: string; body: Json }[] = [];
    const sfn = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        const body = JSON.parse(text);
        seen.push({ target: req.headers['x-amz-target'] as string, body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:M:${body.name}`, startDate: 1767225600 }));
      });
    });
    await new Promise<void>((r) => sfn.listen(0, '127.0.0.1', r));
    const env = { AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${(sfn.address() as AddressInfo).port}`, AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:M';
      const bad = io();
      expect(await main(['batch', '--remote', '-s', 'average', '-i', 'local.jsonl', '--state-machine', arn], bad.io)).toBe(2);
      expect(bad.out.stderr).toContain('s3://BUCKET/KEY');
      const ok = io();
      ok.io.env.FUSION_BATCH_STATE_MACHINE_ARN = arn;
      expect(await main(['batch', '--remote', '-s', 'vote', '-i', 's3://fusion-data/batch/in-remote/day 1.jsonl'], ok.io)).toBe(0);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.target).toBe('AWSStepFunctions.StartExecution');
      expect(JSON.parse(seen[0]!.body.input)).toEqual({ bucket: 'fusion-data', key: 'batch/in-remote/day 1.jsonl', strategy: 'vote' });
      expect(JSON.parse(ok.out.stdout)).toMatchObject({ results: 's3://fusion-data/batch/out/large/', executionArn: expect.stringContaining(':execution:M:vote-day-1-') });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      await new Promise((r) => sfn.close(r));
    }
  });
});
