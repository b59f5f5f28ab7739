import { describe, expect, it } from 'vitest';
import type { FusionLoop } from '../../infra/lib/loop.js';
import { dataBucketId, flat, functionLogicalId, logicalId, resources, statements, synth } from './synth.js';

const s = synth();
const loop = s.stack.node.findChild('Loop') as FusionLoop;
const streamId = () => logicalId(s, { node: { defaultChild: loop.decisions.stream } });
const roleOf = (id: string) => (s.json.Resources[functionLogicalId(s, id)]!.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const objects = (id: string, verb: string) =>
  statements(s.json, roleOf(id))
    .filter((x) => x.actions.includes(verb))
    .flatMap((x) => x.resources)
    .map((r) => r.replace(`<${dataBucketId(s)}.Arn>/`, ''))
    .sort();

describe('the decision log in AWS', () => {
  it('delivers decision lines to decisions/dt=YYYY-MM-DD/, decompressed and extracted from CloudWatch Logs, gzipped and encrypted', () => {
    const streams = resources(s.json, 'AWS::KinesisFirehose::DeliveryStream') as [string, Record<string, Record<string, unknown>>][];
    const [, stream] = streams.find(([, st]) => st.ExtendedS3DestinationConfiguration?.Prefix === 'decisions/dt=!{timestamp:yyyy-MM-dd}/')!;
    expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    expect(stream.ExtendedS3DestinationConfiguration).toMatchObject({
      Prefix: 'decisions/dt=!{timestamp:yyyy-MM-dd}/',
      CompressionFormat: 'GZIP',
      ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Decompression' }, { Type: 'CloudWatchLogProcessing' }, { Type: 'AppendDelimiterToRecord' }] },
    });
  });

  it('subscribes every fusion function’s log group with the decision filter', () => {
    const filters = resources(s.json, 'AWS::Logs::SubscriptionFilter').map(([, p]) => p);
    const sources = [...s.stack.functions.keys()].filter((id) => !id.startsWith('Loop'));
    expect(filters).toHaveLength(sources.length);
    const groups = filters.map((f) => flat(f.LogGroupName)).sort();
    for (const id of sources) {
      const fn = s.json.Resources[functionLogicalId(s, id)]!.Properties!.LoggingConfig as { LogGroup: unknown };
      expect(groups, id).toContain(flat(fn.LogGroup));
    }
    for (const f of filters) {
      expect(f.FilterPattern).toBe('{ $.type = "decision" }');
      expect(flat(f.DestinationArn)).toBe(`<${streamId()}.Arn>`);
    }
  });

  it('lets CloudWatch Logs put into the decisions stream and nothing else', () => {
    const roleId = (flat(resources(s.json, 'AWS::Logs::SubscriptionFilter')[0]![1].RoleArn).match(/^<(.+)\.Arn>$/) ?? [])[1]!;
    const role = s.json.Resources[roleId]!.Properties as { AssumeRolePolicyDocument: { Statement: { Principal: { Service: string } }[] } };
    expect(role.AssumeRolePolicyDocument.Statement[0]!.Principal.Service).toBe('logs.amazonaws.com');
    const st = statements(s.json, roleId);
    expect(st.flatMap((x) => x.actions).sort()).toEqual(['firehose:PutRecord', 'firehose:PutRecordBatch']);
    expect(st.flatMap((x) => x.resources)).toEqual([`<${streamId()}.Arn>`]);
  });
});

describe('the scheduled loop functions', () => {
  it('run daily at 00:30 UTC by default with the scheduler’s context as input, retries and a dead-letter queue', () => {
    const schedules = resources(s.json, 'AWS::Scheduler::Schedule').map(([, p]) => p as { ScheduleExpression: string; Target: Record<string, unknown> });
    expect(schedules).toHaveLength(2);
    const targets = new Set(schedules.map((x) => flat(x.Target.Arn)));
    expect(targets).toEqual(new Set([`<${functionLogicalId(s, 'LoopDatasetFunction')}.Arn>`, `<${functionLogicalId(s, 'LoopDriftFunction')}.Arn>`]));
    for (const x of schedules) {
      expect(x.ScheduleExpression).toBe('cron(30 0 * * ? *)');
      expect(JSON.parse(x.Target.Input as string)).toEqual({
        scheduledTime: '<aws.scheduler.scheduled-time>',
        scheduleArn: '<aws.scheduler.schedule-arn>',
        executionId: '<aws.scheduler.execution-id>',
        attemptNumber: '<aws.scheduler.attempt-number>',
      });
      expect(x.Target).toMatchObject({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 } });
      expect(x.Target.DeadLetterConfig).toBeDefined();
    }
  });

  it('follows fusion:loopSchedule and fusion:loopDays, and refuses a bad expression naming the key', () => {
    const t = synth({ 'fusion:loopSchedule': 'rate(6 hours)', 'fusion:loopDays': '3' }).json;
    for (const [, x] of resources(t, 'AWS::Scheduler::Schedule')) expect(x.ScheduleExpression).toBe('rate(6 hours)');
    const fns = resources(t, 'AWS::Lambda::Function').filter(([, p]) => ((p.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}).FUSION_LOOP_DAYS !== undefined);
    expect(fns.map(([, p]) => (p.Environment as { Variables: Record<string, unknown> }).Variables.FUSION_LOOP_DAYS)).toEqual(['3', '3']);
    expect(() => synth({ 'fusion:loopSchedule': 'every day' })).toThrow(/fusion:loopSchedule: must be an EventBridge Scheduler expression/);
  });

  it('lets the dataset job read decisions, feedback and profiles and write training data only', () => {
    expect(objects('LoopDatasetFunction', 's3:GetObject')).toEqual(['decisions/*', 'feedback/*', 'profiles/*']);
    expect(objects('LoopDatasetFunction', 's3:PutObject')).toEqual(['training/*']);
    expect(objects('LoopDatasetFunction', 's3:DeleteObject')).toEqual([]);
  });

  it('lets the drift summariser read decisions and profiles and write nothing', () => {
    expect(objects('LoopDriftFunction', 's3:GetObject')).toEqual(['decisions/*', 'profiles/*']);
    expect(objects('LoopDriftFunction', 's3:PutObject')).toEqual([]);
  });
});

describe('the loop’s alarms', () => {
  const alarms = () => resources(s.json, 'AWS::CloudWatch::Alarm').map(([, p]) => p);

  it('alarm when any modality’s PSI passes 0.2 and when its missing rate passes fusion:alarmMissingRate', () => {
    expect(alarms()).toContainEqual(expect.objectContaining({ MetricName: 'MaxPSI', Namespace: 'LateFusion', Threshold: 0.2, Statistic: 'Maximum', Dimensions: [{ Name: 'service', Value: 'late-fusion' }], ComparisonOperator: 'GreaterThanThreshold' }));
    expect(alarms()).toContainEqual(expect.objectContaining({ MetricName: 'MaxMissingRate', Threshold: 0.5 }));
    expect(resources(synth({ 'fusion:alarmMissingRate': '0.2' }).json, 'AWS::CloudWatch::Alarm').map(([, p]) => p)).toContainEqual(expect.objectContaining({ MetricName: 'MaxMissingRate', Threshold: 0.2 }));
  });

  it('alarm fast on a missing-modality spike: service-wide missing over expected modalities per 5 minutes, two periods in a row', () => {
    const spike = alarms().find((a) => String(a.AlarmDescription ?? '').startsWith('Modalities were missing'))!;
    expect(spike).toMatchObject({ Threshold: 0.2, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
    const metrics = spike.Metrics as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown[] }; Period: number; Stat: string } }[];
    const expression = metrics.find((m) => m.Expression)!;
    expect(expression).toMatchObject({ Expression: 'IF(expected >= 30, missing / expected, 0)' });
    expect(expression.ReturnData ?? true).toBe(true);
    const inputs = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m]));
    expect(Object.keys(inputs).sort()).toEqual(['expected', 'missing']);
    for (const [id, name] of [['missing', 'ModalityMissing'], ['expected', 'ModalityDecisions']] as const) {
      expect(inputs[id]!.ReturnData).toBe(false);
      // The totals record's dimensions exactly (service only): the per-{profile, modality} series are other metrics.
      expect(inputs[id]!.MetricStat).toEqual({ Metric: { MetricName: name, Namespace: 'LateFusion', Dimensions: [{ Name: 'service', Value: 'late-fusion' }] }, Period: 300, Stat: 'Sum' });
    }
    const tuned = resources(synth({ 'fusion:alarmMissingSpike': '0.35', 'fusion:alarmMissingSpikeMinimum': '500' }).json, 'AWS::CloudWatch::Alarm').map(([, p]) => p).find((a) => String(a.AlarmDescription ?? '').startsWith('Modalities were missing'))!;
    expect(tuned.Threshold).toBe(0.35);
    expect(JSON.stringify(tuned.Metrics)).toContain('IF(expected >= 500, missing / expected, 0)');
    expect(() => synth({ 'fusion:alarmMissingSpike': '1.5' })).toThrow(/fusion:alarmMissingSpike:/);
  });

  it('alarm on any shadow failure, summed over every profile and shadow', () => {
    const shadow = alarms().find((a) => JSON.stringify(a.Metrics ?? '').includes('ShadowFailures'))!;
    expect(shadow).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(JSON.stringify(shadow.Metrics)).toContain('SELECT SUM(ShadowFailures) FROM SCHEMA(\\"LateFusion\\", profile, service, shadow)');
  });

  it('alarm on the loop functions’ errors like every other function', () => {
    const names = alarms().map((a) => String(a.AlarmDescription ?? ''));
    for (const id of ['LoopDatasetFunction', 'LoopDriftFunction']) expect(names.some((d) => d.startsWith(`${id}: the function threw`)), id).toBe(true);
  });
});
