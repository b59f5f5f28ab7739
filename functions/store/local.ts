import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { FusionError, NotFoundError, type ResolvedProfile, UnavailableError } from '../fusion/index.js';
import type { PutResult, Store } from './types.js';
import { PROFILE_NAME, checkModel, checkModelFits, checkProfile, decodeJson } from './validate.js';

/**
 * Profiles as `<dir>/<name>.json` files (the layout of `examples/profiles/`). Keys such as
 * `profiles/x.json` map to `<dir>/x.json`; other keys (models) to `<dir>/<key>`. Files are read
 * on every use (edits show at once) and have no versions: every profile reports "local", and
 * `name@version` refers to the same file.
 */
export class DirectoryStore implements Store {
  readonly location: string;
  constructor(private readonly dir: string) {
    this.location = `dir ${dir}`;
  }

  private path(key: string): string {
    const rel = key.startsWith('profiles/') ? key.slice('profiles/'.length) : key;
    const root = resolve(this.dir);
    const full = resolve(root, rel);
    if (!full.startsWith(root + sep)) throw new NotFoundError(`Key "${key}" is outside the store.`);
    return full;
  }

  async getJson(key: string): Promise<unknown> {
    const file = this.path(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
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
      if (!PROFILE_NAME.test(name)) throw new NotFoundError(`"${name}" is not a profile name.`);
      raw = await this.getJson(key);
    } catch (e) {
      if (e instanceof NotFoundError) {
        const names = await this.listProfiles();
        throw new NotFoundError(`Profile "${name}" was not found. Available profiles: ${names.join(', ') || 'none'}.`, [
          { path: 'profile', message: `use one of: ${names.join(', ') || '(none stored)'}` },
        ]);
      }
      throw unavailable(e);
    }
    try {
      const where = this.path(key);
      const profile = checkProfile(raw, where, key);
      const resolved: ResolvedProfile = { profile, version: 'local', stale: false };
      if (profile.model) {
        const modelFile = this.path(profile.model.key);
        const model = checkModel(await this.getJson(profile.model.key), modelFile);
        checkModelFits(profile, model, where, modelFile);
        resolved.model = model;
      }
      return resolved;
    } catch (e) {
      throw unavailable(e);
    }
  }

  async listProfiles(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    } catch {
      return [];
    }
  }

  async putJson(key: string, value: unknown): Promise<PutResult> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
    return { key: file };
  }
}

/** A stored object that cannot be used is the store's problem (503), not the caller's (400). */
function unavailable(e: unknown): UnavailableError {
  const message = e instanceof FusionError || e instanceof Error ? e.message : String(e);
  return new UnavailableError(message, { cause: e });
}
