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
    throw new InvalidRequestError([{ path: file, message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
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
