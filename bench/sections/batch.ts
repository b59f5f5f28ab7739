/**
 * Batch section: fused lines per second through the streaming JSONL core on a 1,000,000-line
 * file, beside a plain loop that only JSON.parse + JSON.stringify each line of the same file
 * (same reader, same writer), and the CLI's peak RSS on 100k versus 1M lines, each measured in
 * its own child process (`fusion batch`, maxRSS from process.resourceUsage(), median of 3), with
 * the heap still in use after a full GC at the end (what the run really keeps). The generated
 * ids ("r0" to "r999999") are short and unique, as real ids often are: with plain JSON.parse they
 * made V8's string table grow with the file (see parseLine in functions/events/lines.ts). The
 * plain loop keeps JSON.parse, as the naive baseline. Last, the CLI's peak RSS on the small file
 * with one 200 MB line added in its middle versus without it: the long line is skipped unread
 * (FUSION_MAX_LINE_BYTES), so memory must not grow with it.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBatch } from '../../functions/events/batch-core.js';
import { READ_CHUNK_BYTES, readLines, writableSink } from '../../functions/events/lines.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const BIG = Number(process.env.BENCH_BATCH_LINES ?? 1_000_000);
const SMALL = Math.round(BIG / 10);
const ROUNDS = 3;
const LONG_LINE_BYTES = Number(process.env.BENCH_LONG_LINE_MB ?? 200) * 1e6;
const ROOT = resolve(import.meta.dirname, '../..');

export async function run(): Promise<SectionResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-batch-'));
  try {
    const big = join(dir, 'big.jsonl');
    const small = join(dir, 'small.jsonl');
    await generate(big, BIG);
    await generate(small, SMALL);
    const out = join(dir, 'out.jsonl');

    const plain: number[] = [];
    const fused: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      plain.push(await timed(() => plainLoop(big, out)));
      fused.push(await timed(() => fuseFile(big, out)));
    }
    const plainRate = BIG / median(plain);
    const fusedRate = BIG / median(fused);

    const smallRuns: ChildMemory[] = [];
    const bigRuns: ChildMemory[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      smallRuns.push(await childMemory(small, join(dir, 'o-small.jsonl')));
      bigRuns.push(await childMemory(big, join(dir, 'o-big.jsonl')));
    }
    const rssSmall = median(smallRuns.map((m) => m.maxRSS));
    const rssBig = median(bigRuns.map((m) => m.maxRSS));
    const heapSmall = median(smallRuns.map((m) => m.heapAfterGc));
    const heapBig = median(bigRuns.map((m) => m.heapAfterGc));

    const long = join(dir, 'long.jsonl');
    await generate(long, SMALL, LONG_LINE_BYTES);
    const longRuns: ChildMemory[] = [];
    const plainRuns: ChildMemory[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      plainRuns.push(await childMemory(small, join(dir, 'o-small.jsonl')));
      longRuns.push(await childMemory(long, join(dir, 'o-long.jsonl'), 2));
    }
    const rssPlain = median(plainRuns.map((m) => m.maxRSS));
    const rssLong = median(longRuns.map((m) => m.maxRSS));
    const mb = Math.round(LONG_LINE_BYTES / 1e6);
    const rows = [
      { measure: `plain JSON.parse + JSON.stringify, ${BIG} lines (median of ${ROUNDS})`, value: Math.round(plainRate), unit: 'lines/s' },
      { measure: `fusion batch core (average), ${BIG} lines (median of ${ROUNDS})`, value: Math.round(fusedRate), unit: 'lines/s' },
      { measure: 'ratio fused / plain (target >= 0.5)', value: +(fusedRate / plainRate).toFixed(3), unit: '' },
      { measure: `peak RSS of fusion batch, ${SMALL} lines`, value: +(rssSmall / 1024).toFixed(1), unit: 'MiB' },
      { measure: `peak RSS of fusion batch, ${BIG} lines`, value: +(rssBig / 1024).toFixed(1), unit: 'MiB' },
      { measure: 'RSS ratio big / small (target <= 1.3)', value: +(rssBig / rssSmall).toFixed(3), unit: '' },
      { measure: `heap in use after a full GC at the end, ${SMALL} lines`, value: +(heapSmall / 2 ** 20).toFixed(1), unit: 'MiB' },
      { measure: `heap in use after a full GC at the end, ${BIG} lines`, value: +(heapBig / 2 ** 20).toFixed(1), unit: 'MiB' },
      { measure: `peak RSS of fusion batch, ${SMALL} lines`, value: +(rssPlain / 1024).toFixed(1), unit: 'MiB' },
      { measure: `peak RSS of fusion batch, ${SMALL} lines + one ${mb} MB line`, value: +(rssLong / 1024).toFixed(1), unit: 'MiB' },
      { measure: `RSS ratio with / without the ${mb} MB line (target < 1.3)`, value: +(rssLong / rssPlain).toFixed(3), unit: '' },
    ];
    return {
      rows,
      extra: { lines: BIG, rounds: ROUNDS, plainSeconds: plain, fusedSeconds: fused, ratio: fusedRate / plainRate, memory: { [SMALL]: smallRuns, [BIG]: bigRuns }, rssRatio: rssBig / rssSmall, longLine: { bytes: LONG_LINE_BYTES, without: plainRuns, with: longRuns, rssRatio: rssLong / rssPlain } },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes `n` three-modality sentiment requests with varied numbers, streaming; with `longLine`, one line of that many bytes in the middle. */
async function generate(file: string, n: number, longLine = 0): Promise<void> {
  const sink = writableSink(createWriteStream(file));
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const dist = () => {
    const a = rand() + 0.01, b = rand() + 0.01, c = rand() + 0.01, s = a + b + c;
    return [+(a / s).toFixed(4), +(b / s).toFixed(4), +(1 - +(a / s).toFixed(4) - +(b / s).toFixed(4)).toFixed(4)];
  };
  let chunk = '';
  for (let i = 0; i < n; i++) {
    const req = {
      id: `r${i}`,
      classes: ['negative', 'neutral', 'positive'],
      predictions: { text: { probabilities: dist() }, video: { probabilities: dist() }, audio: { logits: [rand() * 4 - 2, rand() * 4 - 2, rand() * 4 - 2] } },
      weights: { text: 0.5, video: 0.3, audio: 0.2 },
    };
    chunk += `${JSON.stringify(req)}\n`;
    if (chunk.length > 1 << 16) await sink.write(chunk), (chunk = '');
    if (longLine && i === n >> 1) {
      const pad = 'x'.repeat(1 << 20);
      await sink.write(`${chunk}{"id":"long","pad":"`), (chunk = '');
      for (let left = longLine - 20; left > 0; left -= pad.length) await sink.write(left >= pad.length ? pad : pad.slice(0, left));
      await sink.write('"}\n');
    }
  }
  await sink.write(chunk);
  await sink.end();
}

async function plainLoop(input: string, output: string): Promise<void> {
  const sink = writableSink(createWriteStream(output));
  for await (const group of readLines(createReadStream(input, { highWaterMark: READ_CHUNK_BYTES }))) {
    let out = '';
    for (const line of group) if (typeof line === 'string' && line) out += `${JSON.stringify(JSON.parse(line))}\n`;
    await sink.write(out);
  }
  await sink.end();
}

async function fuseFile(input: string, output: string): Promise<void> {
  const sink = writableSink(createWriteStream(output));
  const summary = await runBatch(readLines(createReadStream(input, { highWaterMark: READ_CHUNK_BYTES })), { output: sink }, { strategy: 'average' });
  await sink.end();
  if (summary.failed) throw new Error(`bench data had ${summary.failed} failed lines`);
}

interface ChildMemory {
  /** Peak resident set size, KiB (process.resourceUsage().maxRSS). */
  maxRSS: number;
  /** Bytes of heap still in use after a forced full GC once the run is over. */
  heapAfterGc: number;
}

/**
 * Runs `fusion batch` on `input` in a child process (Node's default heap settings; --expose-gc
 * only so the child can report what survives a full GC) and returns its memory figures.
 */
function childMemory(input: string, output: string, expectedExit = 0): Promise<ChildMemory> {
  const code = `import { main } from ${JSON.stringify(join(ROOT, 'functions/cli/main.ts'))};
const code = await main(['batch', '--strategy', 'average', '--input', ${JSON.stringify(input)}, '--output', ${JSON.stringify(output)}]);
const maxRSS = process.resourceUsage().maxRSS;
globalThis.gc();
process.stdout.write(JSON.stringify({ code, maxRSS, heapAfterGc: process.memoryUsage().heapUsed }));`;
  return new Promise((resolveMemory, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('error', reject);
    child.on('close', () => {
      try {
        const { code: exit, maxRSS, heapAfterGc } = JSON.parse(text) as ChildMemory & { code: number };
        if (exit !== expectedExit) throw new Error(`fusion batch exited ${exit}, not ${expectedExit}`);
        resolveMemory({ maxRSS, heapAfterGc });
      } catch (e) {
        reject(new Error(`child did not report its memory: ${(e as Error).message}; output: ${text.slice(0, 200)}`));
      }
    });
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}
