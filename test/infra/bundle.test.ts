/**
 * The one test that bundles for real, with the local esbuild (no Docker), exactly as
 * `npx cdk synth` does: each strategy's function must carry its own rule and no other.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRATEGIES, STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { tasksOf } from '../../functions/fusion/tasks/task.js';
import { buildApp, projectContext } from '../../infra/lib/app.js';
import { functionId } from '../../infra/lib/stack.js';
import { lambdaContext, localFunction } from '../../functions/local/event.js';
import { logicalId, type CfnTemplate, type Synth } from './synth.js';

// The bundles are imported below: keep their EMF metrics and logs out of the test output.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const outdir = mkdtempSync(join(tmpdir(), 'fusion-cdk-'));
const bundles = new Map<string, string>();

/** A bundle's text with esbuild's `\uXXXX` escapes of non-ASCII characters undone. */
const unescape = (code: string) => code.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

beforeAll(() => {
  const { app, stack } = buildApp({ outdir, context: projectContext() });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  const s = { stack } as Synth;
  for (const id of stack.functions.keys()) {
    const code = template.Resources[logicalId(s, stack.functions.get(id)!)]!.Properties!.Code as { S3Key: string };
    const dir = join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    bundles.set(id, dir);
  }
}, 240_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('bundles (local esbuild)', () => {
  it('builds an ESM bundle with a source map for every function', () => {
    expect(bundles.size).toBe(STRATEGY_NAMES.length + 4);
    for (const [id, dir] of bundles) {
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith('import{createRequire as __cr}'), id).toBe(true);
      expect(code).toMatch(/export\s*\{/);
      expect(existsSync(join(dir, 'index.mjs.map')), id).toBe(true);
    }
  });

  it("puts each strategy's own rule in its bundle and no other strategy's", () => {
    const fingerprints = Object.fromEntries(STRATEGY_NAMES.map((name) => [name, STRATEGIES[name].description]));
    for (const name of STRATEGY_NAMES) {
      const code = unescape(readFileSync(join(bundles.get(functionId(name))!, 'index.mjs'), 'utf8'));
      for (const other of STRATEGY_NAMES) expect(code.includes(fingerprints[other]!), `${name} bundle holds ${other}`).toBe(other === name);
    }
  });

  it('keeps every strategy in the meta bundle, which lists them (the fingerprints are findable)', () => {
    const code = unescape(readFileSync(join(bundles.get('MetaFunction')!, 'index.mjs'), 'utf8'));
    for (const name of STRATEGY_NAMES) expect(code.includes(STRATEGIES[name].description), name).toBe(true);
  });
});

/** An HTTP API (payload 2.0) event for `POST /v1/fuse/<name>` with `body`. */
function postEvent(name: string, body: unknown): APIGatewayProxyEventV2 {
  const path = `/v1/fuse/${name}`;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'vitest' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'vitest' },
      requestId: `req-${name}`,
      routeKey: `POST ${path}`,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

describe('bundles at run time (Node 24, ESM)', () => {
  const request = { classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.2, 0.8] }, audio: { probabilities: [0.4, 0.6] } } };

  it("answers a fusion request with each strategy's own bundle", async () => {
    for (const name of STRATEGY_NAMES) {
      const { handler } = await import(pathToFileURL(join(bundles.get(functionId(name))!, 'index.mjs')).href);
      const response = await handler(postEvent(name, request), lambdaContext(localFunction(functionId(name))));
      const body = JSON.parse(response.body);
      // The learned rule needs a profile naming a trained model: a clear 4xx problem without one.
      if ((name as string) === 'learned') expect(response.statusCode, name).toBeLessThan(500);
      // A regression-only strategy answers a classification request with a 400 naming the task.
      else if (!tasksOf(STRATEGIES[name]).includes('classification')) expect({ status: response.statusCode, path: body.errors?.[0]?.path }, name).toEqual({ status: 400, path: 'task' });
      else expect({ status: response.statusCode, strategy: body.strategy, label: body.label }, name).toEqual({ status: 200, strategy: name, label: expect.any(String) });
    }
  });
});
