/**
 * A fault-injecting HTTP reverse proxy for tests: put it between an S3 client and s3rver and
 * switch faults on and off per test.
 *
 * ```ts
 * const proxy = await startFaultProxy(s3.endpoint);
 * const store = createStore({ ...process.env, ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint });
 * proxy.set({ kind: 'status', status: 503 });   // every request now gets 503 SlowDown
 * proxy.set({ kind: 'drop' }, { methods: ['POST'], times: 1 });  // cut the next POST, unsent
 * proxy.heal();                                 // back to passing everything through
 * proxy.count({ method: 'GET' });               // requests seen (faulted or not)
 * ```
 *
 * The proxy forwards the `Host` header unchanged, so SigV4 signatures made for the proxy's
 * address still verify upstream. Responses are buffered whole, then delivered according to
 * the current fault.
 */
import { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to a matching request. */
export type Fault =
  /** Pass through untouched. */
  | { kind: 'none' }
  /** Wait `ms` before forwarding (use more than the client's deadline to force a timeout). */
  | { kind: 'latency'; ms: number }
  /** Answer with an S3 error without forwarding: 500 InternalError or 503 SlowDown by default. */
  | { kind: 'status'; status: number; code?: string }
  /**
   * Forward the request, then send the response headers and half the body and reset the
   * connection (TCP RST); with no body (a 304), reset before the response. Upstream did see
   * and act on the request.
   */
  | { kind: 'reset' }
  /** Reset the connection without forwarding: upstream never sees the request. */
  | { kind: 'drop' }
  /** Send the headers (with the full Content-Length) and half the body, then close cleanly. */
  | { kind: 'truncate' }
  /** Deliver a body of the same length with bytes overwritten (default: the middle third with `#`). */
  | { kind: 'corrupt'; replace?: (body: Buffer) => Buffer };

/** One request the proxy saw. */
export interface ProxyLogEntry {
  method: string;
  /** URL path without the query string, for example `/bucket/profiles/x.json`. */
  path: string;
  /** The fault applied (`none` when passed through). */
  fault: Fault['kind'];
  /** Status sent to the client (0 when the connection was cut before a response). */
  status: number;
}

/** Which requests a fault applies to. Default: every request. */
export interface FaultScope {
  /** Only these methods (upper case). */
  methods?: string[];
  /** Only paths containing this substring. */
  pathIncludes?: string;
  /** Only the next `times` matching requests; then the proxy heals itself. */
  times?: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give this to the client as its endpoint. */
  endpoint: string;
  /** Switches to `fault` for requests in `scope`. */
  set(fault: Fault, scope?: FaultScope): void;
  /** Passes everything through again. */
  heal(): void;
  /** Every request seen, in order. */
  readonly log: ProxyLogEntry[];
  /** Requests seen that match a method and/or path substring. */
  count(filter?: { method?: string; pathIncludes?: string }): number;
  close(): Promise<void>;
}

const S3_CODES: Record<number, string> = { 500: 'InternalError', 503: 'SlowDown' };

/** Starts a proxy on 127.0.0.1 port 0 in front of `upstream` (for example s3rver's endpoint). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let fault: Fault = { kind: 'none' };
  let scope: FaultScope = {};
  const log: ProxyLogEntry[] = [];

  const applies = (method: string, path: string): boolean => {
    if (fault.kind === 'none') return false;
    if (scope.methods && !scope.methods.includes(method)) return false;
    if (scope.pathIncludes && !path.includes(scope.pathIncludes)) return false;
    if (scope.times !== undefined) {
      if (scope.times <= 0) return false;
      scope.times--;
    }
    return true;
  };

  const server = createServer(async (req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    const active: Fault = applies(method, path) ? fault : { kind: 'none' };
    const entry: ProxyLogEntry = { method, path, fault: active.kind, status: 0 };
    log.push(entry);
    const body = await readAll(req);
    if (active.kind === 'drop') {
      req.socket.resetAndDestroy();
      return;
    }
    if (active.kind === 'status') {
      const code = active.code ?? S3_CODES[active.status] ?? 'InternalError';
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>Injected fault</Message></Error>`;
      entry.status = active.status;
      res.writeHead(active.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) }).end(xml);
      return;
    }
    if (active.kind === 'latency') {
      const waited = await delayUnlessClosed(active.ms, req);
      if (!waited) return;
    }
    let upstreamRes: { status: number; headers: OutgoingHttpHeaders; body: Buffer };
    try {
      upstreamRes = await forward(target, req, body);
    } catch {
      res.destroy();
      return;
    }
    entry.status = upstreamRes.status;
    deliver(res, upstreamRes, active);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    set(next, nextScope = {}) {
      fault = next;
      scope = { ...nextScope };
    },
    heal() {
      fault = { kind: 'none' };
      scope = {};
    },
    log,
    count(filter = {}) {
      return log.filter((e) => (!filter.method || e.method === filter.method) && (!filter.pathIncludes || e.path.includes(filter.pathIncludes))).length;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function deliver(res: ServerResponse, up: { status: number; headers: OutgoingHttpHeaders; body: Buffer }, fault: Fault): void {
  const { body } = up;
  const headers = { ...up.headers };
  delete headers['transfer-encoding'];
  delete headers.connection;
  delete headers['keep-alive'];
  if (fault.kind === 'reset' || fault.kind === 'truncate') {
    if (body.length === 0) {
      // Nothing to cut in half (a 304, say): cut the connection before the response instead.
      res.socket?.resetAndDestroy();
      return;
    }
    res.writeHead(up.status, { ...headers, 'content-length': body.length });
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
      if (fault.kind === 'reset') res.socket?.resetAndDestroy();
      else res.socket?.end();
    });
    return;
  }
  const out = fault.kind === 'corrupt' && body.length > 0 ? (fault.replace ?? scribble)(Buffer.from(body)) : body;
  if (up.status !== 304) headers['content-length'] = out.length;
  res.writeHead(up.status, headers).end(out);
}

function scribble(body: Buffer): Buffer {
  const third = Math.floor(body.length / 3);
  return body.fill('#', third, Math.max(third + 1, 2 * third));
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: OutgoingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (res) => readAll(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject),
    );
    out.on('error', reject);
    out.end(body);
  });
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Resolves true after `ms`, or false as soon as the client gives up (closes its socket). */
function delayUnlessClosed(ms: number, req: IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => (req.socket.off('close', onClose), resolve(true)), ms);
    const onClose = () => (clearTimeout(timer), resolve(false));
    req.socket.once('close', onClose);
  });
}
