/**
 * The JSON logger (functions/logger.ts) that replaced Powertools Logger: the same fields in the
 * same order, the same level rules, WARN and above on stderr. Checked line by line against
 * Powertools Logger 2.36 before the swap (bench/README.md, "Cold start").
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOG_LEVELS, Logger, formatError, logLevel } from '../../functions/logger.js';

let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const CONTEXT = { functionName: 'fusion-average', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fusion-average', memoryLimitInMB: '512', awsRequestId: 'req-1' };

describe('Logger', () => {
  it('should write one JSON line per call: level, message, timestamp, service, then the fields', () => {
    new Logger({ service: 'svc', env: {} }).info('fused', { strategy: 'average', decisions: 2 });
    expect(out).toHaveLength(1);
    expect(out[0]!.endsWith('}\n')).toBe(true);
    const [line] = parse(out);
    expect(Object.keys(line!)).toEqual(['level', 'message', 'timestamp', 'service', 'strategy', 'decisions']);
    expect(line).toMatchObject({ level: 'INFO', message: 'fused', service: 'svc', strategy: 'average', decisions: 2 });
    expect(new Date(line!.timestamp as string).toISOString()).toBe(line!.timestamp);
  });

  it('should write TRACE to INFO on stdout and WARN, ERROR, CRITICAL on stderr', () => {
    const log = new Logger({ service: 'svc', env: { POWERTOOLS_LOG_LEVEL: 'TRACE' } });
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const) log[level](level);
    expect(parse(out).map((l) => l.level)).toEqual(['TRACE', 'DEBUG', 'INFO']);
    expect(parse(err).map((l) => l.level)).toEqual(['WARN', 'ERROR', 'CRITICAL']);
  });

  it.each([
    [{}, 'INFO'],
    [{ POWERTOOLS_LOG_LEVEL: 'debug' }, 'DEBUG'],
    [{ LOG_LEVEL: 'ERROR' }, 'ERROR'],
    [{ POWERTOOLS_LOG_LEVEL: 'WARN', LOG_LEVEL: 'DEBUG' }, 'WARN'],
    [{ POWERTOOLS_LOG_LEVEL: 'SILENT' }, 'SILENT'],
    [{ POWERTOOLS_LOG_LEVEL: 'loud' }, 'INFO'],
    [{ AWS_LAMBDA_LOG_LEVEL: 'ERROR', POWERTOOLS_LOG_LEVEL: 'WARN' }, 'ERROR'],
    [{ AWS_LAMBDA_LOG_LEVEL: 'FATAL' }, 'CRITICAL'],
  ] as const)('%j sets the level %s', (env, name) => {
    expect(logLevel(env).level).toBe(LOG_LEVELS[name]);
  });

  it("should write nothing below its level, and say whether DEBUG is on", () => {
    const info = new Logger({ service: 'svc', env: {} });
    info.debug('hidden');
    expect(out).toEqual([]);
    expect(info.debugEnabled).toBe(false);
    expect(new Logger({ service: 'svc', env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } }).debugEnabled).toBe(true);
    const silent = new Logger({ service: 'svc', env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
    silent.critical('hidden too');
    expect(err).toEqual([]);
  });

  it("should warn once when Lambda's log level hides lines the function's own level asks for", () => {
    const log = new Logger({ service: 'svc', env: { AWS_LAMBDA_LOG_LEVEL: 'WARN', POWERTOOLS_LOG_LEVEL: 'DEBUG' } });
    log.info('hidden');
    expect(out).toEqual([]);
    expect(parse(err)).toEqual([expect.objectContaining({ level: 'WARN', message: expect.stringMatching(/Advanced Logging Controls minimum log level \(WARN\)/) })]);
  });

  it("should let a caller's fields set the context fields, in their place", () => {
    const log = new Logger({ service: 'svc', env: {} });
    log.addContext(CONTEXT);
    log.info('request', { function_request_id: 'from-the-event', strategy: 'vote' });
    const [line] = parse(out);
    expect(Object.keys(line!).indexOf('function_request_id')).toBeLessThan(Object.keys(line!).indexOf('strategy'));
    expect(line!.function_request_id).toBe('from-the-event');
  });

  it('should add the Lambda context after addContext, with cold_start true on the first on-demand invocation only', () => {
    const log = new Logger({ service: 'svc', env: { AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' } });
    log.info('before');
    log.addContext(CONTEXT);
    log.info('first');
    log.addContext({ ...CONTEXT, awsRequestId: 'req-2' });
    log.info('second');
    const [before, first, second] = parse(out);
    expect(before).not.toHaveProperty('function_request_id');
    expect(Object.keys(first!).slice(0, 9)).toEqual(['level', 'message', 'timestamp', 'service', 'cold_start', 'function_arn', 'function_memory_size', 'function_name', 'function_request_id']);
    expect(first).toMatchObject({ cold_start: true, function_name: 'fusion-average', function_memory_size: '512', function_request_id: 'req-1' });
    expect(second).toMatchObject({ cold_start: false, function_request_id: 'req-2' });
  });

  it('should never call a provisioned environment cold', () => {
    const log = new Logger({ service: 'svc', env: { AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' } });
    log.addContext(CONTEXT);
    log.info('first');
    expect(parse(out)[0]).toMatchObject({ cold_start: false });
  });

  it("should carry the X-Ray trace's root id, read at each line", () => {
    const env: NodeJS.ProcessEnv = {};
    const log = new Logger({ service: 'svc', env });
    log.info('untraced');
    env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    log.info('traced');
    const [untraced, traced] = parse(out);
    expect(untraced).not.toHaveProperty('xray_trace_id');
    expect(traced!.xray_trace_id).toBe('1-5759e988-bd862e3fe1be46a994272793');
  });

  it('should format errors (with their cause and own fields) wherever they appear', () => {
    const e = Object.assign(new Error('boom', { cause: new TypeError('inner') }), { code: 'E_BOOM' });
    const log = new Logger({ service: 'svc', env: {} });
    log.error('failed', e);
    log.warn('retrying', { error: e, attempt: 2 });
    const [direct, nested] = parse(err);
    for (const line of [direct, nested]) {
      expect(line!.error).toEqual({ name: 'Error', location: expect.stringMatching(/:\d+$/), message: 'boom', stack: e.stack, cause: expect.objectContaining({ name: 'TypeError', message: 'inner' }), code: 'E_BOOM' });
    }
    expect(nested!.attempt).toBe(2);
    expect(formatError(new RangeError('x'))).toMatchObject({ name: 'RangeError', message: 'x' });
  });

  it('should survive BigInts and circular references, and leave out empty top-level fields and reserved keys', () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    new Logger({ service: 'svc', env: {} }).info('odd values', { big: 12n, loop, none: null, empty: '', gone: undefined, message: 'spoofed', kept: 0 }, 'a note');
    const [line] = parse(out);
    expect(line).toEqual({ level: 'INFO', message: 'odd values', timestamp: expect.any(String), service: 'svc', big: '12', loop: { a: 1 }, kept: 0, extra: 'a note' });
    expect(parse(err)).toEqual([expect.objectContaining({ level: 'WARN', message: 'The key "message" is a reserved key and will be dropped.' })]);
  });

  it('should indent the JSON under POWERTOOLS_DEV', () => {
    new Logger({ service: 'svc', env: { POWERTOOLS_DEV: 'true' } }).info('pretty');
    expect(out[0]).toMatch(/^\{\n {4}"level": "INFO"/);
  });
});
