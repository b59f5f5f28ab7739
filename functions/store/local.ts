import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FusionError, NotFoundError, Profile, type ResolvedProfile, parseWith } from '../fusion/index.js';
import type { PutResult, Store } from './types.js';

/**
 * Profiles as `<dir>/<name>.json` files (the layout of `examples/profiles/`). Keys such as
 * `profiles/x.json` map to `<dir>/x.json`; other keys (models) to `<dir>/<key>`.
 */
export class DirectoryStore implements Store {
  readonly location: string;
  constructor(private readonly dir: string) {
    this.location = `dir ${dir}`;
  }

  private path(key: string): string {
    const rel = key.startsWith('profiles/') ? key.slice('profiles/'.length) : key;
    const full = resolve(this.dir, rel);
    if (!full.startsWith(resolve(this.dir))) throw new NotFoundError(`Key "${key}" is outside the store.`);
    return full;
  }

  async getJson(key: string): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path(key), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`No object "${key}" in ${this.location}.`);
      throw e;
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new FusionError('invalid-request', `${key} in ${this.location} is not valid JSON: ${(e as Error).message}`);
    }
  }

  async getProfile(ref: string): Promise<ResolvedProfile> {
    const name = ref.split('@')[0]!;
    let raw: unknown;
    try {
      raw = await this.getJson(`profiles/${name}.json`);
    } catch (e) {
      if (e instanceof NotFoundError) {
        const names = await this.listProfiles();
        throw new NotFoundError(`Profile "${name}" was not found. Available profiles: ${names.join(', ') || 'none'}.`, [
          { path: 'profile', message: `use one of: ${names.join(', ') || '(none stored)'}` },
        ]);
      }
      throw e;
    }
    const profile = parseWith(Profile, raw, `profiles/${name}.json`);
    const resolved: ResolvedProfile = { profile, version: 'local', stale: false };
    if (profile.model) resolved.model = await this.getJson(profile.model.key);
    return resolved;
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
    return { key: join(key) };
  }
}
