import { resolve } from 'node:path';
import { DirectoryStore } from './local.js';
import type { Store } from './types.js';

export type { Store, Stored, PutResult } from './types.js';
export { DirectoryStore } from './local.js';

/** Default directory of the embedded store: the repository's `examples/profiles/`. */
export const DEFAULT_STORE_DIR = resolve(import.meta.dirname, '../../examples/profiles');

/** The store the environment asks for: the local directory (`FUSION_STORE_DIR`, default examples/profiles). */
export function createStore(env: NodeJS.ProcessEnv = process.env): Store {
  return new DirectoryStore(env.FUSION_STORE_DIR ?? DEFAULT_STORE_DIR);
}
