/**
 * A structured JSON logger, one object per line, with the fields and level rules of Powertools
 * for AWS Lambda's Logger (which it replaces: that one costs 23 KB of every bundle, and its
 * `node:crypto` and `node:console` imports about 10 ms of CPU at every cold start).
 *
 * A line: `level`, `message`, `timestamp` (ISO 8601, UTC), `service`, then after `addContext`
 * the Lambda context (`cold_start`, `function_arn`, `function_memory_size`, `function_name`,
 * `function_request_id`, `tenant_id`), `xray_trace_id` when Lambda traces the invocation, then
 * the caller's fields. Errors anywhere in the fields become `{name, location, message, stack,
 * cause}`; BigInts become strings; circular references are left out, and so are top-level
 * fields that are undefined, null or empty strings. TRACE, DEBUG and INFO go
 * to stdout, WARN, ERROR and CRITICAL to stderr.
 *
 * The level: `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls) when set, else
 * `POWERTOOLS_LOG_LEVEL`, else `LOG_LEVEL`, else INFO. `POWERTOOLS_DEV` indents the JSON.
 * Not carried over from Powertools: log sampling (`POWERTOOLS_LOGGER_SAMPLE_RATE`) and buffering.
 */
import type { Context } from 'aws-lambda';

/** The levels, numbered as Powertools numbers them; a line is written when its level is at least the logger's. */
export const LOG_LEVELS = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 } as const;

export type LogLevel = keyof typeof LOG_LEVELS;

/** What may follow the message: fields to add, an Error (logged as `error`) or a string (logged as `extra`). */
export type LogExtra = Readonly<Record<string, unknown>> | Error | string | undefined | null;

/**
 * Keys a caller's fields may not set (left out, with a warning). The context fields may be set:
 * the HTTP handlers pass `function_request_id` themselves.
 */
const RESERVED = new Set(['level', 'message', 'timestamp', 'service']);

/** The level `name` names (any case; Lambda's FATAL is CRITICAL), or undefined. */
function levelOf(name: string | undefined): number | undefined {
  const key = name?.trim().toUpperCase();
  if (!key) return undefined;
  return LOG_LEVELS[(key === 'FATAL' ? 'CRITICAL' : key) as LogLevel];
}

/** The threshold `env` asks for (see the module's comment), and a warning when Lambda's level overrides a lower one. */
export function logLevel(env: NodeJS.ProcessEnv): { level: number; warning?: string } {
  const own = levelOf(env.POWERTOOLS_LOG_LEVEL) ?? levelOf(env.LOG_LEVEL);
  const lambda = levelOf(env.AWS_LAMBDA_LOG_LEVEL);
  if (lambda === undefined) return { level: own ?? LOG_LEVELS.INFO };
  const warning =
    own !== undefined && own < lambda
      ? `Current log level (${env.POWERTOOLS_LOG_LEVEL || env.LOG_LEVEL}) does not match AWS Lambda Advanced Logging Controls minimum log level (${env.AWS_LAMBDA_LOG_LEVEL}). This can lead to data loss, consider adjusting them.`
      : undefined;
  return { level: lambda, ...(warning ? { warning } : {}) };
}

/** The file and line of the first stack frame that has one (`/var/task/index.mjs:1`). */
function location(stack: string | undefined): string {
  for (const line of stack?.split('\n') ?? []) {
    const m = /\(([^()]*?):(\d+?):(\d+?)\)\\?$/.exec(line);
    if (m) return `${m[1]}:${Number(m[2])}`;
  }
  return '';
}

/** An Error as a plain object: name, location, message, stack, cause (recursively) and its own fields. */
export function formatError(error: Error): Record<string, unknown> {
  const { name, message, stack, cause, ...rest } = error as Error & Record<string, unknown>;
  return { name, location: location(stack), message, stack, cause: cause instanceof Error ? formatError(cause) : cause, ...rest };
}

/** A JSON.stringify replacer: Errors formatted, BigInts as strings, circular references left out. */
function replacer(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function (this: unknown, _key: string, value: unknown) {
    const v = value instanceof Error ? formatError(value) : value;
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'object' && v !== null) {
      while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
      if (ancestors.includes(v)) return undefined;
      ancestors.push(v);
    }
    return v;
  };
}

/** The structured logger. One instance per process; `addContext` at the start of each invocation. */
export class Logger {
  /** The threshold: lines of a lower level are not written. */
  readonly level: number;
  readonly #service: string;
  readonly #indent: number;
  readonly #env: NodeJS.ProcessEnv;
  #context: Record<string, unknown> = {};
  #coldStart: boolean;

  constructor({ service, env = process.env }: { service: string; env?: NodeJS.ProcessEnv }) {
    const { level, warning } = logLevel(env);
    this.level = level;
    this.#service = service;
    this.#env = env;
    this.#indent = /^(1|y|yes|t|true|on)$/i.test(env.POWERTOOLS_DEV?.trim() ?? '') ? 4 : 0;
    this.#coldStart = env.AWS_LAMBDA_INITIALIZATION_TYPE === 'on-demand';
    if (warning) this.warn(warning);
  }

  /** Whether DEBUG lines are written: check it before building a DEBUG line on a hot path. */
  get debugEnabled(): boolean {
    return this.level <= LOG_LEVELS.DEBUG;
  }

  /** Adds the invocation's Lambda context to every following line; `cold_start` is true on the first on-demand invocation only. */
  addContext(context: Pick<Context, 'invokedFunctionArn' | 'memoryLimitInMB' | 'functionName' | 'awsRequestId'> & { tenantId?: string }): void {
    const cold = this.#coldStart;
    this.#coldStart = false;
    this.#context = {
      cold_start: cold,
      function_arn: context.invokedFunctionArn,
      function_memory_size: context.memoryLimitInMB,
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
      tenant_id: context.tenantId,
    };
  }

  trace(message: string, ...extra: LogExtra[]): void {
    this.#write(LOG_LEVELS.TRACE, 'TRACE', message, extra);
  }
  debug(message: string, ...extra: LogExtra[]): void {
    this.#write(LOG_LEVELS.DEBUG, 'DEBUG', message, extra);
  }
  info(message: string, ...extra: LogExtra[]): void {
    this.#write(LOG_LEVELS.INFO, 'INFO', message, extra);
  }
  warn(message: string, ...extra: LogExtra[]): void {
    this.#write(LOG_LEVELS.WARN, 'WARN', message, extra);
  }
  error(message: string, ...extra: LogExtra[]): void {
    this.#write(LOG_LEVELS.ERROR, 'ERROR', message, extra);
  }
  critical(message: string, ...extra: LogExtra[]): void {
    this.#write(LOG_LEVELS.CRITICAL, 'CRITICAL', message, extra);
  }

  #write(level: number, name: string, message: string, extra: LogExtra[]): void {
    if (level < this.level) return;
    const trace = /(?:^|;)Root=([^;]+)/.exec(this.#env._X_AMZN_TRACE_ID ?? '')?.[1];
    const line: Record<string, unknown> = { level: name, message, timestamp: new Date().toISOString(), service: this.#service, ...this.#context, xray_trace_id: trace };
    for (const item of extra) {
      if (item === undefined || item === null) continue;
      if (item instanceof Error) line.error = item;
      else if (typeof item === 'string') line.extra = item;
      else
        for (const [k, v] of Object.entries(item)) {
          if (RESERVED.has(k)) this.warn(`The key "${k}" is a reserved key and will be dropped.`);
          else line[k] = v;
        }
    }
    // As Powertools: top-level fields that are undefined, null or '' are left out.
    for (const k in line) if (line[k] === undefined || line[k] === null || line[k] === '') delete line[k];
    const text = `${JSON.stringify(line, replacer(), this.#indent)}\n`;
    if (level >= LOG_LEVELS.WARN) process.stderr.write(text);
    else process.stdout.write(text);
  }
}
