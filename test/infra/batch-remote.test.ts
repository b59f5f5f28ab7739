/**
 * `startRemoteBatch` through the real SDK and HTTP: a loopback server stands in for Step
 * Functions' JSON protocol endpoint and records what arrives.
 */
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REMOTE_OUTPUT_PREFIX, startRemoteBatch } from '../../functions/cli/batch-remote.js';
import { InvalidRequestError } from '../../functions/fusion/index.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:LargeBatchStateMachine';
const seen: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
let server: Server;
let client: SFNClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      seen.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:${body.name}`, startDate: 1767225600 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new SFNClient({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

describe('startRemoteBatch', () => {
  it('starts the state machine with {bucket, key, strategy}, SigV4-signed, and says where results go', async () => {
    const started = await startRemoteBatch({ stateMachineArn: ARN, bucket: 'fusion-data', key: 'batch/in-remote/day 1.jsonl', strategy: 'average' }, client);
    const [request] = seen.splice(0);
    expect(request!.headers['x-amz-target']).toBe('AWSStepFunctions.StartExecution');
    expect(request!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/states\/aws4_request/);
    expect(request!.body.stateMachineArn).toBe(ARN);
    expect(JSON.parse(request!.body.input as string)).toEqual({ bucket: 'fusion-data', key: 'batch/in-remote/day 1.jsonl', strategy: 'average' });
    expect(request!.body.name).toMatch(/^average-day-1-[a-z0-9]+$/);
    expect(started).toEqual({
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:LargeBatchStateMachine:${request!.body.name as string}`,
      startDate: new Date(1767225600 * 1000),
      results: `s3://fusion-data/${REMOTE_OUTPUT_PREFIX}/`,
    });
  });

  it('keeps execution names within 80 characters of [A-Za-z0-9_-] and unique per call', async () => {
    const batch = { stateMachineArn: ARN, bucket: 'fusion-data', key: `batch/in-large/vote/${'ü'.repeat(30)}${'x'.repeat(90)}.jsonl`, strategy: 'vote' };
    await startRemoteBatch(batch, client);
    await startRemoteBatch(batch, client);
    const names = seen.splice(0).map((r) => r.body.name as string);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(names[0]).not.toBe(names[1]);
  });

  it('rejects a bad request before calling AWS, naming every field and how to fix it', async () => {
    const attempt = startRemoteBatch({ stateMachineArn: 'LargeBatch', bucket: 'Fusion_Data', key: 'profiles/x.json', strategy: 'mean' }, client);
    await expect(attempt).rejects.toBeInstanceOf(InvalidRequestError);
    const error = (await attempt.catch((e: InvalidRequestError) => e)) as InvalidRequestError;
    expect(error.errors.map((e) => e.path)).toEqual(['stateMachineArn', 'bucket', 'key', 'strategy']);
    expect(error.errors.find((e) => e.path === 'strategy')!.message).toMatch(/average, product, max/);
    expect(seen).toEqual([]);
  });
});
