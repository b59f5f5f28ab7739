/**
 * The HTTP layer's own middlewares: method check (405), body size limit (413), JSON body (415,
 * 400) and the single error mapper that turns every failure into an RFC 9457 `application/problem+json` response.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { FusionError, InvalidRequestError, ModelFailureError } from '../fusion/errors.js';
import { problem, toProblem } from '../fusion/problem.js';
import type { Problem } from '../fusion/schemas.js';
import { METRIC, emitMetrics, logger } from '../observability.js';
import { httpConfig } from './config.js';

/** The events the handlers accept: API Gateway HTTP API v2, or REST API / HTTP API v1. */
export type HttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent;

/** What every handler returns. */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The request method of either event version. */
export function requestMethod(event: HttpEvent): string {
  return 'httpMethod' in event ? event.httpMethod : event.requestContext.http.method;
}

/** The request path of either event version. */
export function requestPath(event: HttpEvent): string {
  return 'rawPath' in event ? event.rawPath : event.path;
}

/** Identifiers every log line carries: API Gateway's request id and Lambda's. */
export function requestIds(event: HttpEvent, context?: { awsRequestId?: string }): Record<string, string> {
  return { request_id: event.requestContext?.requestId ?? '', function_request_id: context?.awsRequestId ?? '' };
}

/** A JSON response. */
export function json(statusCode: number, body: unknown, contentType = 'application/json'): HttpResult {
  return { statusCode, headers: { 'Content-Type': contentType }, body: JSON.stringify(body) };
}

/** A request with a method the route does not serve. */
export class MethodNotAllowedError extends FusionError {
  constructor(
    method: string,
    path: string,
    readonly allow: string[],
  ) {
    super('method-not-allowed', `${method} is not allowed on ${path}. Allowed: ${allow.join(', ')}.`);
    this.name = 'MethodNotAllowedError';
  }
}

/** Rejects methods other than `allow` with 405 and an `Allow` header. */
export function allowMethods(allow: string[]): MiddlewareObj<HttpEvent> {
  return {
    before(request) {
      const method = requestMethod(request.event);
      if (!allow.includes(method)) throw new MethodNotAllowedError(method, requestPath(request.event), allow);
    },
  };
}

/** Rejects bodies over `FUSION_MAX_BODY_BYTES` with 413 before anything parses them. */
export function bodyLimit(): MiddlewareObj<HttpEvent> {
  return {
    before(request) {
      const { body, isBase64Encoded } = request.event;
      if (typeof body !== 'string') return;
      const max = httpConfig().maxBodyBytes;
      // A cheap upper bound first: a UTF-8 string has at most 3 bytes per UTF-16 unit.
      if (!isBase64Encoded && body.length * 3 <= max) return;
      const bytes = isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body, 'utf8');
      if (bytes > max)
        throw new FusionError('payload-too-large', `The body has ${bytes} bytes; the limit is ${max} (FUSION_MAX_BODY_BYTES). Split a large batch into several requests.`);
    },
  };
}

/** Problem codes that count as validation failures in the metrics. */
const VALIDATION = new Set([400, 413, 415, 422]);

const STATUS_CODES: Record<number, string> = { 404: 'not-found', 405: 'method-not-allowed', 413: 'payload-too-large', 415: 'unsupported-media-type', 422: 'invalid-request' };

/** Maps an HTTP error thrown by a middy middleware onto our problem types (4xx keep their message). */
function fromHttpError(err: Error & { statusCode: number }): Problem {
  return err.statusCode < 500 ? problem(STATUS_CODES[err.statusCode] ?? 'invalid-request', err.message) : toProblem(err);
}

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;
const UTF8 = /^utf-?8$/i;

function rejectPrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')))
    throw new InvalidRequestError([{ path: key, message: `the key "${key}" is not allowed anywhere in the body` }]);
  return value;
}

/**
 * Parses a JSON body, as @middy/http-json-body-parser does (same content-type rule, same
 * forbidden `__proto__` / `constructor.prototype` keys), but only bodies that could hold such a
 * key pay for the key-checking reviver: it was a third of a request's CPU time.
 */
export function jsonBody(): MiddlewareObj<HttpEvent> {
  return {
    before(request) {
      const event = request.event;
      const type = event.headers?.['content-type'];
      if (!type || !JSON_TYPE.test(type))
        throw new FusionError('unsupported-media-type', `Send the body as JSON with the header "Content-Type: application/json"${type ? ` (got "${type}")` : ' (none was given)'}.`);
      const charset = CHARSET.exec(type)?.[1];
      if (charset !== undefined && !UTF8.test(charset))
        throw new FusionError('unsupported-media-type', `JSON is read as UTF-8 (RFC 8259), but the Content-Type names charset "${charset}". Send the body as UTF-8 with "Content-Type: application/json".`);
      const encoding = event.headers?.['content-encoding'];
      if (encoding && encoding.trim().toLowerCase() !== 'identity')
        throw new FusionError('unsupported-media-type', `The body is sent with "Content-Encoding: ${encoding}", which is not accepted. Send it uncompressed, without a Content-Encoding header.`);
      const raw = event.body;
      if (raw === undefined || raw === null || raw === '') throw new FusionError('invalid-json', 'The body is empty; send a fusion request as JSON.');
      const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      const risky = text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
      try {
        (event as { body: unknown }).body = risky ? JSON.parse(text, rejectPrototypeKeys) : JSON.parse(text);
      } catch (e) {
        if (e instanceof FusionError) throw e;
        throw new FusionError('invalid-json', `The body is not valid JSON: ${(e as Error).message}.`);
      }
    },
  };
}

function isHttpError(err: unknown): err is Error & { statusCode: number } {
  return err instanceof Error && typeof (err as { statusCode?: unknown }).statusCode === 'number';
}

/**
 * The one error mapper: every thrown value becomes a problem response. Only deliberate errors
 * show their message; anything else is logged with its stack and answered with a generic 500.
 * `strategy` adds the per-strategy validation-failure metric.
 */
export function problemResponses(opts: { strategy?: string } = {}): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError(request) {
      const err = request.error;
      let p: Problem;
      if (err instanceof FusionError) p = toProblem(err);
      else if (isHttpError(err)) p = fromHttpError(err);
      else if (err instanceof Error && err.name === 'TimeoutError') p = problem('unavailable', 'The request did not finish in time; retry later.');
      else p = toProblem(err);
      // Of the 5xx only 503 (a store or model that cannot be loaded) explains itself.
      if (p.status >= 500 && p.status !== 503) p = toProblem(undefined);

      const ids = requestIds(request.event, request.context);
      const fields = { ...ids, ...(opts.strategy ? { strategy: opts.strategy } : {}), status: p.status, type: p.type };
      if (p.status >= 500) logger.error('request failed', { ...fields, error: err as Error });
      else logger.info('request rejected', { ...fields, paths: p.errors?.map((e) => e.path) ?? [] });
      if (opts.strategy && VALIDATION.has(p.status)) emitMetrics({ strategy: opts.strategy }, { [METRIC.validationFailures]: 1 });
      if (opts.strategy && err instanceof ModelFailureError) emitMetrics({ strategy: opts.strategy }, { [METRIC.modelFailures]: 1 });

      const response = json(p.status, p, 'application/problem+json');
      if (err instanceof MethodNotAllowedError) response.headers.Allow = err.allow.join(', ');
      // Set, not returned: a returned value would skip the CORS and security-header middlewares.
      request.response = response;
    },
  };
}
