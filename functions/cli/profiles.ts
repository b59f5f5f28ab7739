import { cliStore } from './publish.js';
import { EXIT, type Io, fail, numberOption, usage, parseCommand } from './io.js';

export const help = `Usage: fusion profiles list [--bucket B]
       fusion profiles get NAME[@VERSION] [--bucket B]
       fusion profiles history NAME [--limit N] [--json] [--bucket B]
       fusion profiles rollback NAME --to VERSION [--bucket B]

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

Options:
  -b, --bucket B   the S3 bucket (default: FUSION_BUCKET); without either, the local store
                   (FUSION_STORE_DIR, default .fusion/store/ then examples/profiles/)
      --to VERSION the version id to restore (rollback; from "history")
      --limit N    versions shown by history (default 20, at most 1000)
      --json       print history as JSON
      --compact    print JSON on one line
  -h, --help       show this help

Exit codes: 0 done; 2 no such profile or version, an invalid version, or usage; 1 the store
failed, or the profile changed during a rollback.
`;

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(argv, {
    bucket: { type: 'string', short: 'b' },
    compact: { type: 'boolean', default: false },
    to: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
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
  return usage('Use "profiles list", "profiles get NAME", "profiles history NAME" or "profiles rollback NAME --to VERSION".', help, io);
}
