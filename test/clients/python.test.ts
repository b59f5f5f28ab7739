import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { FusionResponse, MultilabelResponse, Problem, RegressionResponse } from '../../functions/fusion/contract.js';
import { FusionRequest, Prediction } from '../../functions/fusion/schemas.js';
import { Feedback, FeedbackAccepted } from '../../functions/fusion/loop/feedback.js';
import { MultilabelPrediction, MultilabelRequest, RegressionPrediction, RegressionRequest } from '../../functions/fusion/tasks/index.js';
import { MultilabelItem } from '../../functions/fusion/tasks/multilabel.js';
import { RegressionItem } from '../../functions/fusion/tasks/regression.js';
import { python } from './python.js';
import { JOIN_PROFILE, TASK_JOIN_PROFILES, type ServeProcess, TEST_MAX_BODY_BYTES, serverHasJoins, startServe } from './server.js';

/** The TypedDicts checked against the server's schemas, and those whose task is a literal. */
const TYPED = ['Prediction', 'RegressionPrediction', 'MultilabelPrediction', 'FusionRequest', 'FusionResponse', 'Problem', 'Feedback', 'FeedbackAccepted', 'RegressionRequest', 'MultilabelRequest', 'RegressionItem', 'MultilabelItem', 'RegressionResponse', 'MultilabelResponse'];
const TASKED = ['FusionRequest', 'RegressionRequest', 'MultilabelRequest', 'RegressionItem', 'MultilabelItem', 'RegressionResponse', 'MultilabelResponse'];

let serve: ServeProcess;
beforeAll(async () => {
  serve = await startServe();
});
afterAll(() => serve?.close());

describe('Python client (python3 -m unittest, live against fusion serve)', () => {
  it('should pass every Python test, skipping only the join test while the server has no join routes', async () => {
    const env = { FUSION_TEST_URL: serve.url, FUSION_TEST_HAS_JOINS: serverHasJoins ? '1' : '0', FUSION_TEST_JOIN_PROFILE: JOIN_PROFILE, FUSION_TEST_TASK_JOINS: JSON.stringify(TASK_JOIN_PROFILES), FUSION_TEST_MAX_BODY_BYTES: String(TEST_MAX_BODY_BYTES), FUSION_TEST_STORE_DIR: serve.dir };
    const run = await python(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'], { env, timeoutMs: 90_000 });
    expect(run.code, run.stderr).toBe(0);
    const results = [...run.stderr.matchAll(/^(test_\w+) \(.*?\) \.\.\. (ok|skipped|FAIL|ERROR)/gm)].map((m) => [m[1], m[2]]);
    const skipped = results.filter(([, r]) => r === 'skipped').map(([name]) => name);
    expect(skipped).toEqual(serverHasJoins ? [] : ['test_join_completes_from_three_puts_and_wait_reads_it', 'test_multilabel_join_decides_as_the_synchronous_route', 'test_regression_join_decides_as_the_synchronous_route']);
    expect(results.length).toBeGreaterThanOrEqual(26);
  });

  it('should type exactly the fields, and the required fields, of the server schemas', async () => {
    const script = `
import json, late_fusion_client.types as t
print(json.dumps({n: {"all": sorted(getattr(t, n).__annotations__.keys() | getattr(t, n).__required_keys__ | getattr(t, n).__optional_keys__), "required": sorted(getattr(t, n).__required_keys__)} for n in ${JSON.stringify(TYPED)}}))`;
    const run = await python(['-c', script]);
    expect(run.code, run.stderr).toBe(0);
    const fromSchema = (s: z.core.$ZodType, io: 'input' | 'output') => {
      const j = z.toJSONSchema(s, { io, unrepresentable: 'any', reused: 'inline' }) as { properties?: object; required?: string[]; $defs?: Record<string, { properties: object; required?: string[] }> };
      const root = j.properties ? j : Object.values(j.$defs ?? {})[0]!;
      return { all: Object.keys(root.properties ?? {}).sort(), required: [...(root.required ?? [])].sort() };
    };
    expect(JSON.parse(run.stdout)).toEqual({
      Prediction: fromSchema(Prediction, 'input'),
      RegressionPrediction: fromSchema(RegressionPrediction, 'input'),
      MultilabelPrediction: fromSchema(MultilabelPrediction, 'input'),
      FusionRequest: fromSchema(FusionRequest, 'input'),
      FusionResponse: fromSchema(FusionResponse, 'output'),
      Problem: fromSchema(Problem, 'output'),
      Feedback: fromSchema(Feedback, 'input'),
      FeedbackAccepted: fromSchema(FeedbackAccepted, 'output'),
      RegressionRequest: fromSchema(RegressionRequest, 'input'),
      MultilabelRequest: fromSchema(MultilabelRequest, 'input'),
      RegressionItem: fromSchema(RegressionItem, 'input'),
      MultilabelItem: fromSchema(MultilabelItem, 'input'),
      RegressionResponse: fromSchema(RegressionResponse, 'output'),
      MultilabelResponse: fromSchema(MultilabelResponse, 'output'),
    });
  });

  it('should type each request\'s and answer\'s task as the schema\'s literal, and fuse and fuse_batch with one overload per task', async () => {
    const script = `
import json, typing, late_fusion_client as lf, late_fusion_client.types as t
task = {n: list(typing.get_args(typing.get_type_hints(getattr(t, n))["task"])) for n in ${JSON.stringify(TASKED)}}
# typing.get_overloads: Python 3.11+ (Debian 12's python3, which CI installs)
hints = lambda f: [{k: str(v) for k, v in typing.get_type_hints(o).items() if k != "strategy"} for o in typing.get_overloads(f)]
print(json.dumps({"task": task, "fuse": hints(lf.FusionClient.fuse), "fuse_batch": hints(lf.FusionClient.fuse_batch)}))`;
    const run = await python(['-c', script]);
    expect(run.code, run.stderr).toBe(0);
    const literal = (s: z.core.$ZodType) => {
      type Task = { properties?: { task: { const?: string; enum?: string[] } } };
      const j = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', reused: 'inline' }) as unknown as Task & { $defs?: Record<string, Task> };
      const task = (j.properties ? j : Object.values(j.$defs ?? {})[0]!).properties!.task;
      return task.enum ?? [task.const];
    };
    const out = JSON.parse(run.stdout) as { task: Record<string, string[]>; fuse: Record<string, string>[]; fuse_batch: Record<string, string>[] };
    expect(out.task).toEqual({
      FusionRequest: literal(FusionRequest),
      RegressionRequest: literal(RegressionRequest),
      MultilabelRequest: literal(MultilabelRequest),
      RegressionItem: literal(RegressionItem),
      MultilabelItem: literal(MultilabelItem),
      RegressionResponse: ['regression'],
      MultilabelResponse: ['multilabel'],
    });
    const t = (n: string) => `<class 'late_fusion_client.types.${n}'>`;
    expect(out.fuse).toEqual([
      { request: t('RegressionRequest'), return: t('RegressionResponse') },
      { request: t('MultilabelRequest'), return: t('MultilabelResponse') },
      { request: t('FusionRequest'), return: t('FusionResponse') },
    ]);
    expect(out.fuse_batch.map((o) => o.return)).toEqual(['RegressionResponse', 'MultilabelResponse', 'FusionResponse'].map((n) => `typing.List[late_fusion_client.types.${n}]`));
    expect(out.fuse_batch.map((o) => o.defaults)).toEqual([t('RegressionRequest'), t('MultilabelRequest'), `typing.Optional[late_fusion_client.types.FusionRequest]`]);
  });
});
