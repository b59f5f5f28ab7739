import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { handler as meta } from '../../functions/http/entries/meta.js';
import { context, eventV2 } from '../http/events.js';

describe('the OpenAPI document of PUT /v1/joins', () => {
  it('should accept a prediction of each task and answer each task’s decision', async () => {
    const doc = JSON.parse((await meta(eventV2('GET', '/v1/openapi.json'), context())).body!);
    const put = doc.paths['/v1/joins/{profile}/{joinId}/{modality}'].put;
    const body = put.requestBody.content['application/json'];
    const fields = body.schema.anyOf.map((s: { properties: object }) => Object.keys(s.properties));
    expect(fields[0]).toEqual(expect.arrayContaining(['probabilities', 'logits', 'label']));
    expect(fields.slice(1)).toEqual([['value', 'std'], ['scores']]);
    expect(Object.keys(body.examples)).toEqual(['classification', 'regression', 'multilabel']);
    const decided = put.responses['200'].content['application/json'].schema.oneOf[0];
    expect(decided.allOf[0]).toEqual({ $ref: '#/components/schemas/TaskResponse' });
    expect(doc.components.schemas.TaskResponse).toBeDefined();
  });
});
