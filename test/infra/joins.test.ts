import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JOIN_METRIC } from '../../functions/layout.js';
import type { FusionJoins } from '../../infra/lib/joins.js';
import { flat, functionLogicalId, logicalId, resources, statements, synth } from './synth.js';

const s = synth();
const joins = s.stack.node.findChild('Joins') as FusionJoins;
const roleOf = (id: string) => (s.json.Resources[functionLogicalId(s, id)]!.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const tableArn = () => `<${logicalId(s, joins.table)}.Arn>`;

describe('joins infrastructure', () => {
  it('keeps joins in an on-demand, encrypted table with point-in-time recovery and a TTL attribute', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('feeds the timer function from an encrypted timer queue with a dead-letter queue', () => {
    const timers = logicalId(s, joins.timers);
    s.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(s, joins.timerDeadLetter), 'Arn'] }, maxReceiveCount: 5 } });
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [timers, 'Arn'] },
      FunctionName: { Ref: functionLogicalId(s, 'JoinTimerFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gives the functions that take arrivals and the timer only GetItem and PutItem on the table, and sends to their own queues and bus', () => {
    for (const id of ['JoinsFunction', 'SqsFunction', 'JoinTimerFunction']) {
      const st = statements(s.json, roleOf(id));
      const dynamo = st.filter((x) => x.actions.some((a) => a.startsWith('dynamodb:')));
      expect(dynamo.flatMap((x) => x.actions).sort(), id).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
      expect(dynamo.flatMap((x) => x.resources), id).toEqual([tableArn()]);
      expect(st.some((x) => x.actions.includes('events:PutEvents') && x.resources.includes(`<${logicalId(s, joins.bus)}.Arn>`)), id).toBe(true);
      expect(st.some((x) => x.actions.includes('sqs:SendMessage') && x.resources.includes(`<${logicalId(s, joins.timers)}.Arn>`)), id).toBe(true);
    }
    // No other function touches the table.
    for (const id of ['AverageFunction', 'MetaFunction', 'S3BatchFunction', 'RetrainFunction'])
      expect(statements(s.json, roleOf(id)).some((x) => x.actions.some((a) => a.startsWith('dynamodb:'))), id).toBe(false);
  });

  it('tells the join functions where the table, timer queue, results queue and bus are', () => {
    for (const id of ['JoinsFunction', 'SqsFunction', 'JoinTimerFunction']) {
      const vars = (s.json.Resources[functionLogicalId(s, id)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(vars), id).toEqual(expect.arrayContaining(['FUSION_JOINS_TABLE', 'FUSION_JOINS_TIMER_QUEUE_URL', 'FUSION_RESULTS_QUEUE_URL', 'FUSION_EVENT_BUS_NAME', 'FUSION_BUCKET']));
      expect(flat(vars.FUSION_JOINS_TABLE)).toBe(`<${logicalId(s, joins.table)}>`);
    }
  });

  it('alarms on any dead-lettered timer and on more than 20% insufficient outcomes', () => {
    const alarms = resources(s.json, 'AWS::CloudWatch::Alarm').map(([, p]) => p);
    expect(alarms).toContainEqual(
      expect.objectContaining({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(s, joins.timerDeadLetter), 'QueueName'] } }] }),
    );
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 0.2,
      Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: JOIN_METRIC.insufficient }) }) })]),
    });
  });
});
