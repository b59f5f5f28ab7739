import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { ROUTES } from '../../functions/http/routes.js';
import { SIZES } from '../../infra/lib/fusion-function.js';
import { dataBucketId, flat, functionLogicalId, logicalId, nodeFunctions, resources, synth } from './synth.js';

const s = synth();
const fnId = (id: string) => functionLogicalId(s, id);
const bucketId = dataBucketId(s);

describe('bucket', () => {
  it('is versioned, encrypted, private, TLS-only and logs access', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'data/' },
    });
    for (const [, p] of resources(s.json, 'AWS::S3::BucketPolicy'))
      expect((p.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
  });

  it('expires batch outputs and never expires profiles or models', () => {
    const data = s.json.Resources[bucketId]!.Properties!;
    const rules = (data.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'batch/out/', ExpirationInDays: 30, Status: 'Enabled' }));
    for (const rule of rules.filter((r) => r.ExpirationInDays || r.NoncurrentVersionExpiration)) expect(rule.Prefix).toBe('batch/out/');
  });

  it('notifies the batch function for batch/in/*.jsonl, the retraining function for training/*.jsonl, and EventBridge', () => {
    const [[, n]] = resources(s.json, 'Custom::S3BucketNotifications') as [[string, Record<string, unknown>]];
    const config = n.NotificationConfiguration as { LambdaFunctionConfigurations: Record<string, unknown>[]; EventBridgeConfiguration?: object };
    expect(config.EventBridgeConfiguration).toEqual({});
    const configs = config.LambdaFunctionConfigurations;
    const rules = configs.map((c) => ({
      fn: flat(c.LambdaFunctionArn),
      events: c.Events,
      filter: (c.Filter as { Key: { FilterRules: unknown[] } }).Key.FilterRules,
    }));
    expect(rules).toEqual(
      expect.arrayContaining([
        { fn: `<${fnId('S3BatchFunction')}.Arn>`, events: ['s3:ObjectCreated:*'], filter: expect.arrayContaining([{ Name: 'prefix', Value: 'batch/in/' }, { Name: 'suffix', Value: '.jsonl' }]) },
        { fn: `<${fnId('RetrainFunction')}.Arn>`, events: ['s3:ObjectCreated:*'], filter: expect.arrayContaining([{ Name: 'prefix', Value: 'training/' }, { Name: 'suffix', Value: '.jsonl' }]) },
      ]),
    );
    expect(rules).toHaveLength(2);
  });
});

describe('queues', () => {
  const queue = (name: string) => logicalId(s, s.stack.node.findChild('Queues').node.findChild(name));

  it('sends requests that fail 5 times to the dead-letter queue, with visibility 6 × the consumer timeout', () => {
    const requests = s.json.Resources[queue('Requests')]!.Properties!;
    expect(requests.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [queue('DeadLetter'), 'Arn'] }, maxReceiveCount: 5 });
    expect(requests.VisibilityTimeout).toBe(6 * SIZES.queue.timeout.toSeconds());
    expect(s.json.Resources[fnId('SqsFunction')]!.Properties!.Timeout).toBe(SIZES.queue.timeout.toSeconds());
  });

  it('consumes the request queue with partial batch failures reported', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue('Requests'), 'Arn'] },
      FunctionName: { Ref: fnId('SqsFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('encrypts every queue and refuses plain HTTP', () => {
    const queues = resources(s.json, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(6);
    for (const [, q] of queues) expect(q.SqsManagedSseEnabled).toBe(true);
    const policies = resources(s.json, 'AWS::SQS::QueuePolicy');
    for (const [id] of queues)
      expect(
        policies.some(([, p]) =>
          (p.Queues as unknown[]).map(flat).includes(`<${id}>`) &&
          JSON.stringify(p.PolicyDocument).includes('"aws:SecureTransport":"false"'),
        ),
        id,
      ).toBe(true);
  });

  it('sends failed asynchronous invocations of the S3-triggered functions to the failed-events queue', () => {
    for (const id of ['S3BatchFunction', 'RetrainFunction'])
      s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId(id) },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue('FailedEvents'), 'Arn'] } } },
      });
  });
});

describe('large batches', () => {
  const [[smId, sm]] = resources(s.json, 'AWS::StepFunctions::StateMachine') as [[string, Record<string, unknown>]];
  const definition = JSON.parse(flat(sm.DefinitionString));

  it('fans a JSONL object out to the batch function with a Distributed Map and writes JSONL results to S3', () => {
    const map = definition.States.FuseFile;
    expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
    expect(map.ItemReader).toMatchObject({ ReaderConfig: { InputType: 'JSONL' }, Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.key' } });
    expect(map.ItemReader.Resource).toMatch(/:states:::s3:getObject$/);
    expect(map.ItemBatcher.BatchInput).toEqual({ 'bucket.$': '$.bucket', 'key.$': '$.key', 'strategy.$': '$.strategy' });
    expect(map.ItemSelector).toEqual({ 'index.$': '$$.Map.Item.Index', 'request.$': '$$.Map.Item.Value' });
    expect(map.ResultWriter).toMatchObject({ Parameters: { Prefix: 'batch/out/large' }, WriterConfig: { OutputType: 'JSONL', Transformation: 'FLATTEN' } });
    expect(map.ItemProcessor.States.FuseLines.Resource).toBe(`<${fnId('S3BatchFunction')}.Arn>`);
  });

  it('accepts only registry strategies, keys under batch/in* and its own bucket', () => {
    const names = definition.States.KnownStrategy.Choices[0].Or.map((c: { StringEquals: string }) => c.StringEquals);
    expect(names).toEqual(STRATEGY_NAMES);
    const [otherBucket, given, fromKey] = definition.States.StrategyNamed.Choices;
    expect(otherBucket).toMatchObject({ Next: 'InvalidInput', And: [{ Variable: '$.bucket', IsPresent: true }, { Not: { StringEquals: `<${bucketId}>` } }] });
    expect(given.And).toContainEqual({ Variable: '$.key', StringMatches: 'batch/in*' });
    expect(fromKey.And).toContainEqual({ Variable: '$.key', StringMatches: 'batch/in-large/*/*' });
    expect(definition.States.StrategyFromKey.Parameters['strategy.$']).toBe("States.ArrayGetItem(States.StringSplit($.key, '/'), 2)");
  });

  it('is started for *.jsonl objects under batch/in-large/, with a dead-letter queue', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { object: { key: [{ wildcard: 'batch/in-large/*.jsonl' }] } } },
      Targets: [Match.objectLike({ Arn: { Ref: smId }, DeadLetterConfig: Match.anyValue() })],
    });
  });

  it('logs every execution event without execution data, and traces', () => {
    expect(sm).toMatchObject({ TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false } });
  });
});

describe('alarms', () => {
  const alarms = resources(s.json, 'AWS::CloudWatch::Alarm').map(([, p]) => ({
    metric: p.MetricName,
    stat: p.ExtendedStatistic ?? p.Statistic,
    threshold: p.Threshold,
    dims: Object.fromEntries(((p.Dimensions ?? []) as { Name: string; Value: unknown }[]).map((d) => [d.Name, flat(d.Value)])),
  }));

  it('watches the 5xx rate and p99 latency of every route', () => {
    for (const route of ROUTES) {
      const dims = { Method: route.method, Resource: route.path, Stage: '$default' };
      expect(alarms).toContainEqual(expect.objectContaining({ metric: '5xx', stat: 'Average', threshold: 0.01, dims: expect.objectContaining(dims) }));
      expect(alarms).toContainEqual(expect.objectContaining({ metric: 'Latency', stat: 'p99', threshold: 1000, dims: expect.objectContaining(dims) }));
    }
  });

  it('watches errors and throttles of every function', () => {
    for (const [id] of nodeFunctions(s.json))
      for (const metric of ['Errors', 'Throttles']) expect(alarms).toContainEqual(expect.objectContaining({ metric, threshold: 0, dims: { FunctionName: `<${id}>` } }));
  });

  it('fires on any dead-lettered message and on an old request', () => {
    const q = (name: string) => `<${logicalId(s, s.stack.node.findChild('Queues').node.findChild(name))}.QueueName>`;
    for (const dlq of ['DeadLetter', 'FailedEvents'])
      expect(alarms).toContainEqual(expect.objectContaining({ metric: 'ApproximateNumberOfMessagesVisible', threshold: 0, dims: { QueueName: q(dlq) } }));
    expect(alarms).toContainEqual(expect.objectContaining({ metric: 'ApproximateAgeOfOldestMessage', threshold: 300, dims: { QueueName: q('Requests') } }));
  });
});

