import { EXIT, type Io, processIo } from './io.js';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[], io: Io): Promise<number> }>;
}

/** Every subcommand, loaded on demand so `fusion fuse` starts fast. */
export const COMMANDS: Record<string, Command> = {
  fuse: { summary: 'fuse one request or a batch with a fixed rule', load: () => import('./fuse.js') },
};

export const help = () => `Usage: fusion <command> [options]

Late (decision-level) fusion: combine several modality models' predictions into one decision.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run "fusion <command> --help" for a command's options.
`;

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}.\n\n${help()}`);
    return EXIT.usage;
  }
  return (await command.load()).run(rest, io);
}
