import { parseArgs } from 'node:util';
import { Profile, STRATEGY_NAMES, fuse, parseWith, type ResolvedProfile } from '../fusion/index.js';
import { profileForModel } from '../fusion/learned/infer.js';
import { EXIT, type Io, fail, parseJson, readText, usage } from './io.js';

export const help = `Usage: fusion fuse --strategy <${STRATEGY_NAMES.join('|')}> [--input FILE|-] [--profile FILE]

Reads one fusion request, or a batch {"items": [...]}, as JSON and prints the fused decision.

Options:
  -s, --strategy NAME   the fusion rule (required): ${STRATEGY_NAMES.join(', ')}
  -i, --input FILE      the request file; "-" or absent reads standard input
  -p, --profile FILE    a profile JSON file whose classes, modalities, weights and options are
                        defaults the request may override (as if the request named it)
  -m, --model FILE      a learned model artifact for --strategy learned (with --profile, they must agree)
      --compact         print JSON on one line
  -h, --help            show this help

Exit codes: 0 fused; 2 invalid input (an RFC 9457 problem object on stderr); 1 other failure.

Example:
  echo '{"classes":["neg","pos"],"predictions":{"text":{"probabilities":[0.3,0.7]},"audio":{"logits":[0.1,0.4]}}}' \\
    | npx fusion fuse --strategy average
`;

export async function run(argv: string[], io: Io): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        strategy: { type: 'string', short: 's' },
        input: { type: 'string', short: 'i', default: '-' },
        profile: { type: 'string', short: 'p' },
        model: { type: 'string', short: 'm' },
        compact: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    return usage((e as Error).message, help, io);
  }
  if (args.help) return io.stdout.write(help), EXIT.ok;
  if (!args.strategy) return usage('--strategy is required.', help, io);
  try {
    const input = parseJson(await readText(args.input, io), 'the input');
    let lookup: ((name: string) => ResolvedProfile | undefined) | undefined;
    const model = args.model ? parseJson(await readText(args.model, io), `model ${args.model}`) : undefined;
    if (args.profile || model) {
      const profile = args.profile ? parseWith(Profile, parseJson(await readText(args.profile, io), `profile ${args.profile}`), 'profile') : profileForModel(model);
      lookup = (name) => (name === profile.name ? { profile, version: 'file', ...(model ? { model } : {}) } : undefined);
      if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
        const target = input as { profile?: unknown };
        target.profile ??= profile.name;
      }
    }
    const result = fuse(args.strategy, input, lookup);
    io.stdout.write(`${JSON.stringify(result, null, args.compact ? 0 : 2)}\n`);
    return EXIT.ok;
  } catch (e) {
    return fail(e, io);
  }
}

