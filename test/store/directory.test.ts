import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, UnavailableError } from '../../functions/fusion/index.js';
import { DirectoryStore } from '../../functions/store/index.js';
import { model, profile } from './fixtures.js';

let dir: string;
let store: DirectoryStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-store-'));
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models/m.json'), JSON.stringify(model()));
  await writeFile(join(dir, 'ok.json'), JSON.stringify(profile('ok', undefined, { model: { key: 'models/m.json' } })));
  await writeFile(join(dir, 'weights.json'), JSON.stringify(profile('weights', { text: 1, face: 2 })));
  await writeFile(join(dir, 'mismatch.json'), JSON.stringify(profile('mismatch', undefined, { classes: ['x', 'y'], model: { key: 'models/m.json' } })));
  await writeFile(join(dir, 'broken.json'), '{"name": ');
  store = new DirectoryStore(dir);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('DirectoryStore', () => {
  it('should load a profile with its model and report the version "local"', async () => {
    const r = await store.getProfile('ok');
    expect(r).toMatchObject({ version: 'local', stale: false, profile: { name: 'ok' }, model: { format: 'fusion-model' } });
  });

  it.each([
    ['weights for a modality not listed', 'weights', /weights\.json is not a valid profile: weights\.face/],
    ['a model that disagrees with the profile', 'mismatch', /mismatch\.json is not a valid profile for model .*models\/m\.json: classes/],
    ['invalid JSON', 'broken', /broken\.json is not valid JSON/],
  ])('should answer 503 naming the file for %s', async (_what, name, message) => {
    const err = await store.getProfile(name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(message);
  });

  it('should answer 404 saying how to list the profiles for an unknown name or a path outside the directory', async () => {
    for (const name of ['nope', '../etc/passwd']) {
      const err = (await store.getProfile(name).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err.message).toContain('was not found. List the stored profiles with `npx fusion profiles list`.');
      expect(err.message).not.toContain('broken');
    }
    await expect(store.getJson('../outside.json')).rejects.toThrow(/outside the store/);
  });
});
