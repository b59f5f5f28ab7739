/**
 * Coldstart section: for each function `cdk synth` builds, its bundle size and the median over
 * RUNS fresh processes of (a) importing the bundle, (b) process start to the first answer of an
 * inline request and (c) of a request naming a profile stored in s3rver, beside two baselines
 * measured in the same rounds: `node -e 0` and importing `@aws-sdk/client-s3` alone. Every time
 * is wall clock from spawn to exit; beside it, each process's own CPU time (user + system, from
 * `process.resourceUsage()` at exit), which load from other processes on the machine disturbs
 * far less than wall clock. Each bundle runs copied alone into a folder whose
 * node_modules holds only what the Lambda runtime provides (`@aws-sdk/*`, `@smithy/*`), with
 * the environment of its function in the synthesised template (so `NODE_OPTIONS` as deployed).
 * Rounds alternate every measurement, so load on the machine falls on all of them alike.
 * Goals: (b) at most 2x `node -e 0`; (c) at most the SDK import + 25 ms.
 *
 * Then the cost of `--enable-source-maps`, on the average function: (a) with and without it,
 * and process start to the first error response (a 500 whose stack is logged). And what V8's
 * compile cache would buy: (b) of the average function with `NODE_COMPILE_CACHE` pointing at a
 * cache its first run filled (local only: Lambda's /var/task is read-only, and a cache built
 * elsewhere must match the runtime's exact Node.js version; see bench/README.md).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { sqsEvent, sqsRecord } from '../../test/events/shapes.js';
import { eventV2 } from '../../test/http/events.js';
import { type Bundle, isolateBundles, synthBundles } from '../../test/infra/bundles.js';
import { startS3 } from '../../test/support/s3.js';
import { STRATEGIES, type StrategyName } from '../../functions/fusion/registry.js';
import { tasksOf } from '../../functions/fusion/tasks/task.js';
import { ENTRIES } from '../../functions/http/routes.js';
import { functionId } from '../../infra/lib/stack.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const RUNS = Number(process.env.BENCH_COLDSTART_RUNS ?? 11);
const ROOT = resolve(import.meta.dirname, '../..');
const SDK_SLACK_MS = 25;

const PROFILE = { name: 'bench', classes: ['negative', 'neutral', 'positive'], modalities: ['text', 'video', 'audio'], weights: { text: 0.5, video: 0.3, audio: 0.2 } };
const PREDICTIONS = { text: { probabilities: [0.1, 0.2, 0.7] }, video: { probabilities: [0.2, 0.5, 0.3] }, audio: { logits: [-1, 0.2, 1.5] } };
const INLINE = { classes: PROFILE.classes, modalities: PROFILE.modalities, weights: PROFILE.weights, predictions: PREDICTIONS };
const WITH_PROFILE = { profile: 'bench', predictions: PREDICTIONS };
const REGRESSION = { task: 'regression', predictions: { text: { value: 1.8, std: 0.5 }, audio: { value: 0.9, std: 1.2 } } };
const tenths = (n: number) => Array.from({ length: 10 }, (_, i) => (i === n ? 0.55 : 0.05));
const LEARNED = { profile: 'digits-learned', predictions: { top: { probabilities: tenths(3) }, bottom: { probabilities: tenths(3) }, profile: { probabilities: tenths(8) } } };

/** Reports the process's CPU time on stderr as it exits (needs `writeSync` from node:fs in scope). */
const CPU_AT_EXIT = "process.on('exit', () => { const r = process.resourceUsage(); writeSync(2, 'CPU ' + (r.userCPUTime + r.systemCPUTime) / 1000 + '\\n'); });";

/**
 * Runs in each fresh process: imports the bundle, calls its handler once with the event (if
 * any), checks the answer, reports in-process times on stderr and exits.
 */
const DRIVER = `
import { readFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [file, eventFile, expect] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(file).href);
const imported = performance.now();
let ok = true;
if (eventFile) {
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const context = { callbackWaitsForEmptyEventLoop: true, functionName: 'cold', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:cold', memoryLimitInMB: '512', awsRequestId: 'c0ffee00-0000-4000-8000-000000000001', logGroupName: '/aws/lambda/cold', logStreamName: 'cold', getRemainingTimeInMillis: () => 10000, done() {}, fail() {}, succeed() {} };
  const out = await handler(event, context);
  ok = expect === 'status200' ? out.statusCode === 200 : expect === 'status5xx' ? out.statusCode >= 500 : expect === 'records' ? out.every((r) => !('error' in r)) : expect === 'sqs' ? out.batchItemFailures.length === 0 : false;
  if (!ok) writeSync(2, 'unexpected answer: ' + JSON.stringify(out).slice(0, 500) + '\\n');
}
writeSync(2, 'COLDSTART ' + JSON.stringify({ imported, answered: performance.now(), ok }) + '\\n');
${CPU_AT_EXIT}
process.exit(ok ? 0 : 1);
`;

/** One kind of process to start, measured RUNS times. */
interface Task {
  key: string;
  cwd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  wall: number[];
  /** The process's CPU time (user + system), ms. */
  cpu: number[];
  /** In-process milliseconds since the process's time origin: after the import, after the answer. */
  imported: number[];
  answered: number[];
}

export async function run(): Promise<SectionResult> {
  const work = mkdtempSync(join(tmpdir(), 'bench-coldstart-'));
  const s3 = await startS3({ bucket: 'cold' });
  let sqs: FauxqsServer | undefined;
  try {
    const bundles = synthBundles(join(work, 'cdk.out'));
    const files = isolateBundles(bundles.values(), join(work, 'runtime'), { sdk: true });
    const driver = join(work, 'runtime', 'driver.mjs');
    writeFileSync(driver, DRIVER);
    writeFileSync(join(work, 'runtime', 'sdk.mjs'), `import { writeSync } from 'node:fs';\nawait import('@aws-sdk/client-s3');\n${CPU_AT_EXIT}\n`);

    await s3.put('profiles/bench.json', PROFILE);
    await s3.put('profiles/digits-learned.json', readFileSync(join(ROOT, 'examples/profiles/digits-learned.json'), 'utf8'));
    await s3.put('models/digits-logistic.json', readFileSync(join(ROOT, 'examples/profiles/models/digits-logistic.json'), 'utf8'));
    sqs = await startFauxqs({ port: 0, logger: false });
    sqs.createQueue('results');

    const local = { ...s3.env, AWS_ENDPOINT_URL_SQS: sqs.address, FUSION_RESULTS_QUEUE_URL: `${sqs.address}/000000000000/results` };
    const event = (name: string, value: unknown) => {
      const file = join(work, `${name}.json`);
      writeFileSync(file, JSON.stringify(value));
      return file;
    };
    const tasks: Task[] = [];
    const task = (key: string, args: string[], env: NodeJS.ProcessEnv) => {
      const t: Task = { key, cwd: join(work, 'runtime'), args, env, wall: [], cpu: [], imported: [], answered: [] };
      tasks.push(t);
      return t;
    };
    const baseEnv = lambdaEnv({});
    task('node -e 0', ['-e', `const { writeSync } = require('node:fs');\n${CPU_AT_EXIT}`], baseEnv);
    task('import @aws-sdk/client-s3', [join(work, 'runtime', 'sdk.mjs')], baseEnv);
    for (const b of bundles.values()) {
      const env = lambdaEnv({ ...b.environment, ...local });
      const file = files.get(b.id)!;
      task(`${b.id} a`, [driver, file], env);
      for (const [kind, ev, expect] of requests(b)) task(`${b.id} ${kind}`, [driver, file, event(`${b.id}-${kind}`, ev), expect], env);
    }
    // Source maps: the average function with and without them, importing and answering a 500.
    const avg = bundles.get('AverageFunction')!;
    const broken = event('error', { ...eventV2('POST', '/v1/fuse/average', INLINE), requestContext: undefined });
    for (const maps of [true, false]) {
      const env = lambdaEnv({ ...avg.environment, ...local, NODE_OPTIONS: maps ? '--enable-source-maps' : '' });
      task(`maps ${maps} a`, [driver, files.get(avg.id)!], env);
      task(`maps ${maps} error`, [driver, files.get(avg.id)!, broken, 'status5xx'], env);
    }
    // The compile cache: filled by one run first, then used (and kept) by every measured run.
    const cache = join(work, 'compile-cache');
    mkdirSync(cache);
    const cached = task('cache b', [driver, files.get(avg.id)!, join(work, `${avg.id}-b.json`), 'status200'], lambdaEnv({ ...avg.environment, ...local, NODE_COMPILE_CACHE: cache }));
    await measure(cached);
    cached.wall.length = cached.cpu.length = cached.imported.length = cached.answered.length = 0;

    for (let r = 0; r < RUNS; r++) {
      // Each round starts at another task, so no task always follows the same one.
      const start = (r * 7) % tasks.length;
      for (let i = 0; i < tasks.length; i++) await measure(tasks[(start + i) % tasks.length]!);
    }
    return report(bundles, tasks);
  } finally {
    await sqs?.stop();
    await s3.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The requests each function gets: [kind, event, expected answer]. */
function requests(b: Bundle): [string, unknown, string][] {
  const entry = ENTRIES.find((e) => functionId(e) === b.id);
  if (b.id === 'MetaFunction') return [['b', eventV2('GET', '/v1/health'), 'status200']];
  if (b.id === 'LearnedFunction') return [['c', eventV2('POST', '/v1/fuse/learned', LEARNED), 'status200']];
  if (b.id === 'S3BatchFunction') {
    const batch = (items: unknown[]) => ({ BatchInput: { bucket: 'cold', key: 'batch/in-large/average/x.jsonl', strategy: 'average' }, Items: items.map((request, index) => ({ index, request })) });
    return [
      ['b', batch([INLINE, INLINE]), 'records'],
      ['c', batch([WITH_PROFILE, WITH_PROFILE]), 'records'],
    ];
  }
  if (b.id === 'SqsFunction')
    return [
      ['b', sqsEvent([sqsRecord(JSON.stringify({ id: '1', strategy: 'average', ...INLINE }))]), 'sqs'],
      ['c', sqsEvent([sqsRecord(JSON.stringify({ id: '1', strategy: 'average', ...WITH_PROFILE }))]), 'sqs'],
    ];
  // Joins keep state between requests: their cost is measured in the joins section. Feedback
  // writes to its stream (or the local store) on every request: not measured here.
  if (!entry || b.id === 'RetrainFunction' || b.id === 'JoinsFunction' || b.id === 'FeedbackFunction') return [];
  if (!tasksOf(STRATEGIES[entry as StrategyName]).includes('classification'))
    return [['b', eventV2('POST', `/v1/fuse/${entry}`, REGRESSION), 'status200']];
  return [
    ['b', eventV2('POST', `/v1/fuse/${entry}`, INLINE), 'status200'],
    ['c', eventV2('POST', `/v1/fuse/${entry}`, WITH_PROFILE), 'status200'],
  ];
}

/** A Lambda-like environment: only what the runtime sets plus `vars` (not this process's, which tsx changes). */
function lambdaEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'cold',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    ...vars,
  };
  if (!env.NODE_OPTIONS) delete env.NODE_OPTIONS;
  return env;
}

/** Starts one fresh process of `t` and records its times. */
function measure(t: Task): Promise<void> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, t.args, { cwd: t.cwd, env: t.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('error', fail);
    child.once('exit', (code) => {
      const wall = performance.now() - t0;
      if (code !== 0) return fail(new Error(`${t.key} exited with ${code}: ${stderr.slice(0, 2000)}`));
      t.wall.push(wall);
      const cpu = /CPU (\S+)/.exec(stderr);
      if (cpu) t.cpu.push(Number(cpu[1]));
      const m = /COLDSTART (.*)/.exec(stderr);
      if (m) {
        const got = JSON.parse(m[1]!) as { imported: number; answered: number };
        t.imported.push(got.imported);
        t.answered.push(got.answered);
      }
      done();
    });
  });
}

const ms = (x: number) => Math.round(x * 10) / 10;

function report(bundles: Map<string, Bundle>, tasks: Task[]): SectionResult {
  const by = new Map(tasks.map((t) => [t.key, t]));
  const wall = (key: string) => (by.has(key) ? median(by.get(key)!.wall) : undefined);
  const node = wall('node -e 0')!;
  const sdk = wall('import @aws-sdk/client-s3')!;
  const cpu = (key: string) => (by.get(key)?.cpu.length ? median(by.get(key)!.cpu) : undefined);
  const nodeCpu = cpu('node -e 0')!;
  const sdkCpu = cpu('import @aws-sdk/client-s3')!;
  // CPU columns: b's CPU time over node -e 0's, and c's CPU time minus the SDK import's.
  const cpuCols = (b?: number, c?: number) => ({ 'b / node cpu': b === undefined ? '' : +(b / nodeCpu).toFixed(2), 'c - sdk cpu ms': c === undefined ? '' : ms(c - sdkCpu) });
  const rows: Record<string, string | number>[] = [
    { function: 'node -e 0', 'bundle KB': '', 'a import ms': ms(node), 'b inline ms': '', 'c profile ms': '', 'b / node': '', 'c - sdk ms': '', ...cpuCols(), goals: `cpu ${ms(nodeCpu)} ms` },
    { function: 'import @aws-sdk/client-s3', 'bundle KB': '', 'a import ms': ms(sdk), 'b inline ms': '', 'c profile ms': '', 'b / node': '', 'c - sdk ms': '', ...cpuCols(), goals: `cpu ${ms(sdkCpu)} ms` },
  ];
  const functions: Record<string, unknown> = {};
  for (const b of bundles.values()) {
    const [a, bb, c] = [wall(`${b.id} a`)!, wall(`${b.id} b`), wall(`${b.id} c`)];
    const goals = [bb === undefined ? '' : bb <= 2 * node ? 'b ok' : 'b over', c === undefined ? '' : c <= sdk + SDK_SLACK_MS ? 'c ok' : 'c over'].filter(Boolean).join(', ');
    rows.push({
      function: b.id.replace(/Function$/, ''),
      'bundle KB': ms(b.bytes / 1000),
      'a import ms': ms(a),
      'b inline ms': bb === undefined ? '' : ms(bb),
      'c profile ms': c === undefined ? '' : ms(c),
      'b / node': bb === undefined ? '' : +(bb / node).toFixed(2),
      'c - sdk ms': c === undefined ? '' : ms(c - sdk),
      ...cpuCols(cpu(`${b.id} b`), cpu(`${b.id} c`)),
      goals,
    });
    const cpuTimes = { a: cpu(`${b.id} a`), b: cpu(`${b.id} b`), c: cpu(`${b.id} c`) };
    functions[b.id] = { bytes: b.bytes, nodeOptions: b.environment.NODE_OPTIONS ?? '', a, b: bb, c, cpu: cpuTimes, inProcess: inProcess(by, b.id) };
  }
  // The seven fixed-rule strategy bundles differ only in their rule: pooled, their runs give a steadier median.
  const pooled = (kind: string) => median(bundlesOf(bundles, /^(Average|Product|Max|Min|Median|Vote|Borda)Function$/).flatMap((id) => by.get(`${id} ${kind}`)?.wall ?? []));
  const [pa, pb, pc] = [pooled('a'), pooled('b'), pooled('c')];
  const pooledCpu = (kind: string) => median(bundlesOf(bundles, /^(Average|Product|Max|Min|Median|Vote|Borda)Function$/).flatMap((id) => by.get(`${id} ${kind}`)?.cpu ?? []));
  const [pcpuA, pcpuB, pcpuC] = [pooledCpu('a'), pooledCpu('b'), pooledCpu('c')];
  rows.push({
    function: 'fixed-rule strategies, pooled',
    'bundle KB': '',
    'a import ms': ms(pa),
    'b inline ms': ms(pb),
    'c profile ms': ms(pc),
    'b / node': +(pb / node).toFixed(2),
    'c - sdk ms': ms(pc - sdk),
    ...cpuCols(pcpuB, pcpuC),
    goals: `${pb <= 2 * node ? 'b ok' : 'b over'}, ${pc <= sdk + SDK_SLACK_MS ? 'c ok' : 'c over'}`,
  });
  const maps = (on: boolean) => ({ a: wall(`maps ${on} a`)!, error: wall(`maps ${on} error`)!, errorAfterImport: median(by.get(`maps ${on} error`)!.answered.map((x, i) => x - by.get(`maps ${on} error`)!.imported[i]!)) });
  const on = maps(true);
  const off = maps(false);
  rows.push(
    { function: 'Average, --enable-source-maps', 'bundle KB': '', 'a import ms': ms(on.a), 'b inline ms': '', 'c profile ms': '', 'b / node': '', 'c - sdk ms': '', goals: `first 500: ${ms(on.error)} ms (${ms(on.errorAfterImport)} after import)` },
    { function: 'Average, no source maps', 'bundle KB': '', 'a import ms': ms(off.a), 'b inline ms': '', 'c profile ms': '', 'b / node': '', 'c - sdk ms': '', goals: `first 500: ${ms(off.error)} ms (${ms(off.errorAfterImport)} after import)` },
  );
  const cacheB = wall('cache b')!;
  rows.push({
    function: 'Average, warm NODE_COMPILE_CACHE (local only)',
    'bundle KB': '',
    'a import ms': '',
    'b inline ms': ms(cacheB),
    'c profile ms': '',
    'b / node': +(cacheB / node).toFixed(2),
    'c - sdk ms': '',
    ...cpuCols(cpu('cache b')),
    goals: `without: ${ms(wall('AverageFunction b')!)} ms, cpu ${ms(cpu('AverageFunction b')!)}; with: cpu ${ms(cpu('cache b')!)}`,
  });
  const raw = Object.fromEntries(tasks.map((t) => [t.key, { wall: t.wall.map(ms), cpu: t.cpu.map(ms), imported: t.imported.map(ms), answered: t.answered.map(ms) }]));
  return {
    rows,
    extra: {
      runs: RUNS,
      nodeMs: node,
      sdkImportMs: sdk,
      cpu: { nodeMs: nodeCpu, sdkImportMs: sdkCpu, pooledStrategies: { a: pcpuA, b: pcpuB, c: pcpuC } },
      pooledStrategies: { a: pa, b: pb, c: pc },
      goals: { inlineMaxMs: 2 * node, profileMaxMs: sdk + SDK_SLACK_MS },
      functions,
      sourceMaps: { on, off },
      compileCache: { b: cacheB, cpu: cpu('cache b'), inProcess: median(by.get('cache b')!.answered) },
      raw,
    },
  };
}

function bundlesOf(bundles: Map<string, Bundle>, id: RegExp): string[] {
  return [...bundles.keys()].filter((k) => id.test(k));
}

/** Medians of the in-process times (since the process's time origin) of one function's runs. */
function inProcess(by: Map<string, Task>, id: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of ['a', 'b', 'c']) {
    const t = by.get(`${id} ${kind}`);
    if (!t) continue;
    out[`${kind}Imported`] = ms(median(t.imported));
    if (kind !== 'a') out[`${kind}Answered`] = ms(median(t.answered));
  }
  return out;
}
