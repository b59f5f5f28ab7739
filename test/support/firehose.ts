/**
 * A small Amazon Data Firehose endpoint on 127.0.0.1 speaking the service's JSON protocol
 * (`X-Amz-Target: Firehose_20150804.PutRecord`, `application/x-amz-json-1.1`), so the real SDK
 * client can be pointed at it (`AWS_ENDPOINT_URL_FIREHOSE`). It keeps the records it takes and
 * can be told to fail the way Firehose does.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the endpoint answers the next `PutRecord` calls. */
export type FirehoseMode = 'ok' | 'unavailable' | 'not-found';

/** One record the endpoint took. */
export interface FirehoseRecord {
  stream: string;
  data: string;
}

/** A running fake Firehose endpoint. */
export interface FakeFirehose {
  url: string;
  records: FirehoseRecord[];
  /** Every call, taken or failed: `[target, stream]`. */
  calls: [string, string][];
  mode: FirehoseMode;
  close(): Promise<void>;
}

const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };

/** Starts the endpoint on an ephemeral port of 127.0.0.1. */
export async function startFirehose(): Promise<FakeFirehose> {
  const fake: FakeFirehose = { url: '', records: [], calls: [], mode: 'ok', close: async () => {} };
  const fail = (res: ServerResponse, status: number, type: string, message: string) => res.writeHead(status, JSON_11).end(JSON.stringify({ __type: type, message }));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: { DeliveryStreamName?: string; Record?: { Data?: string } };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail(res, 400, 'SerializationException', 'not JSON');
      }
      const stream = body.DeliveryStreamName ?? '';
      fake.calls.push([target, stream]);
      if (target !== 'Firehose_20150804.PutRecord') return fail(res, 400, 'UnknownOperationException', target);
      if (fake.mode === 'unavailable') return fail(res, 500, 'ServiceUnavailableException', 'Slow down.');
      if (fake.mode === 'not-found') return fail(res, 400, 'ResourceNotFoundException', `Firehose ${stream} under account 123456789012 not found.`);
      fake.records.push({ stream, data: Buffer.from(body.Record?.Data ?? '', 'base64').toString('utf8') });
      res.writeHead(200, JSON_11).end(JSON.stringify({ RecordId: `r-${fake.records.length}`, Encrypted: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}
