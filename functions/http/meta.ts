/**
 * The meta function: `GET /v1/strategies`, `GET /v1/health`, `GET /v1/openapi.json`, and every
 * request no route matches (API Gateway's `$default` route): 404 listing what exists, or 405.
 */
import { NotFoundError } from '../fusion/errors.js';
import { STRATEGY_NAMES } from '../fusion/registry.js';
import { type HttpHandler, httpStack } from './handler.js';
import { MethodNotAllowedError, json, requestMethod, requestPath } from './middleware.js';
import { openApiDocument, strategyList } from './openapi.js';
import { ROUTES, DEFAULT_ENTRY } from './routes.js';

const FUSE_PREFIX = '/v1/fuse/';

/** Why no route serves `method path`: unknown path (404) or unsupported method (405). */
export function routeError(method: string, path: string): Error {
  const allow = ROUTES.filter((r) => r.path === path).map((r) => r.method);
  if (allow.length) return new MethodNotAllowedError(method, path, allow);
  if (path.startsWith(FUSE_PREFIX)) {
    const name = path.slice(FUSE_PREFIX.length);
    return new NotFoundError(`Unknown strategy "${name}". Valid strategies: ${STRATEGY_NAMES.join(', ')}.`, [
      { path: 'strategy', message: `use one of: ${STRATEGY_NAMES.join(', ')}` },
    ]);
  }
  return new NotFoundError(`No route ${method} ${path}. Routes: ${ROUTES.map((r) => `${r.method} ${r.path}`).join(', ')}.`);
}

/** Builds the meta handler; the document and lists are built once, at cold start. */
export function metaHandler(): HttpHandler {
  const bodies: Record<string, string> = {
    '/v1/strategies': JSON.stringify(strategyList()),
    '/v1/health': JSON.stringify({ status: 'ok', strategies: STRATEGY_NAMES }),
    '/v1/openapi.json': JSON.stringify(openApiDocument()),
  };
  const own = new Set(ROUTES.filter((r) => r.entry === DEFAULT_ENTRY).map((r) => `${r.method} ${r.path}`));
  return httpStack().handler(async (event) => {
    const method = requestMethod(event);
    const path = requestPath(event);
    if (!own.has(`${method} ${path}`)) throw routeError(method, path);
    return { ...json(200, null), body: bodies[path]! };
  });
}
