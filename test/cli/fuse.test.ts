import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { BatchResponse, FusionResponse, PROBLEM_BASE, Problem } from '../../functions/fusion/index.js';

const root = join(import.meta.dirname, '..', '..');

/** Runs the CLI in-process with the given stdin; returns the exit code and what it printed. */
async function cli(argv: string[], stdin = '') {
  return cliEnv(argv, stdin, {});
}

async function cliEnv(argv: string[], stdin: string, env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdin: Readable.from([stdin]),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const request = { classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.3, 0.7] }, audio: { logits: [0.4, 0.1] } } };
const profile = { name: 'senti', classes: ['neg', 'pos'], modalities: ['text', 'audio', 'video'], weights: { text: 3, audio: 1 } };
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-cli-'));
  await writeFile(join(dir, 'request.json'), JSON.stringify(request));
  await writeFile(join(dir, 'profile.json'), JSON.stringify(profile));
  await writeFile(join(dir, 'bad-profile.json'), JSON.stringify({ name: 'x', classes: ['a', 'b'] }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('fusion fuse', () => {
  it('should fuse a request from stdin and print the response', async () => {
    const r = await cli(['fuse', '--strategy', 'average'], JSON.stringify(request));
    expect(r.code).toBe(0);
    const out = FusionResponse.parse(JSON.parse(r.stdout));
    expect(out).toMatchObject({ strategy: 'average', label: 'pos', modalities: { used: ['text', 'audio'], missing: [] } });
    expect(r.stderr).toBe('');
  });

  it('should read --input FILE and print one line with --compact', async () => {
    const r = await cli(['fuse', '-s', 'vote', '--input', join(dir, 'request.json'), '--compact']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout).votes).toEqual({ pos: 1, neg: 1 });
  });

  it('should fuse a batch and answer results in order', async () => {
    const batch = { classes: ['neg', 'pos'], items: [{ predictions: { a: { label: 'neg' } } }, { predictions: { a: { label: 'pos' } } }] };
    const r = await cli(['fuse', '--strategy', 'max'], JSON.stringify(batch));
    expect(r.code).toBe(0);
    expect(BatchResponse.parse(JSON.parse(r.stdout)).results.map((x) => x.label)).toEqual(['neg', 'pos']);
  });

  it('should take defaults from --profile and report the profile and the missing modalities', async () => {
    const r = await cli(['fuse', '--strategy', 'average', '--profile', join(dir, 'profile.json')], JSON.stringify({ predictions: { text: { probabilities: [0.9, 0.1] }, audio: { probabilities: [0.1, 0.9] } } }));
    expect(r.code).toBe(0);
    const out = FusionResponse.parse(JSON.parse(r.stdout));
    expect(out.probabilities.neg).toBeCloseTo(0.7, 12);
    expect(out.modalities.missing).toEqual(['video']);
    expect(out.profile).toEqual({ name: 'senti', version: 'file', stale: false });
  });

  it('should exit 2 with a problem when the request classes differ from the profile', async () => {
    const r = await cli(['fuse', '--strategy', 'average', '--profile', join(dir, 'profile.json')], JSON.stringify({ ...request, classes: ['pos', 'neg'] }));
    expect(r.code).toBe(2);
    expect(Problem.parse(JSON.parse(r.stderr)).errors?.[0]?.path).toBe('classes');
  });

  it('should exit 2 naming the field of an invalid profile file', async () => {
    const r = await cli(['fuse', '--strategy', 'average', '--profile', join(dir, 'bad-profile.json')], JSON.stringify(request));
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).errors).toContainEqual({ path: 'profile.modalities', message: 'modalities must be an array of the expected modality names' });
  });

  it('should exit 2 with the RFC 9457 problem on stderr for an invalid request', async () => {
    const r = await cli(['fuse', '--strategy', 'average'], JSON.stringify({ classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.3, 0.6] } } }));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const problem = Problem.parse(JSON.parse(r.stderr));
    expect(problem).toMatchObject({ type: `${PROBLEM_BASE}invalid-request`, status: 400 });
    expect(problem.errors).toEqual([{ path: 'predictions.text.probabilities', message: expect.stringMatching(/sum to 0.9/) }]);
  });

  it('should exit 2 with an invalid-json problem for input that is not JSON', async () => {
    const r = await cli(['fuse', '--strategy', 'average'], '{"classes": [');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({ type: `${PROBLEM_BASE}invalid-json`, status: 400, detail: expect.stringMatching(/^the input is not valid JSON/) });
  });

  it('should exit 2 with one usage line for a missing input file, naming it', async () => {
    const file = join(dir, 'nope.json');
    const r = await cli(['fuse', '--strategy', 'average', '--input', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fusion: file not found: ${file}\n`);
  });

  it('should exit 2 with a problem naming a file that exists but cannot be read (a directory)', async () => {
    const r = await cli(['fuse', '--strategy', 'average', '--input', dir]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).errors).toEqual([{ path: dir, message: 'cannot read file: EISDIR' }]);
  });

  it('should exit 2 with a 404 problem listing the strategies for an unknown strategy', async () => {
    const r = await cli(['fuse', '--strategy', 'mean'], JSON.stringify(request));
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({ status: 404, detail: expect.stringMatching(/Unknown strategy "mean". Valid strategies: average, product/) });
  });

  it('should exit 2 for too few modalities (422)', async () => {
    const r = await cli(['fuse', '--strategy', 'average'], JSON.stringify({ ...request, options: { minModalities: 3 } }));
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).status).toBe(422);
  });

  it('should exit 2 with the usage when --strategy is missing or an option is unknown', async () => {
    const missing = await cli(['fuse'], JSON.stringify(request));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('fusion fuse: --strategy is required. ("fusion fuse --help" lists the options.)\n');
    const unknown = await cli(['fuse', '--strategy', 'average', '--weights', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^fusion fuse: Unknown option --weights\. Options: --strategy, --input, /);
    expect(unknown.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('should load a profile the request names from the store, as the API does', async () => {
    const env = { FUSION_STORE_DIR: join(root, 'examples', 'profiles') };
    const body = { profile: 'sentiment', predictions: { text: { probabilities: [0.1, 0.2, 0.7] } } };
    const r = await cliEnv(['fuse', '-s', 'average', '--compact'], JSON.stringify(body), env);
    expect(r.code).toBe(0);
    const res = FusionResponse.parse(JSON.parse(r.stdout));
    expect(res.profile).toEqual({ name: 'sentiment', version: 'local', stale: false });
    expect(res.modalities.missing).toEqual(['video', 'audio']);
  });

  it('should take --profile as a stored name and serve its learned model', async () => {
    const env = { FUSION_STORE_DIR: join(root, 'examples', 'profiles') };
    const top = [0.9, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01];
    const body = { predictions: { top: { probabilities: top }, profile: { label: '0', confidence: 0.9 } } };
    const r = await cliEnv(['fuse', '-s', 'learned', '--profile', 'digits-learned'], JSON.stringify(body), env);
    expect(r.code).toBe(0);
    const res = FusionResponse.parse(JSON.parse(r.stdout));
    expect(res.label).toBe('0');
    expect(res.modalities.missing).toEqual(['bottom']);
  });

  it('should answer 404 saying how to list the stored profiles when the request names an unknown one', async () => {
    const env = { FUSION_STORE_DIR: join(root, 'examples', 'profiles') };
    const r = await cliEnv(['fuse', '-s', 'average'], JSON.stringify({ profile: 'nope', predictions: { a: { label: 'x' } } }), env);
    expect(r.code).toBe(2);
    expect(Problem.parse(JSON.parse(r.stderr)).detail).toContain('`npx fusion profiles list`');
  });

  it('should explain its options with --help', async () => {
    const r = await cli(['fuse', '--help']);
    expect(r.code).toBe(0);
    for (const text of ['--strategy', 'average, product, max, min, median, vote, borda', '--input FILE', '--profile P', 'Exit codes']) expect(r.stdout).toContain(text);
  });
});

describe('fusion', () => {
  it('should list its commands with --help and exit 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: fusion <command>[\s\S]*\n {2}fuse {7}/);
  });

  it('should print the usage and exit 2 without a command, or with an unknown one', async () => {
    expect((await cli([])).code).toBe(2);
    const r = await cli(['fuze']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('fusion: unknown command "fuze"; did you mean "fuse"? Commands: fuse, batch, serve, publish, profiles, train, evaluate, dataset, monitor.\n');
  });
});

/** Runs `npx fusion ...` as a real process. */
function npx(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'fusion', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('the fusion bin (a real process)', () => {
  it('should exit 2 with the problem JSON on stderr for bad input', async () => {
    const r = await npx(['fuse', '--strategy', 'average'], JSON.stringify({ classes: ['a'], predictions: {} }));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const problem = Problem.parse(JSON.parse(r.stderr));
    expect(problem.errors?.map((e) => e.path)).toEqual(['classes']);
  });

  it('should print the response on stdout and exit 0, and answer --help', async () => {
    const ok = await npx(['fuse', '--strategy', 'product', '--compact'], JSON.stringify(request));
    expect(ok.code).toBe(0);
    expect(FusionResponse.parse(JSON.parse(ok.stdout)).strategy).toBe('product');
    const help = await npx(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: fusion <command>');
  });
});
