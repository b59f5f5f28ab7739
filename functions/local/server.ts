/**
 * The local server behind `npm start`: node:http in front of the very handlers Lambda runs.
 * Each request becomes an API Gateway v2 event, is routed with the same table CDK deploys
 * (`functions/http/routes.ts`) and answered with the handler's own response.
 */
import { existsSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { pathToFileURL } from 'node:url';
import { problem } from '../fusion/problem.js';
import { httpConfig, withEnv } from '../http/config.js';
import type { HttpHandler } from '../http/handler.js';
import { type HttpResult, json } from '../http/middleware.js';
import { DEFAULT_ENTRY, ENTRIES, entryFile, matchRoute } from '../http/routes.js';
import { flushDecisionLog, recordLocally, recorderConfig } from '../loop/record.js';
import { logger } from '../observability.js';
import { playgroundResponse } from '../playground/serve.js';
import { LOCAL_STORE_DIR } from '../store/index.js';
import { type LocalFunction, lambdaContext, localFunction, toEventV2 } from './event.js';

/** API Gateway's own payload limit (10 MiB); the handlers enforce `FUSION_MAX_BODY_BYTES` below it. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * What the server allows one client, as a production Node server should: the request headers
 * within 10 s (slowloris), the whole request within 30 s, idle keep-alive sockets closed after
 * 5 s, at most 1,000 connections at once (more are closed on arrival).
 */
export const SERVER_LIMITS = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 1_000 };

/** Where to listen and the environment the handlers see. */
export interface ServerOptions {
  /** Overrides of {@link SERVER_LIMITS} (tests use short ones). */
  limits?: Partial<typeof SERVER_LIMITS>;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Environment of every invocation (store, limits, payload logging). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** A running local server. */
export interface LocalServer {
  /** Base URL, for example `http://127.0.0.1:3000`. */
  url: string;
  port: number;
  /** Stops accepting connections, closes open ones and resolves when the server is down. */
  close(): Promise<void>;
}

/** Loads every entry's `handler` (one per strategy, plus meta), exactly as Lambda would. */
async function loadHandlers(): Promise<Map<string, HttpHandler>> {
  const loaded = await Promise.all(
    ENTRIES.map(async (entry) => {
      const file = entryFile(entry);
      if (!existsSync(file)) throw new Error(`Route entry "${entry}" has no file ${file}; add one exporting \`handler\` (see average.ts).`);
      const mod = (await import(pathToFileURL(file).href)) as { handler?: HttpHandler };
      if (typeof mod.handler !== 'function') throw new Error(`${file} does not export a \`handler\` function.`);
      return [entry, mod.handler] as const;
    }),
  );
  return new Map(loaded);
}

const EMPTY = Buffer.alloc(0);

/** Calls `target`'s handler with `event` and a fresh Lambda context (a named function: no closure per request). */
function invoke(target: Target, event: APIGatewayProxyEventV2): Promise<HttpResult> {
  return target.handler(event, lambdaContext(target.fn));
}

type Body = Buffer | 'too-large';

function readBody(req: IncomingMessage): Promise<Body> {
  if (Number(req.headers['content-length']) > GATEWAY_MAX_BODY_BYTES) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        resolve('too-large');
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** Paths WHATWG URL parsing leaves as they are: no dot segments, escapes, `//` or query. */
const PLAIN_PATH = /^\/(?!\/)[\w\-~./]*$/;

/** The path (as `new URL` decodes it) and the raw query string (without `?`) of a request target. */
function splitTarget(target: string): [path: string, query: string] {
  if (PLAIN_PATH.test(target) && !target.includes('/.')) return [target, ''];
  const url = new URL(target, 'http://localhost');
  return [url.pathname, url.search.slice(1)];
}

function send(res: ServerResponse, result: HttpResult, requestId: string, close = false): void {
  // A Content-Length (as API Gateway sends) instead of chunked encoding: one write per response.
  // The handler's result is its own fresh object, so its headers are completed in place.
  const headers: Record<string, string | number> = result.headers;
  headers['Content-Length'] = Buffer.byteLength(result.body);
  headers['apigw-requestid'] = requestId;
  if (close) headers.Connection = 'close';
  res.writeHead(result.statusCode, headers);
  res.end(result.body);
}

/** One loaded entry: its handler and the constant parts of its Lambda context. */
interface Target {
  handler: HttpHandler;
  fn: LocalFunction;
}

/** Starts the local API. Rejects (with the listen error, e.g. `EADDRINUSE`) if it cannot listen. */
export async function startServer(opts: ServerOptions = {}): Promise<LocalServer> {
  const env = opts.env ?? process.env;
  const host = opts.host ?? '127.0.0.1';
  httpConfig(env); // fail now on a bad configuration, not on the first request
  recorderConfig(env);
  // The decision log also goes to the local store, where `fusion dataset` reads it.
  recordLocally(env, env.FUSION_STORE_DIR ?? LOCAL_STORE_DIR);
  const targets = new Map<string, Target>();
  for (const [entry, handler] of await loadHandlers()) targets.set(entry, { handler, fn: localFunction(`late-fusion-${entry}`) });
  const fallback = targets.get(DEFAULT_ENTRY)!;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const [path, query] = splitTarget(req.url ?? '/');
    const method = req.method ?? 'GET';
    const route = matchRoute(method, path);
    const event = toEventV2(req, path, query, body === 'too-large' ? EMPTY : body, route ? `${route.method} ${route.path}` : '$default');
    const requestId = event.requestContext.requestId;
    // The playground page, its assets and stored profiles (GET paths no API route claims).
    const page = method === 'GET' && !route ? await playgroundResponse(path, httpConfig(env).store) : undefined;
    if (page) return send(res, page, requestId);
    if (body === 'too-large') {
      const limit = `API Gateway's limit of ${GATEWAY_MAX_BODY_BYTES} bytes`;
      return send(res, json(413, problem('payload-too-large', `The body is over ${limit}. Split a large batch into several requests.`), 'application/problem+json'), requestId, true);
    }
    const target = route ? targets.get(route.entry)! : fallback;
    const result = await withEnv(env, invoke, target, event);
    send(res, result, requestId);
  }

  function fail(res: ServerResponse, err: unknown): void {
    // Only reached if a handler itself throws (the error mapper should prevent it) or the client
    // vanished. Nothing here may throw in turn: that would be an unhandled rejection.
    try {
      const e = err instanceof Error ? err : new Error(String(err));
      logger.error('local server failed to answer', { error: { name: e.name, message: e.message.slice(0, 1000), stack: e.stack?.slice(0, 4000) } });
      if (!res.headersSent) send(res, json(500, problem('internal', 'An internal error occurred.'), 'application/problem+json'), '', true);
      else res.destroy();
    } catch {
      res.destroy();
    }
  }

  const limits = { ...SERVER_LIMITS, ...opts.limits };
  // Timeouts are checked every connectionsCheckingInterval: a second, not Node's default 30 s.
  const server = createServer({ connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs), headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, keepAliveTimeout: limits.keepAliveTimeoutMs }, (req, res) => {
    handle(req, res).then(undefined, (err: unknown) => fail(res, err));
  });
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        flushDecisionLog();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
