import { basename } from 'node:path';
import { type FieldError, InvalidRequestError, NotFoundError, type Profile, STRATEGIES, STRATEGY_NAMES, getStrategy, tasksOf } from '../fusion/index.js';
import { isModelRef } from '../fusion/loop/variant-schema.js';
import { joinSectionErrors } from '../fusion/join/check.js';
import { DirectoryStore, type Store, checkModel, checkModelFits, checkProfile, createStore, modelKeyProblem } from '../store/index.js';
import { withFileLock } from './file-lock.js';
import { EXIT, type Io, fail, parseJson, readText, usage, parseCommand } from './io.js';

export const help = `Usage: fusion publish (--profile FILE | --model FILE) [--bucket B] [--key K]

Validates a profile or a learned model artifact locally, then uploads it to the store
(Content-Type: application/json) and prints {"key", "etag", "versionId", "location"}.
Nothing invalid is uploaded: a profile is checked against its schema, its weights and
temperatures must name listed modalities, and the model it names must already be in the store
and agree with its classes and modalities. Running Lambdas pick the new version up within
FUSION_CACHE_TTL_SECONDS.

Options:
  -p, --profile FILE    a profile JSON file; default key profiles/<name>.json
  -m, --model FILE      a model artifact JSON file ("format": "fusion-model"); default key
                        models/<file name>
  -b, --bucket B        the S3 bucket (default: FUSION_BUCKET); without either, the local
                        store: FUSION_STORE_DIR, default .fusion/store/ (gitignored), which
                        npm start reads before the shipped examples/profiles/
  -k, --key K           the key to write, under FUSION_PREFIX when set; a model's key must be
                        a plain relative key under models/ (profiles can name no other)
  -h, --help            show this help

Exit codes: 0 uploaded; 2 invalid file or usage (an RFC 9457 problem object on stderr); 1 the
store failed.

Example:
  npx fusion publish --model examples/profiles/models/digits-logistic.json --bucket my-fusion-bucket
  npx fusion publish --profile examples/profiles/digits-learned.json --bucket my-fusion-bucket
`;

/** The store a CLI command uses: `--bucket` overrides FUSION_BUCKET. */
export function cliStore(io: Io, bucket: string | undefined): Store {
  return createStore(bucket ? { ...io.env, FUSION_BUCKET: bucket } : io.env);
}

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(argv, {
    profile: { type: 'string', short: 'p' },
    model: { type: 'string', short: 'm' },
    bucket: { type: 'string', short: 'b' },
    key: { type: 'string', short: 'k' },
  }, help, io);
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  if (!args.profile === !args.model) return usage('Give exactly one of --profile FILE or --model FILE.', help, io);
  try {
    const store = cliStore(io, args.bucket);
    const file = (args.profile ?? args.model)!;
    const raw = parseJson(await readText(file, io), file);
    let key: string;
    if (args.profile) {
      const profile = checkProfile(raw, file);
      const join = joinSectionErrors(profile, STRATEGIES);
      if (join.length) throw new InvalidRequestError(join, `${file} is not a valid profile: ${join.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
      const variants = variantErrors(profile);
      if (variants.length) throw new InvalidRequestError(variants, `${file} is not a valid profile: ${variants.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
      if (profile.model) await checkModelInStore(store, profile, file);
      await checkVariantModelsInStore(store, profile, file);
      key = args.key ?? `profiles/${profile.name}.json`;
    } else {
      checkModel(raw, file);
      key = args.key ?? `models/${basename(file)}`;
      const problem = modelKeyProblem(key);
      if (problem) throw new InvalidRequestError([{ path: '--key', message: `${problem} (profiles can only name models there)` }]);
    }
    // A local profile is written under its lock, so that it never lands between a promotion's compare and write.
    const put = store instanceof DirectoryStore ? await withFileLock(store.filesOf(key).write, () => store.putJson(key, raw)) : await store.putJson(key, raw);
    io.stdout.write(`${JSON.stringify({ ...put, location: store.location }, null, 2)}\n`);
    return EXIT.ok;
  } catch (e) {
    return fail(e, io);
  }
}

/**
 * The strategies of a profile's shadows and canary: registered, with a classification form,
 * and a learned one with a model to use (its own, or the profile's).
 */
export function variantErrors(profile: Profile): FieldError[] {
  const errors: FieldError[] = [];
  const check = (at: string, name: string | undefined, hasModel: boolean) => {
    if (name === undefined) return;
    if (!(STRATEGY_NAMES as string[]).includes(name)) return void errors.push({ path: `${at}.strategy`, message: `unknown strategy "${name}"; use one of: ${STRATEGY_NAMES.join(', ')}` });
    if (!tasksOf(getStrategy(name)).includes('classification'))
      errors.push({ path: `${at}.strategy`, message: `strategy "${name}" has no classification form; shadows and canaries of a classification profile need one` });
    if (name === 'learned' && !hasModel) errors.push({ path: `${at}.model`, message: 'the learned strategy needs a model: give this entry "model": {"key": "models/<file>.json"}, or give the profile a "model"' });
  };
  profile.shadow?.forEach((s, i) => check(`shadow.${i}`, s.strategy, !!(s.model ?? profile.model)));
  if (profile.canary) check('canary', profile.canary.strategy, true);
  return errors;
}

/** The stored models a profile's shadows and canary name must be in the store and fit the profile. */
export async function checkVariantModelsInStore(store: Store, profile: Profile, file: string): Promise<void> {
  const refs = [...(profile.shadow ?? []).map((s, i) => [`shadow.${i}`, s.model] as const), ['canary', profile.canary?.model] as const];
  for (const [at, model] of refs) if (model && isModelRef(model)) await checkModelInStore(store, { ...profile, model }, file, at);
}

/** The model a profile names must already be in the store and agree with the profile. */
export async function checkModelInStore(store: Store, profile: Profile, file: string, at = ''): Promise<void> {
  const ref = profile.model!;
  const path = at ? `${at}.model.key` : 'model.key';
  let stored: unknown;
  try {
    stored = await store.getJson(ref.key, ref.versionId);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    throw new InvalidRequestError(
      [{ path, message: `${ref.key}${ref.versionId ? ` version ${ref.versionId}` : ''} is not in ${store.location}; publish the model first` }],
      `${file} names model ${ref.key}, which is not in ${store.location}: ${e.message} Publish the model first.`,
    );
  }
  checkModelFits(profile, checkModel(stored, `${ref.key} in ${store.location}`), file, ref.key);
}
