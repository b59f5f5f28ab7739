import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { FusionError, InvalidRequestError, type Problem, problem, toProblem } from '../fusion/index.js';

/** Where a command reads and writes; tests pass their own. */
export interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export const processIo = (): Io => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });

/** Exit codes: 0 success, 1 an internal or store failure, 2 bad input or usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Reads a file, or stdin for `-`. */
export async function readText(file: string, io: Io): Promise<string> {
  if (file === '-') return text(io.stdin);
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw fileError(file, 'read', e);
  }
}

/** A file that cannot be opened (missing, a directory, no permission) as a 400 naming it. */
export function fileError(file: string, action: 'read' | 'write', e: unknown): InvalidRequestError {
  return new InvalidRequestError([{ path: file, message: `cannot ${action} file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
}

/** A numeric option: undefined when absent, else a finite number passing `check`, else a 400 saying `rule`. */
export function numberOption(value: string | undefined, name: string, check: (n: number) => boolean, rule: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new InvalidRequestError([{ path: `--${name}`, message: `--${name} must be ${rule}, got "${value}"` }]);
  return n;
}

/** Parses JSON, turning a syntax error into a 400 problem that says where. */
export function parseJson(source: string, what: string): unknown {
  try {
    return JSON.parse(source);
  } catch (e) {
    throw new JsonError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

export class JsonError extends FusionError {
  constructor(message: string) {
    super('invalid-json', message);
    this.name = 'JsonError';
  }
}

/** Prints an error as the same RFC 9457 problem object the HTTP API returns; returns the exit code. */
export function fail(err: unknown, io: Io): number {
  const p: Problem = err instanceof FusionError ? toProblem(err) : problem('internal', err instanceof Error ? err.message : String(err));
  io.stderr.write(`${JSON.stringify(p, null, 2)}\n`);
  return p.status < 500 ? EXIT.usage : EXIT.failure;
}

export function usage(message: string, help: string, io: Io): number {
  io.stderr.write(`${message}\n\n${help}`);
  return EXIT.usage;
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;
type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & typeof HELP_OPTION; allowPositionals: true; strict: true }>
>;

/**
 * Parses a command's options (plus `-h/--help`). Returns the exit code instead when the
 * command is done: help printed, or a usage error (unknown option, a missing required one,
 * an unexpected argument) explained on stderr.
 */
export function parseCommand<const O extends ParseArgsOptionsConfig, R extends keyof O & string = never>(
  argv: string[],
  options: O,
  help: string,
  io: Io,
  opts: { required?: readonly R[]; positionals?: boolean } = {},
): (Parsed<O> & { values: { [K in R]: string } }) | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, ...HELP_OPTION }, allowPositionals: true, strict: true }) as Parsed<O>;
  } catch (e) {
    return usage((e as Error).message, help, io);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) return io.stdout.write(help), EXIT.ok;
  if (!opts.positionals && parsed.positionals.length) return usage(`Unexpected argument "${parsed.positionals[0]}".`, help, io);
  for (const name of opts.required ?? []) if (values[name] === undefined) return usage(`--${name} is required.`, help, io);
  return parsed as Parsed<O> & { values: { [K in R]: string } };
}
