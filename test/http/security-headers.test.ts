/**
 * The fixed security headers (functions/http/middleware.ts) on every kind of answer: exactly the
 * six a JSON API needs, in the order @middy/http-security-headers wrote them, and none of the
 * HTML-page headers.
 */
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { handler as average } from '../../functions/http/entries/average.js';
import { handler as meta } from '../../functions/http/entries/meta.js';
import { context, eventV2 } from './events.js';

const EXPECTED = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
];
const request = { classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.2, 0.8] } } };

describe('security headers', () => {
  it('should send exactly the six security headers, after the content type, on answers and problems alike', async () => {
    const answers = {
      fused: await average(eventV2('POST', '/v1/fuse/average', request), context()),
      invalid: await average(eventV2('POST', '/v1/fuse/average', '{'), context()),
      method: await average(eventV2('GET', '/v1/fuse/average'), context()),
      health: await meta(eventV2('GET', '/v1/health'), context('late-fusion-meta')),
      unknown: await meta(eventV2('GET', '/nowhere'), context('late-fusion-meta')),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, r.statusCode]))).toEqual({ fused: 200, invalid: 400, method: 405, health: 200, unknown: 404 });
    for (const [name, r] of Object.entries(answers)) {
      const security = Object.entries(r.headers).filter(([h]) => !['Content-Type', 'Allow', 'x-fusion-decision-id'].includes(h));
      expect(security, name).toEqual(EXPECTED);
      expect(Object.keys(r.headers)[0], name).toBe('Content-Type');
    }
    expect(answers.fused.headers['x-fusion-decision-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
