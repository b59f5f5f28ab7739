/**
 * The OpenAPI operations of the join routes, for `functions/http/openapi.ts`.
 */
import * as z from 'zod/mini';
import { problem } from '../fusion/problem.js';
import { Prediction } from '../fusion/schemas.js';
import { MultilabelPrediction } from '../fusion/tasks/multilabel.js';
import { RegressionPrediction } from '../fusion/tasks/regression.js';
import { JOIN_ID, JOIN_LIMITS } from '../fusion/join/schema.js';
import { DECISION_ID_PARAMETER, DECISION_ID_RESPONSE_HEADERS } from '../http/openapi-decision-id.js';

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
/** A JSON Schema nested in the document: the document states the dialect once. */
const withoutDialect = ({ $schema: _dialect, ...schema }: Record<string, unknown>) => schema;

const param = (name: string, description: string, pattern: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', pattern } });
const PARAMS = [
  param('profile', 'A stored profile with a `join` section.', '^[A-Za-z0-9._-]{1,128}$'),
  param('joinId', `The item being decided: 1 to ${JOIN_LIMITS.maxJoinId} characters of letters, digits, ".", "_", ":" or "-".`, JOIN_ID.source),
];
const MODALITY = param('modality', "One of the profile's modalities.", '^.{1,128}$');

const pending = {
  type: 'object',
  required: ['state', 'joinId', 'profile', 'arrived', 'missing', 'openedAt', 'deadline'],
  properties: {
    state: { const: 'pending' },
    joinId: { type: 'string' },
    profile: { type: 'string' },
    arrived: { type: 'array', items: { type: 'string' } },
    missing: { type: 'array', items: { type: 'string' } },
    openedAt: { type: 'string', format: 'date-time' },
    deadline: { type: 'string', format: 'date-time' },
  },
};
const times = { type: 'object', additionalProperties: { type: 'object', properties: { arrivedAt: { type: 'string', format: 'date-time' }, latenessMs: { type: 'number' } } } };
const decided = {
  allOf: [
    ref('TaskResponse'),
    {
      type: 'object',
      required: ['state', 'joinId', 'trigger', 'decidedAt', 'arrivals'],
      properties: { state: { const: 'decided' }, joinId: { type: 'string' }, trigger: { enum: ['complete', 'window'] }, decidedAt: { type: 'string', format: 'date-time' }, arrivals: times, late: { type: 'array', items: { type: 'string' } } },
    },
  ],
};
const insufficient = {
  type: 'object',
  required: ['state', 'joinId', 'profile', 'trigger', 'decidedAt', 'arrived', 'missing', 'problem'],
  properties: {
    state: { const: 'insufficient' },
    joinId: { type: 'string' },
    decisionId: { type: 'string', description: "The join's decision id: its joinId." },
    profile: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } },
    trigger: { const: 'window' },
    decidedAt: { type: 'string', format: 'date-time' },
    arrived: { type: 'array', items: { type: 'string' } },
    missing: { type: 'array', items: { type: 'string' } },
    arrivals: times,
    problem: ref('Problem'),
  },
};

const conflict = {
  description: 'The modality already arrived with another body (`join-conflict`), or it arrived after the outcome (`join-closed`, with `outcomeId`; the prediction is kept, the outcome never changes).',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
          outcomeId: { type: 'string', description: 'join-closed: the id of the outcome (the join id).' },
          outcome: { enum: ['decided', 'insufficient'] },
        },
      },
      example: { ...problem('join-closed', 'Join "clip-7" of profile "sentiment" is closed: its outcome (decided, trigger window, id "clip-7") was decided at 2026-12-01T12:00:30.000Z. This prediction is kept but does not change it.'), outcomeId: 'clip-7', outcome: 'decided' },
    },
  },
};

/** The operation of a join route. */
export function joinOperation(method: string): Record<string, unknown> {
  if (method === 'GET')
    return {
      operationId: 'getJoin',
      tags: ['joins'],
      summary: "A join's state: pending, decided or insufficient",
      parameters: [...PARAMS, DECISION_ID_PARAMETER],
      responses: {
        '200': { description: 'The pending state, or the outcome.', headers: DECISION_ID_RESPONSE_HEADERS, content: { 'application/json': { schema: { oneOf: [pending, decided, insufficient] } } } },
        '400': { $ref: '#/components/responses/BadRequest' },
        '404': { $ref: '#/components/responses/NotFound' },
        '503': { $ref: '#/components/responses/Unavailable' },
      },
    };
  return {
    operationId: 'putJoinArrival',
    tags: ['joins'],
    summary: "One modality's prediction for a join",
    description: 'Opens the join on the first arrival; decides it when every modality is in, or at the deadline with the quorum. A repeated PUT with the same body is answered with the current state.',
    parameters: [...PARAMS, MODALITY, DECISION_ID_PARAMETER],
    requestBody: {
      required: true,
      description: "A prediction of the profile's task: classification (`probabilities`, `logits` or `label`), regression (`value`, `std`) or multi-label (`scores`).",
      content: {
        'application/json': {
          schema: { anyOf: [Prediction, RegressionPrediction, MultilabelPrediction].map((s) => withoutDialect(z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any' }))) },
          examples: {
            classification: { value: { probabilities: [0.1, 0.2, 0.7] } },
            regression: { value: { value: 1.8, std: 0.5 } },
            multilabel: { value: { scores: [0.9, 0.2, 0.7] } },
          },
        },
      },
    },
    responses: {
      '200': { description: 'This arrival completed the join (or repeats one of a decided join): the decision.', headers: DECISION_ID_RESPONSE_HEADERS, content: { 'application/json': { schema: { oneOf: [decided, insufficient] } } } },
      '202': { description: 'The join is pending.', headers: DECISION_ID_RESPONSE_HEADERS, content: { 'application/json': { schema: pending } } },
      '400': { $ref: '#/components/responses/BadRequest' },
      '404': { $ref: '#/components/responses/NotFound' },
      '409': conflict,
      '413': { $ref: '#/components/responses/PayloadTooLarge' },
      '415': { $ref: '#/components/responses/UnsupportedMediaType' },
      '503': { $ref: '#/components/responses/Unavailable' },
    },
  };
}
