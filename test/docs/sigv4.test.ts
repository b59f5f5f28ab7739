/**
 * The SigV4 examples of docs/deploy.md sign requests API Gateway accepts: the TypeScript
 * (examples/sigv4/fuse.ts, type-checked by `npm run check`), Python (examples/sigv4/fuse.py,
 * botocore) and `curl --aws-sigv4` versions each call a stub API on 127.0.0.1 that recomputes
 * the signature from what it received, with the same secret, and answers 403 unless it matches.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellCommands } from './commands.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const deployMd = readFileSync(resolve(root, 'docs/deploy.md'), 'utf8');
const REGION = 'eu-west-1';
const KEYS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', AWS_SESSION_TOKEN: 'session-token-example' };

let server: Server;
let apiUrl = '';
const seen: { path: string; valid: boolean; body: string }[] = [];

async function verify(req: IncomingMessage, body: string, port: number): Promise<boolean> {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
  if (!auth) return false;
  const [, keyId, , region, service, signedHeaders, signature] = auth as unknown as string[];
  if (keyId !== KEYS.AWS_ACCESS_KEY_ID || region !== REGION || service !== 'execute-api') return false;
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(';')) headers[name] = String(req.headers[name] ?? '');
  const date = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(headers['x-amz-date'] ?? '');
  if (!date) return false;
  const signingDate = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!));
  const signer = new SignatureV4({
    service: 'execute-api',
    region: REGION,
    credentials: { accessKeyId: KEYS.AWS_ACCESS_KEY_ID, secretAccessKey: KEYS.AWS_SECRET_ACCESS_KEY, ...(headers['x-amz-security-token'] ? { sessionToken: KEYS.AWS_SESSION_TOKEN } : {}) },
    sha256: Sha256,
    // The AWS SDK sends and signs x-amz-content-sha256; botocore and curl do not.
    applyChecksum: 'x-amz-content-sha256' in headers,
  });
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const expected = await signer.sign(
    { method: req.method ?? 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body },
    { signingDate },
  );
  return String(expected.headers.authorization).endsWith(`Signature=${signature}`);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      const valid = await verify(req, body, (server.address() as AddressInfo).port).catch(() => false);
      seen.push({ path: req.url ?? '', valid, body });
      res.writeHead(valid ? 200 : 403, { 'content-type': 'application/json' });
      res.end(valid ? JSON.stringify({ strategy: 'average', label: 'positive' }) : '{"message":"Forbidden"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The environment a caller's shell has: region, keys, and the stack's ApiUrl. */
const callerEnv = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, AWS_REGION: REGION, FUSION_API_URL: apiUrl, ...KEYS });

describe('calling the IAM-authenticated API (docs/deploy.md)', () => {
  it('should show examples/sigv4/fuse.ts and fuse.py in the guide exactly as the files are', () => {
    for (const [lang, file] of [['ts', 'fuse.ts'], ['python', 'fuse.py']] as const) {
      const code = readFileSync(resolve(root, 'examples/sigv4', file), 'utf8');
      expect(deployMd, `docs/deploy.md should quote examples/sigv4/${file} in a \`\`\`${lang} block`).toContain(`\`\`\`${lang}\n${code}\`\`\``);
    }
  });

  it('should refuse an unsigned request and a wrong key: the stub checks signatures', async () => {
    const unsigned = await fetch(new URL('v1/fuse/average', apiUrl), { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(403);
    const { fuse } = await import('../../examples/sigv4/fuse.js');
    const saved = { ...process.env };
    Object.assign(process.env, { ...KEYS, AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    try {
      await expect(fuse(apiUrl, 'average', {})).rejects.toThrow(/^403 /);
    } finally {
      process.env = saved;
    }
  });

  it('should accept the TypeScript example', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', resolve(root, 'examples/sigv4/fuse.ts')], { env: callerEnv(), cwd: root, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ strategy: 'average', label: 'positive' });
    expect(seen.at(-1)).toMatchObject({ path: '/v1/fuse/average', valid: true });
  });

  it('should accept the Python example (botocore SigV4Auth)', async () => {
    const { stdout } = await run('python3', [resolve(root, 'examples/sigv4/fuse.py')], { env: callerEnv(), timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ strategy: 'average', label: 'positive' });
    expect(seen.at(-1)).toMatchObject({ path: '/v1/fuse/average', valid: true });
  });

  it('should accept the curl --aws-sigv4 one-liner, with temporary credentials and with long-term keys', async () => {
    const curl = shellCommands(deployMd).filter((c) => c.startsWith('curl') && c.includes('--aws-sigv4'));
    expect(curl).toHaveLength(1);
    for (const token of [KEYS.AWS_SESSION_TOKEN, '']) {
      const { stdout } = await run('bash', ['-c', curl[0]!], { env: { ...callerEnv(), AWS_SESSION_TOKEN: token }, timeout: 30_000 });
      expect(JSON.parse(stdout), `AWS_SESSION_TOKEN="${token}"`).toEqual({ strategy: 'average', label: 'positive' });
      expect(seen.at(-1)).toMatchObject({ path: '/v1/fuse/average', valid: true });
    }
  });
});
