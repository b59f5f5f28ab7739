/**
 * The OpenAPI 3.1 document of the API, generated from the routing table, the strategy registry
 * and the contract's zod schemas (JSON Schema draft 2020-12, which OpenAPI 3.1 uses). Response
 * examples are computed by running each strategy on the request examples.
 */
import * as z from 'zod/mini';
import pkg from '../../package.json' with { type: 'json' };
import { FusionResponse, MultilabelBatch, MultilabelResponse, Problem, RegressionBatch, RegressionResponse, TaskBatch, TaskBatchResponse, TaskRequest, TaskResponse } from '../fusion/contract.js';
import { FusionError } from '../fusion/errors.js';
import { fuseAny } from '../fusion/fuse.js';
import { problem, toProblem } from '../fusion/problem.js';
import { STRATEGIES, type StrategyName } from '../fusion/registry.js';
import type { Strategy } from '../fusion/strategy.js';
import { FusionBatch, FusionRequest, LIMITS } from '../fusion/schemas.js';
import { MultilabelRequest, RegressionRequest, tasksOf } from '../fusion/tasks/index.js';
import { DEFAULT_MAX_BODY_BYTES } from './config.js';
import { profileNotFound } from '../store/validate.js';
import { ROUTES } from './routes.js';
import { joinOperation } from '../joins/openapi.js';
import { Feedback, FeedbackAccepted } from '../fusion/loop/feedback.js';
import { DECISION_ID_COMPONENTS, DECISION_ID_PARAMETER, DECISION_ID_RESPONSE_HEADERS } from './openapi-decision-id.js';

/** One strategy as `GET /v1/strategies` lists it. */
export const StrategyInfo = z.object({
  name: z.string(),
  description: z.string(),
  weighted: z.boolean(),
  parameters: z.array(z.string()),
  reference: z.string(),
  tasks: z.array(z.enum(['classification', 'regression', 'multilabel'])),
});
export type StrategyInfo = z.infer<typeof StrategyInfo>;

/** `GET /v1/strategies`. */
export const StrategyList = z.object({ strategies: z.array(StrategyInfo) });
/** `GET /v1/health`. */
export const Health = z.object({ status: z.literal('ok'), strategies: z.array(z.string()) });

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function componentSchemas(): Record<string, Record<string, unknown>> {
  const registry = z.registry<{ id: string }>();
  const schemas = {
    TaskRequest, TaskBatch, TaskResponse, RegressionRequest, RegressionBatch, RegressionResponse, MultilabelRequest, MultilabelBatch, MultilabelResponse,
    // A batch's answer holds answers of its task: the one BatchResponse covers all three.
    FusionRequest, FusionBatch, FusionResponse, BatchResponse: TaskBatchResponse, Problem, StrategyInfo, StrategyList, Health, Feedback, FeedbackAccepted };
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, { target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}` }).schemas;
  const clean: Record<string, Record<string, unknown>> = {};
  for (const [id, { $id: _id, $schema: _schema, ...schema }] of Object.entries(out)) clean[id] = schema;
  // Batch items are fusion requests; the core validates each item with FusionRequest.
  // The classification branch's `task` is optional (the default), which a validator cannot use
  // to tell `oneOf` branches apart; the branches are exclusive by their `task` constants, so
  // `anyOf` states the same union.
  for (const id of ['TaskRequest', 'TaskBatch']) {
    const { oneOf, ...rest } = clean[id]!;
    clean[id] = { ...rest, anyOf: oneOf };
  }
  // The schema's two "exactly one of" rules (zod refinements, which JSON Schema output leaves out).
  const one = (...names: string[]) => ({ oneOf: names.map((n) => ({ required: [n] })) });
  clean.Feedback!.allOf = [one('decisionId', 'joinId'), one('label', 'value', 'labels')];
  for (const [batch, item] of [['FusionBatch', 'FusionRequest'], ['RegressionBatch', 'RegressionRequest'], ['MultilabelBatch', 'MultilabelRequest']])
    ((clean[batch!]!.properties as Record<string, Record<string, unknown>>).items!).items = ref(item!);
  return clean;
}

const single = (z.globalRegistry.get(FusionRequest)?.examples as unknown[])[0];
const batch = {
  classes: ['negative', 'neutral', 'positive'],
  weights: { text: 0.6, audio: 0.4 },
  items: [
    { id: 'clip-1', predictions: { text: { probabilities: [0.1, 0.2, 0.7] }, audio: { logits: [0.2, 0.1, 1.4] } } },
    { id: 'clip-2', predictions: { text: { label: 'negative', confidence: 0.9 } }, modalities: ['text', 'audio'] },
  ],
};
const regression = {
  task: 'regression',
  predictions: { text: { value: 1.8, std: 0.5 }, audio: { value: 0.9, std: 1.2 }, video: { value: 1.1, std: 0.8 } },
  weights: { text: 0.5, audio: 0.2, video: 0.3 },
};
const multilabel = (z.globalRegistry.get(MultilabelRequest)?.examples as unknown[])[0];
/** A request using the stored "sentiment" profile (also the curl example `fusion serve` prints). */
export const PROFILE_EXAMPLE = {
  profile: 'sentiment',
  predictions: { text: { probabilities: [0.1, 0.2, 0.7] }, video: { probabilities: [0.2, 0.5, 0.3] }, audio: { label: 'positive', confidence: 0.6 } },
};

const problemExamples = {
  'invalid-json': problem('invalid-json', "The body is not valid JSON: Expected ',' or '}' after property value in JSON at position 41."),
  'invalid-request': problem('invalid-request', 'predictions.text.probabilities: probabilities has 2 values but there are 3 classes; give one per class, in the order of classes', [
    { path: 'predictions.text.probabilities', message: 'probabilities has 2 values but there are 3 classes; give one per class, in the order of classes' },
  ]),
  'not-found': toProblem(profileNotFound('sentimnet')),
  'method-not-allowed': problem('method-not-allowed', 'GET is not allowed on /v1/fuse/average. Allowed: POST.'),
  'payload-too-large': problem('payload-too-large', `The body has 2097152 bytes; the limit is ${DEFAULT_MAX_BODY_BYTES} (FUSION_MAX_BODY_BYTES). Split a large batch into several requests.`),
  'unsupported-media-type': problem('unsupported-media-type', 'Send the body as JSON with the header "Content-Type: application/json" (got "text/plain").'),
  'insufficient-modalities': problem('insufficient-modalities', 'Insufficient modalities: 2 needed but 1 present (text); missing: video, audio.', [
    { path: 'predictions', message: 'send at least 2 modalities; missing: video, audio' },
  ]),
  unavailable: problem('unavailable', 'Profile "sentiment" (profiles/sentiment.json) cannot be loaded: the store did not answer in time, and no earlier version is cached.'),
};
type ProblemCode = keyof typeof problemExamples;

const problemResponse = (code: ProblemCode, description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem'), example: problemExamples[code] } },
});

const ERRORS = {
  BadRequest: problemResponse('invalid-request', 'Invalid JSON (type `invalid-json`) or an invalid request (type `invalid-request`, every field error with its path).'),
  NotFound: problemResponse('not-found', 'Unknown route, strategy or profile; the detail lists the valid ones.'),
  MethodNotAllowed: problemResponse('method-not-allowed', 'The route does not serve this method; the `Allow` header lists those it does.'),
  PayloadTooLarge: problemResponse('payload-too-large', `The body is over FUSION_MAX_BODY_BYTES (default ${DEFAULT_MAX_BODY_BYTES} bytes).`),
  UnsupportedMediaType: problemResponse('unsupported-media-type', 'The body is not sent as uncompressed UTF-8 JSON (Content-Type application/json, no Content-Encoding).'),
  InsufficientModalities: problemResponse('insufficient-modalities', 'Fewer modalities present than options.minModalities.'),
  Unavailable: problemResponse('unavailable', 'A profile or model the request needs cannot be loaded from the store and nothing is cached.'),
};

/** The strategy's answers to the inline examples (none for a strategy that needs a stored profile). */
function answers(s: Strategy): Record<string, { summary: string; value: unknown }> {
  const out: Record<string, { summary: string; value: unknown }> = {};
  for (const [key, value] of Object.entries({ single, batch, regression, multilabel })) {
    try {
      out[key] = { summary: `Answer to the ${key} example`, value: fuseAny(s, value) };
    } catch (e) {
      if (!(e instanceof FusionError)) throw e;
    }
  }
  return out;
}

function fuseOperation(name: StrategyName) {
  const s = STRATEGIES[name];
  return {
    operationId: `fuse_${name}`,
    tags: ['fusion'],
    summary: `Fuse with the ${name} rule`,
    description: `${s.description}\n\nReads: ${s.parameters.join(', ')}.${s.weighted ? '' : ' Weights do not change the result (responses say "weighted": false).'}\n\nReference: ${s.reference}.\n\nA body with "items" is a batch (at most ${LIMITS.maxBatchItems} items); its other fields are defaults each item may override.`,
    parameters: [DECISION_ID_PARAMETER],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: { oneOf: [ref('TaskRequest'), ref('TaskBatch')] },
          examples: {
            single: { summary: 'One decision from four modalities', value: single },
            regression: { summary: 'A regression request: one value from three modalities', value: regression },
            multilabel: { summary: 'A multi-label request: a probability per label from two modalities', value: multilabel },
            batch: { summary: 'A batch of two decisions sharing classes and weights', value: batch },
            profile: { summary: 'Defaults from the stored "sentiment" profile', value: PROFILE_EXAMPLE },
          },
        },
      },
    },
    responses: {
      '200': {
        description: 'The fused decision, or `{"results": [...]}` for a batch, in item order.',
        headers: DECISION_ID_RESPONSE_HEADERS,
        content: {
          'application/json': {
            schema: { oneOf: [ref('TaskResponse'), ref('BatchResponse')] },
            examples: answers(s),
          },
        },
      },
      '400': { $ref: '#/components/responses/BadRequest' },
      '404': { $ref: '#/components/responses/NotFound' },
      '405': { $ref: '#/components/responses/MethodNotAllowed' },
      '413': { $ref: '#/components/responses/PayloadTooLarge' },
      '415': { $ref: '#/components/responses/UnsupportedMediaType' },
      '422': { $ref: '#/components/responses/InsufficientModalities' },
      '503': { $ref: '#/components/responses/Unavailable' },
    },
  };
}

const feedbackOperation = () => ({
  operationId: 'feedback',
  tags: ['loop'],
  summary: 'The true outcome of an earlier decision or join',
  description:
    'Give exactly one id (`decisionId` from a fusion response, or `joinId`) and exactly one outcome: `label` (classification), `value` (regression) or `labels` (multi-label). Where the decision log is readable (the local server) the outcome must fit the decision\'s task (`checked: "decision"`); otherwise only the body\'s own rules are checked (`checked: "schema"`). Idempotent per id and `source` (default "default"): posting again answers 202 again and `fusion dataset` counts the latest line once.',
  requestBody: { required: true, content: { 'application/json': { schema: ref('Feedback'), example: (z.globalRegistry.get(Feedback)?.examples as unknown[])[0] } } },
  responses: {
    '202': { description: 'Stored (or stored again).', content: { 'application/json': { schema: ref('FeedbackAccepted'), example: (z.globalRegistry.get(FeedbackAccepted)?.examples as unknown[])[0] } } },
    '400': { $ref: '#/components/responses/BadRequest' },
    '405': { $ref: '#/components/responses/MethodNotAllowed' },
    '413': { $ref: '#/components/responses/PayloadTooLarge' },
    '415': { $ref: '#/components/responses/UnsupportedMediaType' },
    '503': {
      description: 'The feedback stream (or local file) did not take the feedback; retry after `Retry-After` seconds (safe: feedback is idempotent).',
      headers: { 'Retry-After': { schema: { type: 'integer' } } },
      content: { 'application/problem+json': { schema: ref('Problem') } },
    },
  },
});

/** What `GET /v1/strategies` answers, from the registry. */
export function strategyList(): z.infer<typeof StrategyList> {
  return {
    strategies: Object.values(STRATEGIES).map((s) => ({ name: s.name, description: s.description, weighted: s.weighted, parameters: s.parameters, reference: s.reference, tasks: [...tasksOf(s)] })),
  };
}

function getOperation(id: string, summary: string, schema: string, example: unknown) {
  return {
    operationId: id,
    tags: ['meta'],
    summary,
    responses: {
      '200': { description: summary, content: { 'application/json': { schema: ref(schema), example } } },
      '405': { $ref: '#/components/responses/MethodNotAllowed' },
    },
  };
}

/** Builds the OpenAPI 3.1 document. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const health = { status: 'ok', strategies: Object.keys(STRATEGIES) };
  const meta: Record<string, () => unknown> = {
    '/v1/strategies': () => getOperation('listStrategies', 'The fusion strategies, their parameters and references', 'StrategyList', strategyList()),
    '/v1/health': () => getOperation('health', 'Liveness: the service answers and lists its strategies', 'Health', health),
    '/v1/openapi.json': () => ({
      operationId: 'openapi',
      tags: ['meta'],
      summary: 'This OpenAPI 3.1 document',
      responses: {
        '200': { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } },
        '405': { $ref: '#/components/responses/MethodNotAllowed' },
      },
    }),
  };
  for (const route of ROUTES) {
    const op = route.entry === 'joins' ? joinOperation(route.method) : route.entry === 'feedback' ? feedbackOperation() : route.method === 'POST' ? fuseOperation(route.entry as StrategyName) : meta[route.path]!();
    (paths[route.path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Late fusion API',
      version: pkg.version,
      summary: 'Decision-level fusion of independent modality models’ predictions.',
      description: pkg.description,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'Local server (npm start)' }],
    security: [{ sigv4: [] }, {}],
    tags: [
      { name: 'fusion', description: 'One route per fusion strategy; each is its own Lambda function.' },
      { name: 'meta', description: 'Strategies, health and this document.' },
      { name: 'joins', description: 'Asynchronous joins: each modality PUTs its own prediction; one decision per item (docs/joins.md).' },
      { name: 'loop', description: 'Label feedback on earlier decisions, for training data from traffic (fusion dataset).' },
    ],
    paths,
    components: {
      schemas: componentSchemas(),
      responses: ERRORS,
      ...DECISION_ID_COMPONENTS,
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (IAM authorisation of the deployed HTTP API). The local server needs none.',
        },
      },
    },
  };
}
