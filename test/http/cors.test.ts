import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.FUSION_CORS_ORIGINS = 'https://app.example.com';
});

import { handler as average } from '../../functions/http/entries/average.js';
import { context, eventV2 } from './events.js';

const REQUEST = { classes: ['a', 'b'], predictions: { x: { probabilities: [0.3, 0.7] } } };

describe('CORS (FUSION_CORS_ORIGINS set)', () => {
  it('should answer a preflight from an allowed origin with 204 and the allowed methods', async () => {
    const r = await average(eventV2('OPTIONS', '/v1/fuse/average', undefined, { origin: 'https://app.example.com', 'access-control-request-method': 'POST' }), context());
    expect(r.statusCode).toBe(204);
    expect(r.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    expect(r.headers['Access-Control-Allow-Methods']).toContain('POST');
  });

  it('should allow the configured origin on answers and problems, and no other origin', async () => {
    const ok = await average(eventV2('POST', '/v1/fuse/average', REQUEST, { origin: 'https://app.example.com' }), context());
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    const problem = await average(eventV2('POST', '/v1/fuse/average', '{', { origin: 'https://app.example.com' }), context());
    expect(problem.statusCode).toBe(400);
    expect(problem.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    const other = await average(eventV2('POST', '/v1/fuse/average', REQUEST, { origin: 'https://evil.example.net' }), context());
    expect(other.headers['Access-Control-Allow-Origin']).toBeUndefined();
  });
});
