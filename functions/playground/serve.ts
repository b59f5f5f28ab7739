/**
 * The playground's routes on the local server: `GET /` (the page), its two static assets, and
 * the stored profiles (`/playground/profiles`, `/playground/profiles/<name>`). Everything is
 * served from this machine; the page's content security policy forbids any other origin.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FusionError } from '../fusion/errors.js';
import { problem, toProblem } from '../fusion/problem.js';
import type { HttpResult } from '../http/middleware.js';
import type { Store } from '../store/types.js';
import { DIST_DIR, PAGE_DIR } from './files.js';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const HEADERS = { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': CSP };

const ASSETS: Record<string, [file: string, type: string]> = {
  '/': [join(PAGE_DIR, 'index.html'), 'text/html; charset=utf-8'],
  '/playground/style.css': [join(PAGE_DIR, 'style.css'), 'text/css; charset=utf-8'],
  '/playground/app.js': [join(DIST_DIR, 'app.js'), 'text/javascript; charset=utf-8'],
};
const PROFILE = /^\/playground\/profiles\/([A-Za-z0-9._-]{1,128})$/;

function answer(statusCode: number, body: string, type: string): HttpResult {
  return { statusCode, headers: { ...HEADERS, 'Content-Type': type }, body };
}

function fail(p: ReturnType<typeof problem>): HttpResult {
  return answer(p.status, JSON.stringify(p), 'application/problem+json');
}

/** The playground's answer to `GET path`, or undefined when the path is not one of its routes. */
export async function playgroundResponse(path: string, store: Store): Promise<HttpResult | undefined> {
  const asset = ASSETS[path];
  if (asset) {
    const [bundle] = ASSETS['/playground/app.js']!;
    const built = await readFile(bundle, 'utf8').then(() => true, () => false);
    if (!built) return fail(problem('unavailable', 'The playground is not built: run `npm run build:playground` (`npm ci` runs it for you).'));
    return answer(200, await readFile(asset[0], 'utf8'), asset[1]);
  }
  if (path === '/playground/profiles') return answer(200, JSON.stringify({ names: await store.listProfiles() }), 'application/json');
  if (!path.startsWith('/playground/profiles/')) return undefined;
  const name = PROFILE.exec(path)?.[1];
  if (!name) return fail(problem('not-found', 'A profile name is 1 to 128 letters, digits, ".", "_" or "-"; GET /playground/profiles lists them.'));
  try {
    const { profile, model } = await store.getProfile(name);
    return answer(200, JSON.stringify({ profile, model }), 'application/json');
  } catch (e) {
    if (e instanceof FusionError) return fail(toProblem(e));
    throw e;
  }
}
