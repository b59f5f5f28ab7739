/**
 * The README cannot drift from the product: every `npx fusion ...` command and every curl to
 * the local server in README.md's code blocks runs, as pasted, in a temporary copy of the
 * repository (its files as they are now, committed to a fresh git repository) with `npm start`
 * up. Each must exit 0 and no curl may answer a problem; afterwards `git status` is clean.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCommands } from './commands.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const README_URL = 'http://127.0.0.1:3000';

let copy = '';
let server: ChildProcess | undefined;
let url = '';
let serverOutput = '';

/** The environment of a user's shell: no store, bucket or AWS settings leak in from the host. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(FUSION_|AWS_|POWERTOOLS_|VITEST|NODE_OPTIONS|PORT$|HOST$)/.test(k)) env[k] = v;
  return env;
}

const git = (...args: string[]) => run('git', ['-c', 'user.name=readme-test', '-c', 'user.email=readme-test@localhost', ...args], { cwd: copy });

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'fusion-readme-'));
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, maxBuffer: 16 << 20 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    await mkdir(dirname(join(copy, file)), { recursive: true });
    await cp(join(root, file), join(copy, file)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e; // a file deleted but not yet staged
    });
  }
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'));
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-qm', 'the repository as the README test found it');

  // Its own process group, as in a terminal, so that Ctrl-C can be sent the way a terminal does.
  server = spawn('npm', ['start'], { cwd: copy, env: { ...userEnv(), PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL in 45 s:\n${serverOutput}`)), 45_000);
    const onData = (chunk: Buffer) => {
      serverOutput += chunk.toString();
      const m = /Late fusion API on (http:\/\/\S+)/.exec(serverOutput);
      if (m) clearTimeout(timer), resolveUrl(m[1]!);
    };
    server!.stdout!.on('data', onData);
    server!.stderr!.on('data', onData);
    server!.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${serverOutput}`)));
  });
}, 120_000);

afterAll(async () => {
  // The server's own stop is checked below; this only cleans up after a failure.
  if (server?.pid && server.exitCode === null && server.signalCode === null) process.kill(-server.pid, 'SIGKILL');
  if (copy) await rm(copy, { recursive: true, force: true });
});

const isRunning = (pid: number) => {
  try {
    return process.kill(pid, 0);
  } catch {
    return false;
  }
};

describe('README.md, command by command', () => {
  it('should name the commands it runs (the extraction found them all)', async () => {
    const commands = localCommands(await readFile(join(root, 'README.md'), 'utf8'), README_URL);
    expect(commands.filter((c) => c.startsWith('curl')).length).toBeGreaterThanOrEqual(2);
    expect(commands.filter((c) => c.startsWith('npx fusion')).length).toBeGreaterThanOrEqual(10);
  });

  it('should run every npx fusion and curl command as pasted, each exiting 0 without an error answer', async () => {
    const commands = localCommands(await readFile(join(copy, 'README.md'), 'utf8'), README_URL);
    for (const command of commands) {
      const pasted = command.replaceAll(README_URL, url);
      let out: { stdout: string; stderr: string };
      try {
        out = await run('bash', ['-c', pasted], { cwd: copy, env: userEnv(), timeout: 60_000, maxBuffer: 16 << 20 });
      } catch (e) {
        const err = e as Error & { code?: number; stdout?: string; stderr?: string };
        throw new Error(`README command failed (exit ${err.code}):\n${command}\n--- stdout\n${err.stdout}\n--- stderr\n${err.stderr}`, { cause: e });
      }
      if (command.startsWith('curl')) {
        const body = JSON.parse(out.stdout) as { type?: string; status?: number };
        expect(body.type ?? '', `${command}\nanswered ${out.stdout}`).not.toMatch(/^urn:problem/);
      }
    }
  }, 240_000);

  it('should leave git status clean: everything the commands wrote is gitignored', async () => {
    const { stdout } = await git('status', '--porcelain', '--untracked-files=all');
    expect(stdout).toBe('');
  });

  it('should print the pid to kill, and stop on Ctrl-C, freeing the port, as the README says', async () => {
    const pid = Number(/\(pid (\d+);/.exec(serverOutput)?.[1]);
    const { stdout } = await run('ps', ['-o', 'args=', '-p', String(pid)]);
    expect(stdout).toMatch(/node .*fusion\.js serve/);
    process.kill(-server!.pid!, 'SIGINT'); // Ctrl-C: SIGINT to the foreground process group
    const deadline = Date.now() + 10_000;
    const npmRunning = () => server!.exitCode === null && server!.signalCode === null;
    while ((isRunning(pid) || npmRunning()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(isRunning(pid), `the server (pid ${pid}) still runs after Ctrl-C`).toBe(false);
    expect(npmRunning(), 'npm start still runs after Ctrl-C').toBe(false);
    await expect(fetch(`${url}/v1/health`)).rejects.toThrow();
  }, 20_000);
});
