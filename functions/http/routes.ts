/**
 * The one routing table. The CDK stack deploys it (each route to its entry's function, every
 * other request to `DEFAULT_ENTRY` as API Gateway's `$default` route) and the local server
 * serves it, so both answer the same requests with the same handlers.
 */
import { fileURLToPath } from 'node:url';
import { STRATEGY_NAMES } from '../fusion/registry.js';

/** One API route and the entry (`functions/http/entries/<entry>.ts`) whose `handler` serves it. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  entry: string;
}

/** The entry serving the GET routes, and every request no route matches (404 or 405). */
export const DEFAULT_ENTRY = 'meta';

/** Every route: `POST /v1/fuse/<strategy>` for each registry strategy, then the GET routes. */
export const ROUTES: readonly Route[] = [
  ...STRATEGY_NAMES.map((name): Route => ({ method: 'POST', path: `/v1/fuse/${name}`, entry: name })),
  { method: 'GET', path: '/v1/strategies', entry: DEFAULT_ENTRY },
  { method: 'GET', path: '/v1/health', entry: DEFAULT_ENTRY },
  { method: 'GET', path: '/v1/openapi.json', entry: DEFAULT_ENTRY },
  { method: 'PUT', path: '/v1/joins/{profile}/{joinId}/{modality}', entry: 'joins' },
  { method: 'GET', path: '/v1/joins/{profile}/{joinId}', entry: 'joins' },
  { method: 'POST', path: '/v1/feedback', entry: 'feedback' },
];

/** Every entry name: one per strategy, the meta entry, joins and feedback. */
export const ENTRIES: readonly string[] = [...new Set([...ROUTES.map((r) => r.entry), DEFAULT_ENTRY])];

/** Absolute path of an entry's source file (what CDK's `NodejsFunction` bundles). */
export function entryFile(entry: string): string {
  return fileURLToPath(new URL(`./entries/${entry}.ts`, import.meta.url));
}

const BY_METHOD = new Map<string, Map<string, Route>>();
for (const r of ROUTES) {
  const paths = BY_METHOD.get(r.method) ?? new Map<string, Route>();
  BY_METHOD.set(r.method, paths.set(r.path, r));
}

// Routes with `{parameters}`, as API Gateway matches them: each parameter is one path segment.
const TEMPLATES = ROUTES.filter((r) => r.path.includes('{')).map((r) => ({ route: r, pattern: new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));

/** The route serving `method path`, if any. */
export function matchRoute(method: string, path: string): Route | undefined {
  const exact = BY_METHOD.get(method)?.get(path);
  if (exact || !path.startsWith('/v1/joins/')) return exact;
  return TEMPLATES.find((t) => t.route.method === method && t.pattern.test(path))?.route;
}
