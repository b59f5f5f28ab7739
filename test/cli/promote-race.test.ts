/**
 * The local `fusion profiles promote NAME --canary` is a real compare-and-swap: two promotions
 * in two processes cannot both win, and the loser says the profile changed and writes nothing.
 * Also the lock file's rules (functions/cli/file-lock.ts): a live holder is waited for, then
 * named; a dead or old one is broken.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etagOf, replaceFile, withFileLock } from '../../functions/cli/file-lock.js';
import { localSlot, promoteCanary } from '../../functions/cli/promote.js';
import { UnavailableError } from '../../functions/fusion/errors.js';
import { DirectoryStore, checkProfile } from '../../functions/store/index.js';
import { model, profile } from '../store/fixtures.js';

const ROOT = join(import.meta.dirname, '../..');
const ENV = { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', FUSION_BUCKET: '' };
let dir: string;
let store: DirectoryStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promote-race-'));
  store = new DirectoryStore(dir);
  await store.putJson('models/old.json', model());
  await store.putJson('models/new.json', model());
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const withCanary = (name: string, round: number) =>
  profile(name, { text: round + 1, audio: 1 }, { model: { key: 'models/old.json' }, canary: { model: { key: 'models/new.json' }, fraction: 0.25 } });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** A promotion in its own process that stops before its write until `go`. */
function gatedPromotion(name: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/promote-worker.ts', dir, name], { cwd: ROOT, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  const done = collect(child);
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => ((out += c.toString()), out.includes('ready\n') && resolve()));
    void done.then((r) => reject(new Error(`the promotion ended before its write: ${r.stdout} ${r.stderr}`)));
  });
  return { ready, go: () => child.stdin!.write('go\n'), outcome: done.then((r) => JSON.parse(r.stdout.split('\n').filter(Boolean).at(-1)!) as { won: boolean; result?: { model: string }; problem?: { status: number; detail: string } }) };
}

/** What is left beside the profiles: no lock and no temporary file. */
const leftovers = async () => (await readdir(dir)).filter((f) => /\.lock|\.tmp$/.test(f));

describe('fusion profiles promote --canary in the local store: two processes at once', () => {
  it('should let exactly one of two promotions that read the same profile win; the other reports the change and writes nothing', async () => {
    for (let round = 0; round < 3; round++) {
      await store.putJson('profiles/race.json', withCanary('race', round));
      const a = gatedPromotion('race');
      const b = gatedPromotion('race');
      await Promise.all([a.ready, b.ready]); // both read the same text, with the canary
      a.go();
      b.go();
      const outcomes = await Promise.all([a.outcome, b.outcome]);
      expect(outcomes.filter((o) => o.won), `round ${round}`).toHaveLength(1);
      const loser = outcomes.find((o) => !o.won)!;
      expect(loser.problem).toMatchObject({ status: 503, detail: expect.stringMatching(/^profiles\/race\.json changed while promoting its canary \(read with ETag [0-9a-f]{64}\); nothing was written/) });
      const saved = JSON.parse(await readFile(join(dir, 'race.json'), 'utf8'));
      expect(saved).toEqual(promoteCanary(checkProfile(withCanary('race', round), 'race.json')));
      expect(await leftovers()).toEqual([]);
    }
  }, 60_000);

  it('should never let two `fusion profiles promote` commands both succeed', async () => {
    for (let round = 0; round < 2; round++) {
      await store.putJson('profiles/cli.json', withCanary('cli', round));
      const runs = await Promise.all(
        [0, 1].map(() => collect(spawn(process.execPath, ['bin/fusion.js', 'profiles', 'promote', 'cli', '--canary'], { cwd: ROOT, env: { ...ENV, FUSION_STORE_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] }))),
      );
      expect(runs.filter((r) => r.code === 0), runs.map((r) => r.stderr).join('\n')).toHaveLength(1);
      // The loser either read the profile before the winner wrote (a conflict) or after (no canary left).
      expect(runs.find((r) => r.code !== 0)!.stderr).toMatch(/changed while promoting its canary|has no canary to promote/);
      expect(JSON.parse(await readFile(join(dir, 'cli.json'), 'utf8'))).not.toHaveProperty('canary');
    }
  }, 60_000);
});

describe('the local store lock file', () => {
  const file = () => join(dir, 'locked.json');
  const holderLock = async (pid: number) => writeFile(`${file()}.lock`, JSON.stringify({ pid, host: hostname(), token: 'other', at: new Date().toISOString() }));

  it('should compare under the lock: a write waiting for it sees the holder’s change and refuses', async () => {
    await store.putJson('profiles/locked.json', profile('locked'));
    const slot = localSlot(store, 'locked');
    const { text, etag } = await slot.read();
    let pending: Promise<{ ok: boolean }> | undefined;
    await withFileLock(file(), async () => {
      pending = slot.write(text.replace('"text": 0.6', '"text": 0.9'), etag, '');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await replaceFile(file(), `${JSON.stringify(profile('locked', { text: 5, audio: 1 }))}\n`);
    });
    expect(await pending).toEqual({ ok: false });
    expect(JSON.parse(await readFile(file(), 'utf8')).weights).toEqual({ text: 5, audio: 1 });
    const again = await slot.read();
    expect(await slot.write(again.text.replace('"text":5', '"text":6'), again.etag, '')).toEqual({ ok: true, etag: etagOf(again.text.replace('"text":5', '"text":6')) });
    expect(await leftovers()).toEqual([]);
  });

  it('should wait for a live holder at most waitMs, then fail naming the lock file, leaving it alone', async () => {
    await holderLock(process.pid);
    let ran = false;
    const started = Date.now();
    const err = await withFileLock(file(), async () => void (ran = true), { waitMs: 200, pollMs: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toContain(`${file()}.lock`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(ran).toBe(false);
    expect(JSON.parse(await readFile(`${file()}.lock`, 'utf8')).token).toBe('other');
    await rm(`${file()}.lock`);
  });

  it('should break a lock whose process is gone, and one older than staleMs', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    await holderLock(gone);
    expect(await withFileLock(file(), async () => 'ran', { waitMs: 0 })).toBe('ran');
    await writeFile(`${file()}.lock`, ''); // a holder that died before writing its name
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file()}.lock`, old, old);
    expect(await withFileLock(file(), async () => 'ran', { waitMs: 0, staleMs: 30_000 })).toBe('ran');
    expect(await leftovers()).toEqual([]);
  });
});
