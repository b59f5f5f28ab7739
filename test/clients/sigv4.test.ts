import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signRequest } from '@late-fusion/client';
import { python } from './python.js';

interface Vectors {
  credentials: { access_key: string; secret_key: string };
  region: string;
  service: string;
  date: string;
  vectors: { name: string; method: string; url: string; authorization: string }[];
}
const SUITE = JSON.parse(readFileSync(join(import.meta.dirname, 'sigv4-vectors.json'), 'utf8')) as Vectors;
const CREDS = { accessKeyId: SUITE.credentials.access_key, secretAccessKey: SUITE.credentials.secret_key };
const DATE = new Date(SUITE.date);

/** Requests as the clients send them to API Gateway. */
const REQUESTS = [
  { method: 'POST', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/fuse/average', body: '{"profile":"sentiment","predictions":{"text":{"probabilities":[0.1,0.2,0.7]}}}' },
  { method: 'PUT', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1/joins/sentiment/clip%3A42.a_b-c/audio', body: '{"label":"positive","confidence":0.6}' },
  { method: 'GET', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/joins/sentiment/clip-42' },
  { method: 'GET', url: 'https://api.example.com/v1/strategies?b=2&a=1&a=0', token: 'FQoGZXIvYXdzEXAMPLE//session+token=' },
];

/** Signs each request with the Python client (botocore), at the suite's fixed time. */
async function signWithPython(requests: { method: string; url: string; body?: string; token?: string; bare?: boolean }[], region: string, service: string): Promise<Record<string, string>[]> {
  const script = `
import datetime, json, sys
from late_fusion_client import sign_request
now = datetime.datetime(2015, 8, 30, 12, 36, 0, tzinfo=datetime.timezone.utc)
out = []
for r in json.load(sys.stdin):
    creds = {"access_key": "${CREDS.accessKeyId}", "secret_key": "${CREDS.secretAccessKey}", "token": r.get("token")}
    headers = {} if r.get("bare") else {"Accept": "application/json"}
    if r.get("body") is not None:
        headers["Content-Type"] = "application/json"
    body = r["body"].encode() if r.get("body") is not None else None
    out.append({k.lower(): v for k, v in sign_request(r["method"], r["url"], headers, body, creds, "${region}", "${service}", now).items()})
print(json.dumps(out))`;
  const run = await python(['-c', script], { stdin: JSON.stringify(requests) });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, string>[];
}

describe('SigV4: the TypeScript client, the Python client (botocore) and the AWS test suite agree', () => {
  it.each(SUITE.vectors)('should give the documented Authorization header for $name', async (v) => {
    const headers = await signRequest({ method: v.method, url: v.url, headers: {} }, { credentials: CREDS, region: SUITE.region, service: SUITE.service, date: DATE });
    expect(headers.authorization).toBe(v.authorization);
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('should give the documented headers from Python too', async () => {
    const py = await signWithPython(SUITE.vectors.map((v) => ({ method: v.method, url: v.url, bare: true })), SUITE.region, SUITE.service);
    expect(py.map((h) => h.authorization)).toEqual(SUITE.vectors.map((v) => v.authorization));
  });

  it('should sign API requests (bodies, stage paths, escaped join ids, repeated query keys, session tokens) identically in both clients', async () => {
    const py = await signWithPython(REQUESTS, 'eu-west-1', 'execute-api');
    for (const [i, r] of REQUESTS.entries()) {
      const headers: Record<string, string> = { accept: 'application/json', ...(r.body ? { 'content-type': 'application/json' } : {}) };
      const credentials = r.token ? { ...CREDS, sessionToken: r.token } : CREDS;
      const ts = await signRequest({ method: r.method, url: r.url, headers, body: r.body }, { credentials, region: 'eu-west-1', date: DATE });
      expect(ts.authorization, r.url).toBe(py[i]!.authorization);
      expect(ts['x-amz-security-token']).toBe(py[i]!['x-amz-security-token']);
    }
    // and the signature covers the body: another body, another signature
    const other = await signRequest({ method: 'POST', url: REQUESTS[0]!.url, headers: { accept: 'application/json', 'content-type': 'application/json' }, body: '{}' }, { credentials: CREDS, region: 'eu-west-1', date: DATE });
    expect(other.authorization).not.toBe(py[0]!.authorization);
  });
});
