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

/**
 * A mistake in how the command was called (a missing file, an unknown option): one line on
 * stderr and exit code 2, never a fusion-request problem object.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Reads a file, or stdin for `-`. On a terminal with nothing piped in, says on stderr that it
 * is waiting for input, so a forgotten `--input` does not look like a hang.
 */
export async function readText(file: string, io: Io): Promise<string> {
  if (file === '-') {
    if ((io.stdin as { isTTY?: boolean }).isTTY)
      io.stderr.write('Reading JSON from standard input (paste it, then press Ctrl-D); pass --input FILE to read a file instead.\n');
    return text(io.stdin);
  }
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw fileError(file, 'read', e);
  }
}

/**
 * A file that cannot be opened: a missing one is a usage error ("file not found: X"); a
 * directory or a permission problem a 400 naming the file.
 */
export function fileError(file: string, action: 'read' | 'write', e: unknown): InvalidRequestError | UsageError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UsageError(action === 'read' ? `file not found: ${file}` : `cannot write ${file}: its directory does not exist`);
  return new InvalidRequestError([{ path: file, message: `cannot ${action} file: ${code ?? String(e)}` }]);
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

/** At most this many field errors are printed on a terminal's worth of stderr; the rest are counted in `errorsTruncated`. */
export const MAX_PRINTED_ERRORS = 10;

/**
 * Prints an error as the same RFC 9457 problem object the HTTP API returns (at most
 * {@link MAX_PRINTED_ERRORS} field errors), or a usage error as one line; returns the exit code.
 */
export function fail(err: unknown, io: Io): number {
  if (err instanceof UsageError) {
    io.stderr.write(`fusion: ${err.message}\n`);
    return EXIT.usage;
  }
  const p: Problem = err instanceof FusionError ? toProblem(err) : problem('internal', err instanceof Error ? err.message : String(err));
  if (p.errors && p.errors.length > MAX_PRINTED_ERRORS) {
    p.errorsTruncated = (p.errorsTruncated ?? 0) + p.errors.length - MAX_PRINTED_ERRORS;
    p.errors = p.errors.slice(0, MAX_PRINTED_ERRORS);
  }
  io.stderr.write(`${JSON.stringify(p, null, 2)}\n`);
  return p.status < 500 ? EXIT.usage : EXIT.failure;
}

/** A usage error: one line on stderr naming the command and where its options are listed; exit code 2. */
export function usage(message: string, help: string, io: Io): number {
  const command = /Usage: (fusion(?: [a-z]+)?)/.exec(help)?.[1] ?? 'fusion';
  io.stderr.write(`${command}: ${message} ("${command} --help" lists the options.)\n`);
  return EXIT.usage;
}

/** Words people try for an option, and the option they mean. */
const SYNONYMS: Record<string, string> = {
  rule: 'strategy', method: 'strategy', fusion: 'strategy', file: 'input', in: 'input', request: 'input', requests: 'input',
  output: 'out', result: 'output', results: 'output', error: 'errors', kind: 'model', type: 'model', name: 'profile', dir: 'report',
};

/** The valid option closest to `flag` (a synonym, or within a few edits), if any is close. */
export function closestOption(flag: string, names: string[]): string | undefined {
  const word = flag.replace(/^-+/, '').split('=')[0]!.toLowerCase();
  const synonym = SYNONYMS[word];
  if (synonym && names.includes(synonym)) return synonym;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const name of names) {
    const d = name.startsWith(word) && word.length >= 2 ? 1 : editDistance(word, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/** Levenshtein distance (options are short, so the quadratic table is tiny). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** One line for parseArgs' error: the unknown option and the closest valid one. */
function parseError(e: Error & { code?: string }, names: string[]): string {
  const unknown = /Unknown option '([^']+)'/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const near = closestOption(unknown, names);
    return `Unknown option ${unknown}${near ? `; did you mean --${near}?` : `. Options: ${names.map((n) => `--${n}`).join(', ')}.`}`;
  }
  // parseArgs' other messages carry advice for scripts ("To specify a positional argument ..."): keep the first sentence.
  return e.message.split(/\.\s/)[0]!.replace(/\.?$/, '.');
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
    return usage(parseError(e as Error, [...Object.keys(options), 'help']), help, io);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) return io.stdout.write(help), EXIT.ok;
  if (!opts.positionals && parsed.positionals.length) return usage(`Unexpected argument "${parsed.positionals[0]}".`, help, io);
  for (const name of opts.required ?? []) if (values[name] === undefined) return usage(`--${name} is required.`, help, io);
  return parsed as Parsed<O> & { values: { [K in R]: string } };
}
