import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type * as Client from '@late-fusion/client';
import type * as Server from '../../functions/fusion/schemas.js';
import type * as ServerProfiles from '../../functions/fusion/profiles.js';
import type * as ServerContract from '../../functions/fusion/contract.js';
import type * as Tasks from '../../functions/fusion/tasks/index.js';
import type { MultilabelItem } from '../../functions/fusion/tasks/multilabel.js';
import type { RegressionItem } from '../../functions/fusion/tasks/regression.js';
import { retryAfterMs, retryDelay } from '@late-fusion/client';
import { ROOT } from './server.js';

const DIST = join(ROOT, 'clients/typescript/dist');
const PKG = JSON.parse(readFileSync(join(ROOT, 'clients/typescript/package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };

describe('@late-fusion/client package', () => {
  it('should have the server schemas as its types (checked by tsc in npm run check)', () => {
    expectTypeOf<Client.FusionRequest>().toEqualTypeOf<z.input<typeof Server.FusionRequest>>();
    expectTypeOf<Client.Prediction>().toEqualTypeOf<z.input<typeof Server.Prediction>>();
    expectTypeOf<Client.FusionResponse>().toEqualTypeOf<z.output<typeof ServerContract.FusionResponse>>();
    expectTypeOf<Client.Problem>().toEqualTypeOf<z.output<typeof ServerContract.Problem>>();
    expectTypeOf<Client.Profile>().toEqualTypeOf<z.input<typeof ServerProfiles.Profile>>();
    expectTypeOf<Client.RegressionPrediction>().toEqualTypeOf<z.input<typeof Tasks.RegressionPrediction>>();
    expectTypeOf<Client.MultilabelPrediction>().toEqualTypeOf<z.input<typeof Tasks.MultilabelPrediction>>();
    expectTypeOf<Client.RegressionResponse>().toEqualTypeOf<z.output<typeof ServerContract.RegressionResponse>>();
    expectTypeOf<Client.MultilabelResponse>().toEqualTypeOf<z.output<typeof ServerContract.MultilabelResponse>>();
    // A join arrival is any of the three tasks' predictions, as PUT /v1/joins/... accepts.
    expectTypeOf<Parameters<Client.Join['put']>[1]>().toEqualTypeOf<z.input<typeof Server.Prediction> | z.input<typeof Tasks.RegressionPrediction> | z.input<typeof Tasks.MultilabelPrediction>>();
  });

  it('should type fuse and fuseBatch for every task, each answer narrowed by the request\'s task (checked by tsc)', () => {
    expectTypeOf<Client.RegressionRequest>().toEqualTypeOf<z.input<typeof Tasks.RegressionRequest>>();
    expectTypeOf<Client.MultilabelRequest>().toEqualTypeOf<z.input<typeof Tasks.MultilabelRequest>>();
    expectTypeOf<Client.TaskRequest>().toEqualTypeOf<z.input<typeof ServerContract.TaskRequest>>();
    expectTypeOf<Client.TaskResponse>().toEqualTypeOf<z.output<typeof ServerContract.TaskResponse>>();
    expectTypeOf<Client.RegressionItem>().toEqualTypeOf<z.input<typeof RegressionItem>>();
    expectTypeOf<Client.MultilabelItem>().toEqualTypeOf<z.input<typeof MultilabelItem>>();
    // A batch's items are `unknown` to its schema (each is validated by the item schema above).
    expectTypeOf<Client.RegressionBatchDefaults>().toEqualTypeOf<Omit<z.input<typeof ServerContract.RegressionBatch>, 'items'>>();
    expectTypeOf<Client.MultilabelBatchDefaults>().toEqualTypeOf<Omit<z.input<typeof ServerContract.MultilabelBatch>, 'items'>>();
    // The catch-all overload takes any task's request, as POST /v1/fuse/{strategy} does.
    expectTypeOf<Parameters<Client.FusionClient['fuse']>[1]>().toEqualTypeOf<z.input<typeof ServerContract.TaskRequest>>();
    type Reg = z.output<typeof ServerContract.RegressionResponse>;
    type Multi = z.output<typeof ServerContract.MultilabelResponse>;
    type Cls = z.output<typeof Server.FusionResponse>;
    // Never called: tsc checks the overloads each call resolves to. With the old
    // classification-only signature every regression and multi-label line below fails.
    const calls = (c: Client.FusionClient, any: Client.TaskRequest) => {
      expectTypeOf(c.fuse('inverse-variance', { task: 'regression', predictions: { text: { value: 1.8, std: 0.5 } } })).resolves.toEqualTypeOf<Reg>();
      expectTypeOf(c.fuse('average', { task: 'multilabel', labels: ['dog'], predictions: { image: { scores: [0.9] } } })).resolves.toEqualTypeOf<Multi>();
      expectTypeOf(c.fuse('average', { classes: ['a', 'b'], predictions: { text: { probabilities: [0.3, 0.7] } } })).resolves.toEqualTypeOf<Cls>();
      expectTypeOf(c.fuse('average', any)).resolves.toEqualTypeOf<Reg | Multi | Cls>();
      expectTypeOf(c.fuseBatch('average', [{ predictions: { text: { value: 1 } } }], { task: 'regression' })).resolves.toEqualTypeOf<Reg[]>();
      expectTypeOf(c.fuseBatch('average', [{ predictions: { image: { scores: [0.9] } } }], { task: 'multilabel', labels: ['dog'] })).resolves.toEqualTypeOf<Multi[]>();
      expectTypeOf(c.fuseBatch('vote', [{ predictions: { text: { label: 'a' } } }], { profile: 'sentiment' })).resolves.toEqualTypeOf<Cls[]>();
      expectTypeOf(c.fuseBatch('vote', [{ classes: ['a'], predictions: { text: { label: 'a' } } }])).resolves.toEqualTypeOf<Cls[]>();
      // @ts-expect-error a regression request has no classes
      void c.fuse('average', { task: 'regression', classes: ['a', 'b'] });
      // @ts-expect-error a multi-label prediction is {scores}, not probabilities
      void c.fuse('average', { task: 'multilabel', predictions: { image: { probabilities: [0.9, 0.1] } } });
      // @ts-expect-error a regression item's prediction is {value, std?}
      void c.fuseBatch('average', [{ predictions: { text: { probabilities: [1] } } }], { task: 'regression' });
    };
    expect(typeof calls).toBe('function');
  });

  it('should import at run time only its declared dependencies, never server code', () => {
    const allowed = new Set([...Object.keys(PKG.dependencies), ...Object.keys(PKG.peerDependencies)]);
    for (const file of readdirSync(DIST).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(join(DIST, file), 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (spec!.startsWith('./')) continue;
        expect(allowed, `${file} imports ${spec}`).toContain(spec);
      }
      expect(text, file).not.toMatch(/functions\/|node:/);
      expect(text.match(/const mod = '([^']+)'/)?.[1] ?? '@aws-sdk/credential-providers').toBe('@aws-sdk/credential-providers');
    }
  });

  it('should bundle for a browser (fetch, no Node built-ins)', async () => {
    const out = await build({ entryPoints: [join(DIST, 'index.js')], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });
    expect(out.errors).toEqual([]);
    expect(out.outputFiles[0]!.text).toContain('FusionProblemError');
  });

  it('should back off exponentially with jitter, never below Retry-After nor above the cap', () => {
    const b = { baseMs: 100, maxMs: 20_000 };
    for (let attempt = 0; attempt < 12; attempt++) {
      const low = retryDelay(attempt, null, b, () => 0);
      const high = retryDelay(attempt, null, b, () => 0.999);
      expect(low).toBe(Math.min(b.maxMs, b.baseMs * 2 ** attempt) / 2);
      expect(high).toBeGreaterThanOrEqual(low);
      expect(high).toBeLessThanOrEqual(b.maxMs);
    }
    expect(retryDelay(0, '3', b, () => 0)).toBe(3000);
    expect(retryDelay(0, '3600', b, () => 0)).toBe(20_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT')).toBe(0);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(retryAfterMs('soon')).toBe(0);
  });
});
