/**
 * Turns a node:http request into the API Gateway HTTP API (payload 2.0) event and Lambda
 * context that the deployed functions receive, so the local server calls the same handlers.
 * Everything that does not change between requests (per-function context fields, the
 * per-second timestamp text) is computed once, and no closure is created per request.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** API Gateway's integration timeout: the local budget of one invocation. */
const INVOCATION_TIMEOUT_MS = 30_000;

const TEXT = /^(application\/([a-z0-9.+-]+\+)?json|application\/(x-www-form-urlencoded|xml)|text\/)/i;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `27/Nov/2026:12:00:00 +0000`, API Gateway's `requestContext.time`. */
function clf(d: Date): string {
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

// The text only changes once a second: format it once per second, not per request.
let clfSecond = -1;
let clfText = '';
function clfAt(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== clfSecond) {
    clfText = clf(new Date(second * 1000));
    clfSecond = second;
  }
  return clfText;
}

/**
 * The v2 event for `req`, whose URL is split into `path` (decoded as WHATWG URL does) and
 * `query` (the raw query string without `?`), with its raw `body`. As API Gateway does: header
 * names lower-cased, repeated headers joined with commas, cookies split out, text bodies as
 * strings and other bodies base64-encoded.
 */
export function toEventV2(req: IncomingMessage, path: string, query: string, body: Buffer, routeKey: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'cookie') continue;
    const prev = headers[name];
    headers[name] = prev === undefined ? raw[i + 1]! : `${prev},${raw[i + 1]!}`;
  }
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  const now = Date.now();
  const domainName = headers.host ?? 'localhost';
  const dot = domainName.indexOf('.');
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: query,
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName,
      domainPrefix: dot < 0 ? domainName : domainName.slice(0, dot),
      http: { method: req.method ?? 'GET', path, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: clfAt(now),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  const cookie = req.headers.cookie;
  if (cookie) {
    const cookies = cookie.split(/;\s*/).filter(Boolean);
    if (cookies.length) event.cookies = cookies;
  }
  if (query) {
    const params: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(query)) params[k] = params[k] === undefined ? v : `${params[k]},${v}`;
    event.queryStringParameters = params;
  }
  if (body.length > 0) {
    const text = TEXT.test(headers['content-type'] ?? '');
    event.body = body.toString(text ? 'utf8' : 'base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

function noop(): void {}

/** The parts of a function's Lambda context that never change: computed once per function. */
export interface LocalFunction {
  functionName: string;
  invokedFunctionArn: string;
  logGroupName: string;
}

/** The constant context fields of the local function `functionName`. */
export function localFunction(functionName: string): LocalFunction {
  return { functionName, invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`, logGroupName: `/aws/lambda/${functionName}` };
}

/**
 * `getRemainingTimeInMillis` for an invocation ending at `deadline`. Callers such as middy call
 * it detached from the context, so it is a closure; returned from here it stays anonymous,
 * which spares it the per-call `name` definition tsx's keep-names transform adds to named ones
 * (and `bind`, which that transform also drives off its fast path).
 */
function remainingTime(deadline: number): () => number {
  return () => Math.max(0, deadline - Date.now());
}

/** A Lambda context for one local invocation of `fn`. */
export function lambdaContext(fn: LocalFunction): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.invokedFunctionArn,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: fn.logGroupName,
    logStreamName: 'local',
    getRemainingTimeInMillis: remainingTime(Date.now() + INVOCATION_TIMEOUT_MS),
    done: noop,
    fail: noop,
    succeed: noop,
  };
}
