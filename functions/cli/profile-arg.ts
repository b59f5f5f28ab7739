import { existsSync } from 'node:fs';
import { type ResolvedProfile, parseAnyProfile } from '../fusion/index.js';
import { type Io, parseJson, readText } from './io.js';

/**
 * `--profile P`: a profile JSON file (when the path exists or ends in .json), else the name of
 * a profile in the store (`FUSION_STORE_DIR`, or S3 with `FUSION_BUCKET`), loaded with its model.
 */
export async function loadProfileArg(ref: string, io: Io): Promise<ResolvedProfile> {
  if (existsSync(ref) || ref.endsWith('.json')) return readProfileFile(ref, io);
  const { createStore } = await import('../store/index.js');
  return createStore(io.env).getProfile(ref);
}

/** A profile JSON file, validated, as a resolved profile of version `file`. */
export async function readProfileFile(file: string, io: Io): Promise<ResolvedProfile> {
  return { profile: parseAnyProfile(parseJson(await readText(file, io), `profile ${file}`), 'profile'), version: 'file' };
}
