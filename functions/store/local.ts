import { existsSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { FusionError, NotFoundError, type ResolvedProfile, UnavailableError } from '../fusion/index.js';
import type { PutResult, Store } from './types.js';
import { PROFILE_NAME, decodeJson, loadChecks, profileNotFound } from './names.js';

/** node:fs/promises on first use: a function that reads S3 never loads it (a few ms of every cold start). */
const fs = () => import('node:fs/promises');

/**
 * Profiles as `<dir>/<name>.json` files (the layout of `examples/profiles/`). Keys such as
 * `profiles/x.json` map to `<dir>/x.json`; other keys (models) to `<dir>/<key>`. Files are read
 * on every use (edits show at once) and have no versions: every profile reports "local", and
 * `name@version` refers to the same file. Directories in `below` are read when `dir` lacks a
 * file (the shipped examples behind the local store `.fusion/store/`); writes go to `dir`.
 */
export class DirectoryStore implements Store {
  readonly location: string;
  constructor(
    private readonly dir: string,
    private readonly below: readonly string[] = [],
  ) {
    this.location = `dir ${[dir, ...below].join(', then ')}`;
  }

  /** The file of `key`: in `dir` for writing, else in the first directory that has it. */
  private path(key: string, forWrite = true): string {
    const rel = key.startsWith('profiles/') ? key.slice('profiles/'.length) : key;
    const dirs = forWrite ? [this.dir] : [this.dir, ...this.below];
    let first = '';
    for (const d of dirs) {
      const root = resolve(d);
      const full = resolve(root, rel);
      if (!full.startsWith(root + sep)) throw new NotFoundError(`Key "${key}" is outside the store.`);
      if (d === this.dir) first = full;
      if (dirs.length === 1 || existsSync(full)) return full;
    }
    return first;
  }

  /** The file `key` is read from (the first directory holding it) and the one a write goes to. */
  filesOf(key: string): { read: string; write: string } {
    return { read: this.path(key, false), write: this.path(key) };
  }

  async getJson(key: string): Promise<unknown> {
    const file = this.path(key, false);
    let text: string;
    try {
      text = await (await fs()).readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`No object "${key}" in ${this.location}.`);
      throw e;
    }
    return decodeJson(text, file);
  }

  async getProfile(ref: string): Promise<ResolvedProfile> {
    const name = ref.split('@')[0]!;
    const key = `profiles/${name}.json`;
    let raw: unknown;
    try {
      if (!PROFILE_NAME.test(name)) throw profileNotFound(name);
      raw = await this.getJson(key);
    } catch (e) {
      if (e instanceof NotFoundError) throw profileNotFound(name);
      throw unavailable(e);
    }
    try {
      // The checks on first use, as the S3 store's: their schemas are built then, not at init.
      const { checkModel, checkModelFits, checkProfile, loadVariantModels } = await loadChecks();
      const where = this.path(key, false);
      const profile = checkProfile(raw, where, key);
      const resolved: ResolvedProfile = { profile, version: 'local', stale: false };
      const loadModel = async (ref: { key: string }) => {
        const modelFile = this.path(ref.key, false);
        const model = checkModel(await this.getJson(ref.key), modelFile);
        checkModelFits(profile, model, where, modelFile);
        return model;
      };
      if (profile.model) resolved.model = await loadModel(profile.model);
      await loadVariantModels(profile, resolved, loadModel);
      return resolved;
    } catch (e) {
      throw unavailable(e);
    }
  }

  async listProfiles(): Promise<string[]> {
    const names = new Set<string>();
    for (const d of [this.dir, ...this.below]) {
      const files = await (await fs()).readdir(d).catch(() => []);
      for (const f of files) if (f.endsWith('.json')) names.add(f.slice(0, -5));
    }
    return [...names].sort();
  }

  /** Writes `<dir>/<key>` (profiles as `<dir>/<name>.json`) and answers the store key. */
  async putJson(key: string, value: unknown): Promise<PutResult> {
    const file = this.path(key);
    const { mkdir, writeFile } = await fs();
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
    return { key };
  }
}

/** A stored object that cannot be used is the store's problem (503), not the caller's (400). */
function unavailable(e: unknown): UnavailableError {
  const message = e instanceof FusionError || e instanceof Error ? e.message : String(e);
  return new UnavailableError(message, { cause: e });
}
