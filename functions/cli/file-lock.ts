/**
 * A compare-and-swap for the local store's files, which have no conditional write of their
 * own: an exclusive lock file (`<file>.lock`, created with the `wx` flag, which fails when it
 * exists) serialises the writers of one file, and a write goes to a temporary file renamed over
 * the old one, so a reader sees the old text or the new, never half of one. Every command that
 * writes a local profile (`fusion publish`, `fusion profiles promote`) takes the lock.
 *
 * A lock left by a process that died is broken: when the process it names is gone (same host),
 * or the lock is older than `staleMs` (the critical section is a read and a write of one small
 * file: milliseconds). A lock held by a live process is waited for, at most `waitMs`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { UnavailableError } from '../fusion/errors.js';

/** How long to wait for a live holder, when a lock counts as stale, and how often to look again. */
export interface LockOptions {
  waitMs: number;
  staleMs: number;
  pollMs: number;
}

/** The defaults: wait up to 5 s, break a lock after 30 s, look every 20 ms. */
export const LOCK_DEFAULTS: LockOptions = { waitMs: 5_000, staleMs: 30_000, pollMs: 20 };

/** What a lock file holds: who took it, and a token only that holder knows. */
interface Holder {
  pid: number;
  host: string;
  token: string;
  at: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The SHA-256 of a file's text: the local store's ETag. */
export function etagOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Whether the process `pid` is running (on this host). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Holder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined; // a holder that died between creating the file and writing it
  }
}

/**
 * Removes the lock when it is stale; true when the caller should try to take it again at once.
 * The stale lock is first renamed aside (atomic), and put back if what was renamed is not the
 * lock judged stale (a new holder took it meanwhile).
 */
async function breakIfStale(lock: string, staleMs: number): Promise<boolean> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  const holder = parseHolder(text);
  const dead = holder !== undefined && holder.host === hostname() && !alive(holder.pid);
  if (!dead && Date.now() - mtimeMs <= staleMs) return false;
  const aside = `${lock}.stale-${randomUUID()}`;
  try {
    await rename(lock, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  if ((await readFile(aside, 'utf8').catch(() => '')) !== text) await link(aside, lock).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return true;
}

/**
 * Runs `fn` holding the lock of `file` (`<file>.lock`), and releases it after. Throws
 * `UnavailableError` naming the lock file when a live holder keeps it longer than `waitMs`.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: Partial<LockOptions> = {}): Promise<T> {
  const { waitMs, staleMs, pollMs } = { ...LOCK_DEFAULTS, ...options };
  const lock = `${file}.lock`;
  const holder: Holder = { pid: process.pid, host: hostname(), token: randomUUID(), at: new Date().toISOString() };
  const deadline = Date.now() + waitMs;
  await mkdir(dirname(lock), { recursive: true });
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      try {
        await handle.writeFile(JSON.stringify(holder));
      } finally {
        await handle.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await breakIfStale(lock, staleMs)) continue;
    if (Date.now() >= deadline)
      throw new UnavailableError(
        `${file} is locked by another fusion command (${lock}, held over ${waitMs} ms). Run the command again; if no fusion command is running, delete ${lock}.`,
      );
    await sleep(pollMs);
  }
  try {
    return await fn();
  } finally {
    // Only our own lock: a holder that outlived staleMs may have lost it to another.
    if (parseHolder(await readFile(lock, 'utf8').catch(() => ''))?.token === holder.token) await unlink(lock).catch(() => undefined);
  }
}

/** Replaces `file` with `text` at once: written (and flushed) to a temporary file beside it, then renamed over it. */
export async function replaceFile(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomUUID()}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}
