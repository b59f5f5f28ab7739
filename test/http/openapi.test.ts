import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { FusionResponse } from '../../functions/fusion/contract.js';
import { FusionBatch, FusionRequest } from '../../functions/fusion/schemas.js';
import { STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { openApiDocument } from '../../functions/http/openapi.js';
import { ROUTES } from '../../functions/http/routes.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { examples: Record<string, { value: unknown }> }> }; responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }> }>>;
  components: { schemas: Record<string, unknown> };
};

describe('OpenAPI document', () => {
  const doc = openApiDocument() as unknown as Doc;

  it('should pass the Redocly OpenAPI validator (recommended-strict rules) with zero problems', async () => {
    const config = await createConfig({ extends: ['recommended-strict'] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
    expect(problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
  });

  it('should describe every route of the routing table and every strategy', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const r of ROUTES) expect(doc.paths[r.path]?.[r.method.toLowerCase()], `${r.method} ${r.path}`).toBeDefined();
    for (const name of STRATEGY_NAMES) expect(doc.paths[`/v1/fuse/${name}`]?.post).toBeDefined();
  });

  it('should carry the contract schemas generated from zod', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['FusionRequest', 'FusionBatch', 'FusionResponse', 'BatchResponse', 'Problem']));
    const request = doc.components.schemas.FusionRequest as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(request.properties).sort()).toEqual(Object.keys(FusionRequest.shape).sort());
    expect(request.additionalProperties).toBe(false);
  });

  it('should give request examples the core accepts and response examples the schemas accept', () => {
    const op = doc.paths['/v1/fuse/average']!.post!;
    const requests = op.requestBody!.content['application/json']!.examples;
    expect(Object.keys(requests)).toEqual(['single', 'regression', 'multilabel', 'batch', 'profile']);
    expect(FusionRequest.safeParse(requests.single!.value).success).toBe(true);
    expect(FusionBatch.safeParse(requests.batch!.value).success).toBe(true);
    const answers = op.responses['200']!.content!['application/json']!.examples!;
    expect(FusionResponse.safeParse(answers.single!.value).success).toBe(true);
    expect((answers.batch!.value as { results: unknown[] }).results).toHaveLength(2);
  });
});
