/**
 * Turns a node:http request into the API Gateway HTTP API (payload 2.0) event and Lambda
 * context that the deployed functions receive, so the local server calls the same handlers.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** API Gateway's integration timeout: the local budget of one invocation. */
export const INVOCATION_TIMEOUT_MS = 30_000;

const TEXT = /^(application\/([a-z0-9.+-]+\+)?json|application\/(x-www-form-urlencoded|xml)|text\/)/i;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `27/Nov/2026:12:00:00 +0000`, API Gateway's `requestContext.time`. */
function clf(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * The v2 event for `req` (its parsed `url`) with its raw `body`. As API Gateway does: header names lower-cased,
 * repeated headers joined with commas, cookies split out, text bodies as strings and other
 * bodies base64-encoded.
 */
export function toEventV2(req: IncomingMessage, url: URL, body: Buffer, routeKey: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const now = new Date();
  const domainName = headers.host ?? 'localhost';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: { method: req.method ?? 'GET', path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: clf(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  const cookies = req.headers.cookie?.split(/;\s*/).filter(Boolean);
  if (cookies?.length) event.cookies = cookies;
  if (url.search) event.queryStringParameters = query;
  if (body.length > 0) {
    const text = TEXT.test(headers['content-type'] ?? '');
    event.body = body.toString(text ? 'utf8' : 'base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

/** A Lambda context for one local invocation of `functionName`. */
export function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + INVOCATION_TIMEOUT_MS;
  const noop = () => {};
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: noop,
    fail: noop,
    succeed: noop,
  };
}
