/**
 * The OpenAPI document against the answers of the running local server: every operation is
 * called, and the `x-fusion-decision-id` header is in a live answer exactly when the document
 * lists it for that operation and status; an operation documenting the request header takes it.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { type LocalServer, startServer } from '../../functions/local/server.js';

const HEADER = 'x-fusion-decision-id';
const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'openapi-live-'));
copyFileSync(join(ROOT, 'examples/profiles/sentiment.json'), join(dir, 'sentiment.json'));
const sentiment = JSON.parse(readFileSync(join(dir, 'sentiment.json'), 'utf8')) as Record<string, unknown>;
mkdirSync(join(dir, 'models'));
copyFileSync(join(ROOT, 'examples/profiles/digits-learned.json'), join(dir, 'digits-learned.json'));
copyFileSync(join(ROOT, 'examples/profiles/models/digits-logistic.json'), join(dir, 'models/digits-logistic.json'));
writeFileSync(join(dir, 'joinable.json'), JSON.stringify({ ...sentiment, name: 'joinable', join: { strategy: 'average', windowSeconds: 30 } }));

type Operation = {
  operationId: string;
  parameters?: ({ $ref?: string; name?: string; in?: string })[];
  requestBody?: { content: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, { headers?: Record<string, unknown> }>;
};
type Doc = { paths: Record<string, Record<string, Operation>>; components: { parameters: Record<string, { name: string; in: string }>; headers: Record<string, unknown> } };

let server: LocalServer;
let doc: Doc;
beforeAll(async () => {
  server = await startServer({ port: 0, env: { ...process.env, FUSION_STORE_DIR: dir, FUSION_BUCKET: '', FUSION_DECISION_LOG_SAMPLE: '0' } });
  doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as Doc;
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One live call: its operation, status and whether the answer carried the header (and its value). */
interface Seen {
  op: string;
  status: number;
  header: string | null;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; header: string | null; body: unknown }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, header: res.headers.get(HEADER), body: await res.json() };
}

/** The learned route answers the document's inline examples with problems (it needs a stored model): one request with a profile that has one. */
const EXTRA: Record<string, unknown[]> = {
  fuse_learned: [{ profile: 'digits-learned', predictions: { top: { label: '3', confidence: 0.9 }, bottom: { label: '3', confidence: 0.8 } } }],
};

const examplesOf = (op: Operation) => {
  const content = op.requestBody?.content['application/json'];
  const examples = content?.examples ? Object.values(content.examples).map((e) => e.value) : content?.example !== undefined ? [content.example] : [undefined];
  return [...examples, ...(EXTRA[op.operationId] ?? [])];
};

/** Whether the operation documents the header as a (resolved) request parameter. */
const takesHeader = (op: Operation) =>
  (op.parameters ?? []).some((p) => {
    const resolved = p.$ref ? doc.components.parameters[p.$ref.split('/').at(-1)!] : p;
    return resolved?.in === 'header' && resolved.name === HEADER;
  });

let unique = 0;
/** Calls one operation with each of its request examples (and, with `id`, the header); joins are walked to their decision. */
async function exercise(path: string, method: string, op: Operation, id?: string): Promise<Seen[]> {
  const seen: Seen[] = [];
  const headers: Record<string, string> = id ? { [HEADER]: id } : {};
  const record = (r: { status: number; header: string | null }) => void seen.push({ op: op.operationId, status: r.status, header: r.header });
  if (path.startsWith('/v1/joins/')) {
    const joinId = id ?? `live-${++unique}`;
    const base = `/v1/joins/joinable/${joinId}`;
    if (method === 'get') record(await call('GET', base, undefined, headers)); // 404 before any arrival
    for (const m of ['text', 'video', 'audio']) {
      const put = await call('PUT', `${base}/${m}`, { probabilities: [0.2, 0.3, 0.5] }, method === 'put' ? headers : {});
      if (method === 'put') record(put);
      if (method === 'get') record(await call('GET', base, undefined, headers));
    }
    return seen;
  }
  for (const body of examplesOf(op)) {
    const r = await call(method.toUpperCase(), path, body, headers);
    if (r.status >= 500) throw new Error(`${method} ${path}: ${JSON.stringify(r.body)}`);
    record(r);
  }
  return seen;
}

describe('the x-fusion-decision-id header: the OpenAPI document against the local server', () => {
  it('should define the header once, as a request parameter and a response header', () => {
    expect(doc.components.parameters.DecisionId).toMatchObject({ name: HEADER, in: 'header', required: false });
    expect(doc.components.headers.DecisionId).toMatchObject({ schema: { type: 'string' } });
  });

  it('should list the header on exactly the answers that carry it, for every operation', async () => {
    const seen: Seen[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) seen.push(...(await exercise(path, method, op)));
    const documented = (s: Seen) => {
      const op = Object.values(doc.paths).flatMap((m) => Object.values(m)).find((o) => o.operationId === s.op)!;
      return Object.hasOwn(op.responses[String(s.status)]?.headers ?? {}, HEADER);
    };
    const mismatches = seen.filter((s) => documented(s) !== (s.header !== null)).map((s) => `${s.op} ${s.status}: ${s.header === null ? 'no header live' : 'header live, not documented'}`);
    expect(mismatches).toEqual([]);
    // Every documented header was seen live at least once, and the answers that have it are the decisions.
    const withHeader = new Set(seen.filter((s) => s.header !== null).map((s) => `${s.op} ${s.status}`));
    for (const [, methods] of Object.entries(doc.paths))
      for (const op of Object.values(methods))
        for (const [status, r] of Object.entries(op.responses)) if (Object.hasOwn(r.headers ?? {}, HEADER)) expect(withHeader, `${op.operationId} ${status}`).toContain(`${op.operationId} ${status}`);
    expect([...withHeader].sort()).toEqual(expect.arrayContaining(['fuse_average 200', 'putJoinArrival 202', 'putJoinArrival 200', 'getJoin 200']));
    expect([...withHeader].some((k) => /^(feedback|health|listStrategies|openapi) /.test(k))).toBe(false);
  });

  it('should take the header as the decision id on every operation that documents it, and ignore it elsewhere', async () => {
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods)) {
        const id = `hdr-${op.operationId}-${++unique}`;
        const seen = (await exercise(path, method, op, id)).filter((s) => s.status < 300);
        expect(seen.length, op.operationId).toBeGreaterThan(0);
        if (takesHeader(op)) for (const s of seen) expect(s.header, `${op.operationId} ${s.status}`).toBe(id);
        else for (const s of seen) expect(s.header, `${op.operationId} ${s.status}`).toBeNull();
      }
  });

  it('should refuse a header that disagrees with the body decisionId or the joinId, naming the field', async () => {
    const body = { classes: ['a', 'b'], decisionId: 'body-1', predictions: { x: { probabilities: [0.3, 0.7] } } };
    const clash = await call('POST', '/v1/fuse/average', body, { [HEADER]: 'header-1' });
    expect(clash.status).toBe(400);
    expect((clash.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['decisionId']);
    const same = await call('POST', '/v1/fuse/average', body, { [HEADER]: 'body-1' });
    expect([same.status, same.header, (same.body as { decisionId: string }).decisionId]).toEqual([200, 'body-1', 'body-1']);
    const bad = await call('POST', '/v1/fuse/average', { ...body, decisionId: undefined }, { [HEADER]: 'has space' });
    expect((bad.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([HEADER]);
    const join = await call('PUT', '/v1/joins/joinable/j-hdr/text', { probabilities: [0.2, 0.3, 0.5] }, { [HEADER]: 'other' });
    expect(join.status).toBe(400);
    expect((join.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([HEADER]);
    expect((await call('GET', '/v1/joins/joinable/j-hdr')).status).toBe(404); // nothing was stored
  });
});
