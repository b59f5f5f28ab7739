import { readFileSync } from 'node:fs';
import { STRATEGY_NAMES } from '../fusion/index.js';
import { EXIT, type Io, closestOption, processIo } from './io.js';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[], io: Io): Promise<number> }>;
}

/** Every subcommand, loaded on demand so `fusion fuse` starts fast. */
export const COMMANDS: Record<string, Command> = {
  fuse: { summary: 'fuse one request or a batch with a rule or a learned model', load: () => import('./fuse.js') },
  batch: { summary: 'fuse a JSONL file line by line, streaming (results and error records)', load: () => import('./batch.js') },
  serve: { summary: 'serve the HTTP API locally (the Lambda handlers behind node:http)', load: () => import('./serve.js') },
  publish: { summary: 'validate a profile or model and upload it to the store (S3 or directory)', load: () => import('./publish.js') },
  profiles: { summary: 'list the stored profiles, or get one (validated, with its version)', load: () => import('./profiles.js') },
  train: { summary: 'train a learned fusion model, or fit average weights / temperatures', load: () => import('./train.js') },
  evaluate: { summary: 'compare every rule, model and modality on labelled data (table, JSON, HTML report)', load: () => import('./evaluate.js') },
  dataset: { summary: 'join the decision log with label feedback into training data for fusion train', load: () => import('./dataset.js') },
  monitor: { summary: 'online scores of every task, calibration, missing rates, drift, canary and shadows from the decision log', load: () => import('./monitor.js') },
};

export const help = () => `Usage: fusion <command> [options]

Late (decision-level) fusion: combine several modality models' predictions into one decision.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Strategies: ${STRATEGY_NAMES.join(', ')}.

Run "fusion <command> --help" for a command's options; "fusion --version" prints the version.
`;

/** The package's version, from package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    const near = closestOption(name, Object.keys(COMMANDS));
    io.stderr.write(`fusion: unknown command "${name}"${near ? `; did you mean "${near}"?` : ''} Commands: ${Object.keys(COMMANDS).join(', ')}.\n`);
    return EXIT.usage;
  }
  return (await command.load()).run(rest, io);
}
