/**
 * Lambda event records exactly as AWS sends them (field for field, from the S3 and SQS
 * documentation's sample events), with the parts a test varies as parameters.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Context, S3Event, S3EventRecord, SQSEvent, SQSRecord } from 'aws-lambda';

/** S3 event keys are URL-encoded with spaces as "+" (like application/x-www-form-urlencoded). */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** An `ObjectCreated:Put` notification for `key` (given decoded; encoded here as S3 does). */
export function s3Event(bucket: string, key: string, etag: string, size = 0): S3Event {
  const record: S3EventRecord = {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: new Date().toISOString(),
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:AIDAINPONIXQXHT3IKHL2' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'batch-input',
      bucket: { name: bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${bucket}` },
      object: { key: encodeEventKey(key), size, eTag: etag.replace(/"/g, ''), sequencer: '0055AED6DCD90281E5' },
    },
  };
  return { Records: [record] };
}

/** One SQS record as the Lambda event source mapping delivers it. */
export function sqsRecord(body: string, attributes: Record<string, string> = {}): SQSRecord {
  const messageId = randomUUID();
  return {
    messageId,
    receiptHandle: `AQEB${Buffer.from(messageId).toString('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([k, v]) => [k, { stringValue: v, stringListValues: [], binaryListValues: [], dataType: 'String' }]),
    ),
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:fusion-requests',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A Lambda context as the runtime passes it. */
export function lambdaContext(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: '2026/11/27/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Parsed JSON under test: assertions check its shape, so it is left loosely typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
