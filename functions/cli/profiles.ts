import { cliStore } from './publish.js';
import { EXIT, type Io, fail, numberOption, usage, parseCommand } from './io.js';

export const help = `Usage: fusion profiles list [--bucket B]
       fusion profiles get NAME[@VERSION] [--bucket B]
       fusion profiles history NAME [--limit N] [--json] [--bucket B]
       fusion profiles rollback NAME --to VERSION [--bucket B]
       fusion profiles promote NAME --canary [--bucket B]

Reads profiles back from the store: "list" prints one name per line; "get" prints
{"name", "version", "stale", "profile"} after the same validation the service applies (a
profile naming a model is checked against it). VERSION pins a versionId, or in an unversioned
bucket the current ETag.

In a versioned S3 bucket (the deployed stack's):
  history    lists the profile's versions, newest first: version id, time, ETag, who wrote it
             (retrain for the retrain function's automatic promotions, rollback, or upload)
             and the model it points to; * marks the current one.
  rollback   makes version VERSION current again: it is validated as publish would (schema,
             and the model it names must be in the bucket and fit it), then written as a new
             version with If-Match on the current one, so a change made meanwhile (a publish,
             a retrain's promotion) is never overwritten: the command fails and writes nothing.
             Prints {"key", "restored", "previous", "versionId", "etag", "changed"}.

promote --canary makes the profile's canary its primary: the canary's model becomes "model"
(its strategy, if it names one, becomes the join's strategy; otherwise send requests to
/v1/fuse/<that strategy>), and "canary" is removed. The result is validated as publish would,
then written with If-Match on the ETag read at the start (in S3; in the local store, a
compare-and-swap of the file's hash under its lock file): a change made meanwhile fails the
command (exit 1) and is kept. Prints {"key", "model", "previousModel", "strategy", "previousEtag", "etag",
"versionId", "fraction"}.

Options:
  -b, --bucket B   the S3 bucket (default: FUSION_BUCKET); without either, the local store
                   (FUSION_STORE_DIR, default .fusion/store/ then examples/profiles/)
      --to VERSION the version id to restore (rollback; from "history")
      --canary     promote the canary (promote)
      --limit N    versions shown by history (default 20, at most 1000)
      --json       print history as JSON
      --compact    print JSON on one line
  -h, --help       show this help

Exit codes: 0 done; 2 no such profile or version, an invalid version, no canary, or usage;
1 the store failed, or the profile changed during a rollback or promotion.
`;

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(argv, {
    bucket: { type: 'string', short: 'b' },
    compact: { type: 'boolean', default: false },
    to: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
    canary: { type: 'boolean', default: false },
  }, help, io, { positionals: true });
  if (typeof parsed === 'number') return parsed;
  const { values: args, positionals } = parsed;
  const [action, name, ...extra] = positionals;
  if (extra.length) return usage(`Unexpected arguments: ${extra.join(' ')}.`, help, io);
  const print = (value: unknown) => io.stdout.write(`${JSON.stringify(value, null, args.compact ? 0 : 2)}\n`);
  try {
    if (action === 'list' && name === undefined) {
      const names = await cliStore(io, args.bucket).listProfiles();
      io.stdout.write(names.map((n) => `${n}\n`).join(''));
      return EXIT.ok;
    }
    if (action === 'get' && name) {
      const resolved = await cliStore(io, args.bucket).getProfile(name);
      print({ name: resolved.profile.name, version: resolved.version, stale: resolved.stale ?? false, profile: resolved.profile });
      return EXIT.ok;
    }
    if (action === 'promote' && name) {
      if (!args.canary) return usage('"profiles promote NAME" needs --canary (the canary is what is promoted).', help, io);
      const { localSlot, promote, s3Slot } = await import('./promote.js');
      const bucket = args.bucket ?? io.env.FUSION_BUCKET;
      const store = cliStore(io, args.bucket);
      const slot = bucket ? s3Slot((await import('./profile-versions.js')).s3Target(io.env, bucket), name) : localSlot(store, name);
      print(await promote(slot, store, name));
      return EXIT.ok;
    }
    if ((action === 'history' || action === 'rollback') && name) {
      const bucket = args.bucket ?? io.env.FUSION_BUCKET;
      if (!bucket) return usage(`"profiles ${action}" needs a versioned S3 bucket (FUSION_BUCKET or --bucket); the local store keeps no versions.`, help, io);
      const { formatHistory, profileHistory, rollbackProfile, s3Target } = await import('./profile-versions.js');
      const target = s3Target(io.env, bucket);
      if (action === 'history') {
        const limit = numberOption(args.limit, 'limit', (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'a whole number from 1 to 1000') ?? 20;
        const versions = await profileHistory(target, name, limit);
        if (args.json) print(versions);
        else io.stdout.write(`${formatHistory(versions)}\n`);
        return EXIT.ok;
      }
      if (!args.to) return usage('"profiles rollback NAME" needs --to VERSION (a version id from "profiles history NAME").', help, io);
      print(await rollbackProfile(target, cliStore(io, bucket), name, args.to));
      return EXIT.ok;
    }
  } catch (e) {
    return fail(e, io);
  }
  return usage('Use "profiles list", "profiles get NAME", "profiles history NAME", "profiles rollback NAME --to VERSION" or "profiles promote NAME --canary".', help, io);
}
