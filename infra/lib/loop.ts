/**
 * The production loop: every fusion function's `decision` log lines go by CloudWatch Logs
 * subscription to a Firehose stream that writes them to `decisions/dt=YYYY-MM-DD/` as gzipped
 * JSON lines; two scheduled functions (EventBridge Scheduler) turn the log and the feedback into
 * training data (`training/<profile>/<date>.jsonl`, which retraining consumes) and into drift
 * metrics; alarms watch drift, missing modalities and failing shadows. See docs/operations.md.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, type AlarmProps, ComparisonOperator, type IAlarmAction, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, IDestination } from 'aws-cdk-lib/aws-lambda';
import { CfnSubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PSI_ALERT } from '../../functions/fusion/loop/psi.js';
import { LOOP_METRIC, PREFIX, SHADOW_FAILURES_METRIC } from '../../functions/layout.js';
import { METRIC } from '../../functions/observability.js';
import { acknowledge, grantPrefixes } from './access.js';
import type { FusionConfig } from './config.js';
import { FirehoseToBucket } from './firehose.js';
import { FusionFunction, SIZES } from './fusion-function.js';

/** The CloudWatch Logs filter pattern of a decision line. */
export const DECISION_FILTER = '{ $.type = "decision" }';

/** What the loop needs from the rest of the stack. */
export interface FusionLoopProps {
  config: FusionConfig;
  bucket: Bucket;
  /** The functions whose logs carry decision lines (every fusion function). */
  sources: ReadonlyMap<string, FusionFunction>;
  /** The profile store's environment (bucket, cache, timeouts). */
  store: Record<string, string>;
  /** Where failed scheduled invocations go (the failed-events queue). */
  failedEvents: IQueue;
  onFailure: IDestination;
}

/** The decision stream, the subscriptions, the scheduled jobs and the loop's alarms. */
export class FusionLoop extends Construct {
  readonly decisions: FirehoseToBucket;
  readonly datasetFunction: FusionFunction;
  readonly driftFunction: FusionFunction;
  readonly schedules: Schedule[] = [];
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: FusionLoopProps) {
    super(scope, id);
    const { config, bucket } = props;
    this.decisions = new FirehoseToBucket(this, 'Decisions', { bucket, prefix: PREFIX.decisions, logRetention: config.logRetentionDays, cloudWatchLogs: true });

    // CloudWatch Logs puts the matching events into the stream with this role, from this account only.
    const stack = Stack.of(this);
    const logsRole = new Role(this, 'LogsToFirehose', {
      assumedBy: new ServicePrincipal('logs.amazonaws.com', { conditions: { StringLike: { 'aws:SourceArn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*` } } }),
      description: 'Lets CloudWatch Logs subscription filters put decision lines into the decisions stream',
    });
    const put = new Policy(this, 'PutDecisions', {
      roles: [logsRole],
      statements: [new PolicyStatement({ actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [this.decisions.streamArn] })],
    });
    for (const [name, fn] of props.sources) {
      const filter = new CfnSubscriptionFilter(this, `${name}Decisions`, {
        logGroupName: fn.logGroup.logGroupName,
        filterPattern: DECISION_FILTER,
        destinationArn: this.decisions.streamArn,
        roleArn: logsRole.roleArn,
      });
      filter.node.addDependency(put);
    }

    const environment = { ...props.store, FUSION_LOOP_DAYS: `${config.loopDays}` };
    this.datasetFunction = new FusionFunction(this, 'LoopDatasetFunction', {
      entry: 'functions/events/dataset-job.ts',
      description: `Joins ${PREFIX.decisions} with ${PREFIX.feedback} into ${PREFIX.training}<profile>/<date>.jsonl (scheduled)`,
      ...SIZES.batch,
      config,
      environment,
      onFailure: props.onFailure,
    });
    grantPrefixes(this.datasetFunction, this.datasetFunction.role, bucket, {
      read: [PREFIX.decisions, PREFIX.feedback, PREFIX.profiles],
      list: [PREFIX.decisions, PREFIX.feedback, PREFIX.profiles],
      write: [PREFIX.training],
    });
    this.driftFunction = new FusionFunction(this, 'LoopDriftFunction', {
      entry: 'functions/events/drift-job.ts',
      description: `Emits per-modality drift (PSI) and missing-rate metrics from ${PREFIX.decisions} (scheduled)`,
      ...SIZES.batch,
      config,
      environment,
      onFailure: props.onFailure,
    });
    grantPrefixes(this.driftFunction, this.driftFunction.role, bucket, { read: [PREFIX.decisions, PREFIX.profiles], list: [PREFIX.decisions, PREFIX.profiles] });

    // The scheduler's own context, which the jobs read their window from (functions/loop/jobs.ts).
    const input = ScheduleTargetInput.fromObject({
      scheduledTime: ContextAttribute.scheduledTime,
      scheduleArn: ContextAttribute.scheduleArn,
      executionId: ContextAttribute.executionId,
      attemptNumber: ContextAttribute.attemptNumber,
    });
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'Lets EventBridge Scheduler invoke the loop functions and dead-letter what it cannot deliver',
    });
    for (const [name, fn] of [['DatasetSchedule', this.datasetFunction], ['DriftSchedule', this.driftFunction]] as const) {
      this.schedules.push(
        new Schedule(this, name, {
          schedule: ScheduleExpression.expression(config.loopSchedule),
          description: `Runs ${fn.node.id} (fusion:loopSchedule)`,
          target: new LambdaInvoke(fn, { input, role: schedulerRole, deadLetterQueue: props.failedEvents, retryAttempts: 2, maxEventAge: Duration.hours(6) }),
        }),
      );
      acknowledge(schedulerRole, {
        [`AwsSolutions-IAM5[Resource::<${stack.resolve((fn.node.defaultChild as CfnFunction).logicalId)}.Arn>:*]`]:
          'CDK grants invoke on the function and its versions and aliases (<arn>:*): one function, nothing else.',
      });
    }

    this.addAlarms(config);
  }

  private addAlarms(config: FusionConfig): void {
    const action: IAlarmAction | undefined = config.alarmTopicArn ? new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn)) : undefined;
    const add = (name: string, alarm: Pick<AlarmProps, 'alarmDescription' | 'metric' | 'threshold'> & Partial<Pick<AlarmProps, 'evaluationPeriods' | 'datapointsToAlarm'>>) => {
      const created = new Alarm(this, name, { treatMissingData: TreatMissingData.NOT_BREACHING, evaluationPeriods: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, ...alarm });
      if (action) created.addAlarmAction(action), created.addOkAction(action);
      this.alarms.push(created);
    };
    // The summariser runs at most daily by default: a day's maximum, kept for a day.
    const worst = (metricName: string) => new Metric({ namespace: config.metricsNamespace, metricName, dimensionsMap: { service: config.serviceName }, statistic: 'Maximum', period: Duration.days(1) });
    add('Drift', {
      alarmDescription: `A modality's predicted-class shares drifted from its profile's training reference: PSI above ${PSI_ALERT} (the drift summariser's ${LOOP_METRIC.psi} per profile and modality says which). Runbook: docs/operations.md#drift-fires`,
      metric: worst(LOOP_METRIC.maxPsi),
      threshold: PSI_ALERT,
    });
    add('MissingRate', {
      alarmDescription: `A modality was missing from more than ${config.alarmMissingRate * 100}% of a profile's decisions over the summariser's window (${LOOP_METRIC.missingRate} per profile and modality says which). Runbook: docs/operations.md#a-modality-goes-quiet`,
      metric: worst(LOOP_METRIC.maxMissingRate),
      threshold: config.alarmMissingRate,
    });
    // The fast one: every request's service-wide totals (functions/loop/record.ts), missing over
    // expected modalities per 5 minutes, counted only from fusion:alarmMissingSpikeMinimum expected
    // modalities on (a trickle of traffic is too noisy to page on), two periods in a row.
    const total = (metricName: string) => new Metric({ namespace: config.metricsNamespace, metricName, dimensionsMap: { service: config.serviceName }, statistic: 'Sum', period: Duration.minutes(5) });
    add('MissingRateSpike', {
      alarmDescription: `Modalities were missing from more than ${config.alarmMissingSpike * 100}% of the modalities the decisions of every profile expected, in two 5-minute periods in a row (from ${config.alarmMissingSpikeMinimum} expected modalities per period). The ${METRIC.modalityMissing} metric per profile and modality says which. Runbook: docs/operations.md#a-modality-goes-quiet`,
      metric: new MathExpression({
        expression: `IF(expected >= ${config.alarmMissingSpikeMinimum}, missing / expected, 0)`,
        usingMetrics: { missing: total(METRIC.modalityMissing), expected: total(METRIC.modalityDecisions) },
        period: Duration.minutes(5),
        label: 'share of expected modalities missing',
      }),
      threshold: config.alarmMissingSpike,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
    });
    // Shadows emit ShadowFailures per {profile, shadow}: one Metrics Insights query sums them all.
    add('ShadowFailures', {
      alarmDescription: 'A shadow model failed (the answers were unaffected). Runbook: docs/operations.md#a-canary-or-shadow-loses',
      metric: new MathExpression({
        expression: `SELECT SUM(${SHADOW_FAILURES_METRIC}) FROM SCHEMA("${config.metricsNamespace}", profile, service, shadow)`,
        period: Duration.minutes(5),
        label: 'shadow failures',
      }),
      threshold: 0,
    });
  }
}
