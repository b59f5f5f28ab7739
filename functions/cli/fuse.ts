import { type ProfileLookup, type ResolvedProfile, STRATEGY_NAMES, fuse, referencedProfiles } from '../fusion/index.js';
import { profileForModel } from '../fusion/learned/infer.js';
import { basename } from 'node:path';
import { loadProfileArg } from './profile-arg.js';
import { EXIT, type Io, UsageError, fail, parseJson, readText, parseCommand } from './io.js';

export const help = `Usage: fusion fuse --strategy <${STRATEGY_NAMES.join('|')}> [--input FILE|-] [--profile P] [--model FILE]

Reads one fusion request, or a batch {"items": [...]}, as JSON and prints the fused decision.

Options:
  -s, --strategy NAME   the fusion rule (required): ${STRATEGY_NAMES.join(', ')}
  -i, --input FILE      the request file; "-" or absent reads standard input
  -p, --profile P       a profile JSON file, or a stored profile's name (FUSION_STORE_DIR or
                        FUSION_BUCKET), whose classes, modalities, weights, options and model
                        are defaults the request may override (as if the request named it).
                        Without it, profiles the request names come from the store.
  -m, --model FILE      a learned model artifact for --strategy learned (with --profile, they must agree)
      --compact         print JSON on one line
  -h, --help            show this help

Exit codes: 0 fused; 2 invalid input (an RFC 9457 problem object on stderr); 1 other failure.

Example:
  echo '{"classes":["neg","pos"],"predictions":{"text":{"probabilities":[0.3,0.7]},"audio":{"logits":[0.1,0.4]}}}' \\
    | npx fusion fuse --strategy average
`;

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(argv, {
    strategy: { type: 'string', short: 's' },
    input: { type: 'string', short: 'i', default: '-' },
    profile: { type: 'string', short: 'p' },
    model: { type: 'string', short: 'm' },
    compact: { type: 'boolean', default: false },
  }, help, io, { required: ['strategy'] });
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  try {
    const input = parseJson(await readText(args.input, io), 'the input');
    const given = args.profile ? await loadProfileArg(args.profile, io) : undefined;
    const model = args.model ? parseJson(await readText(args.model, io), `model ${args.model}`) : given?.model;
    if (args.strategy === 'learned' && !model && !given && referencedProfiles(input).length === 0)
      throw new UsageError('--strategy learned needs a trained model: --model FILE (a model artifact), or --profile P naming a profile with a trained model (the HTTP API needs "profile" the same way).');
    let lookup: ProfileLookup | undefined;
    if (given || model) {
      // A model file alone answers under the model's own name (its file name without .json).
      const profile = given?.profile ?? { ...profileForModel(model), name: basename(args.model!, '.json') };
      const resolved: ResolvedProfile = { version: 'file', ...given, profile, ...(model ? { model } : {}) };
      lookup = (name) => (name === resolved.profile.name ? resolved : undefined);
      if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
        const target = input as { profile?: unknown };
        target.profile ??= resolved.profile.name;
      }
    } else {
      // Like the API: profiles the request names come from the store.
      const { createStore, loadProfiles } = await import('../store/index.js');
      lookup = await loadProfiles(createStore(io.env), referencedProfiles(input));
    }
    const result = fuse(args.strategy, input, lookup);
    io.stdout.write(`${JSON.stringify(result, null, args.compact ? 0 : 2)}\n`);
    return EXIT.ok;
  } catch (e) {
    return fail(e, io);
  }
}

