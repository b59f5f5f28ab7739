import { cliStore } from './publish.js';
import { EXIT, type Io, fail, usage, parseCommand } from './io.js';

export const help = `Usage: fusion profiles list [--bucket B]
       fusion profiles get NAME[@VERSION] [--bucket B]

Reads profiles back from the store: "list" prints one name per line; "get" prints
{"name", "version", "stale", "profile"} after the same validation the service applies (a
profile naming a model is checked against it). VERSION pins a versionId, or in an unversioned
bucket the current ETag.

Options:
  -b, --bucket B   the S3 bucket (default: FUSION_BUCKET); without either, the local store
                   (FUSION_STORE_DIR, default .fusion/store/ then examples/profiles/)
      --compact    print JSON on one line
  -h, --help       show this help

Exit codes: 0 found; 2 no such profile or usage; 1 the store failed or holds an invalid object.
`;

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(argv, { bucket: { type: 'string', short: 'b' }, compact: { type: 'boolean', default: false } }, help, io, { positionals: true });
  if (typeof parsed === 'number') return parsed;
  const { values: args, positionals } = parsed;
  const [action, name, ...extra] = positionals;
  if (extra.length) return usage(`Unexpected arguments: ${extra.join(' ')}.`, help, io);
  if (action === 'list' && name === undefined) {
    try {
      const names = await cliStore(io, args.bucket).listProfiles();
      io.stdout.write(names.map((n) => `${n}\n`).join(''));
      return EXIT.ok;
    } catch (e) {
      return fail(e, io);
    }
  }
  if (action === 'get' && name) {
    try {
      const resolved = await cliStore(io, args.bucket).getProfile(name);
      const out = { name: resolved.profile.name, version: resolved.version, stale: resolved.stale ?? false, profile: resolved.profile };
      io.stdout.write(`${JSON.stringify(out, null, args.compact ? 0 : 2)}\n`);
      return EXIT.ok;
    } catch (e) {
      return fail(e, io);
    }
  }
  return usage('Use "profiles list" or "profiles get NAME".', help, io);
}
