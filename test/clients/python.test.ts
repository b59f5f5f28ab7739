import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { FusionResponse, Problem } from '../../functions/fusion/contract.js';
import { FusionRequest, Prediction } from '../../functions/fusion/schemas.js';
import { Feedback, FeedbackAccepted } from '../../functions/fusion/loop/feedback.js';
import { MultilabelPrediction, RegressionPrediction } from '../../functions/fusion/tasks/index.js';
import { python } from './python.js';
import { JOIN_PROFILE, TASK_JOIN_PROFILES, type ServeProcess, TEST_MAX_BODY_BYTES, serverHasJoins, startServe } from './server.js';

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
    expect(results.length).toBeGreaterThanOrEqual(22);
  });

  it('should type exactly the fields, and the required fields, of the server schemas', async () => {
    const script = `
import json, late_fusion_client.types as t
print(json.dumps({n: {"all": sorted(getattr(t, n).__annotations__.keys() | getattr(t, n).__required_keys__ | getattr(t, n).__optional_keys__), "required": sorted(getattr(t, n).__required_keys__)} for n in ["Prediction", "RegressionPrediction", "MultilabelPrediction", "FusionRequest", "FusionResponse", "Problem", "Feedback", "FeedbackAccepted"]}))`;
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
    });
  });
});
