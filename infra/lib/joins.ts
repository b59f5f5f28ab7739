/**
 * Asynchronous joins: the table (one item per join), the timer queue with its dead-letter queue
 * and the timer function, the event bus outcomes are put on, least-privilege grants for the
 * functions that take arrivals, and an alarm on the rate of insufficient outcomes.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOIN_METRIC, JOIN_TABLE } from '../../functions/layout.js';
import { JOIN_LIMITS } from '../../functions/fusion/join/schema.js';
import type { FusionConfig } from './config.js';
import { FusionFunction, SIZES } from './fusion-function.js';

const SECURE = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;

/** What the joins need from the rest of the stack. */
export interface FusionJoinsProps {
  config: FusionConfig;
  /** The profile store's environment (bucket, cache, timeouts). */
  store: Record<string, string>;
  /** Where outcomes go (besides the bus). */
  results: IQueue;
  /** Functions that take arrivals: the joins API function and the SQS function. */
  writers: FusionFunction[];
  /** Grants a function read access to profiles and models. */
  grantProfiles(fn: FusionFunction): void;
}

/** The join table, timers, bus and their permissions. */
export class FusionJoins extends Construct {
  readonly table: Table;
  readonly timers: Queue;
  readonly timerDeadLetter: Queue;
  readonly bus: EventBus;
  readonly timer: FusionFunction;
  readonly insufficientRate: Alarm;

  constructor(scope: Construct, id: string, props: FusionJoinsProps) {
    super(scope, id);
    const { config } = props;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: JOIN_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Cleanup only: DynamoDB deletes expired items up to days late; the timer queue closes joins.
      timeToLiveAttribute: JOIN_TABLE.ttl,
    });

    this.timerDeadLetter = new Queue(this, 'TimerDeadLetter', { ...SECURE, retentionPeriod: Duration.days(14) });
    for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'])
      Validations.of(this.timerDeadLetter).acknowledge({ id: rule, reason: 'This queue is itself the timer queue’s dead-letter target.' });
    this.timers = new Queue(this, 'Timers', {
      ...SECURE,
      visibilityTimeout: Duration.seconds(SIZES.queue.timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.timerDeadLetter, maxReceiveCount: config.dlqMaxReceiveCount },
    });
    this.bus = new EventBus(this, 'Decisions', { description: 'Join outcomes: "Fusion Decision" and "Fusion Join Insufficient" events from late-fusion.joins' });

    const environment = {
      ...props.store,
      FUSION_JOINS_TABLE: this.table.tableName,
      FUSION_JOINS_TIMER_QUEUE_URL: this.timers.queueUrl,
      FUSION_RESULTS_QUEUE_URL: props.results.queueUrl,
      FUSION_EVENT_BUS_NAME: this.bus.eventBusName,
      FUSION_LOG_PAYLOADS: `${config.logPayloads}`,
    };
    this.timer = new FusionFunction(scope, 'JoinTimerFunction', {
      config,
      entry: 'functions/joins/timer.ts',
      description: `Closes joins at their deadline (windows of ${JOIN_LIMITS.minWindowSeconds} to ${JOIN_LIMITS.maxWindowSeconds} s) and re-sends undelivered outcomes`,
      ...SIZES.queue,
      environment,
    });
    this.timer.addEventSource(new SqsEventSource(this.timers, { batchSize: 10, reportBatchItemFailures: true }));
    Validations.of(this.timer).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: 'SQS event source mappings take no on-failure destination; failed timers go to the timer queue’s dead-letter queue.',
    });
    props.grantProfiles(this.timer);

    for (const fn of [this.timer, ...props.writers]) {
      for (const [name, value] of Object.entries(environment)) if (!(name in props.store)) fn.addEnvironment(name, value);
      this.table.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem');
      this.timers.grantSendMessages(fn);
      props.results.grantSendMessages(fn);
      this.bus.grantPutEventsTo(fn);
    }

    const metric = (name: string) => new Metric({ namespace: config.metricsNamespace, metricName: name, dimensionsMap: { service: config.serviceName }, statistic: 'Sum', period: Duration.minutes(15) });
    this.insufficientRate = new Alarm(this, 'InsufficientRate', {
      alarmDescription: 'Joins: more than 20% of outcomes in 15 minutes were insufficient (a modality service is down or slower than the window)',
      metric: new MathExpression({
        expression: 'insufficient / MAX([decided + insufficient, 1])',
        usingMetrics: { insufficient: metric(JOIN_METRIC.insufficient), decided: metric(JOIN_METRIC.decided) },
        period: Duration.minutes(15),
      }),
      threshold: 0.2,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (config.alarmTopicArn) {
      const action = new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn));
      this.insufficientRate.addAlarmAction(action);
      this.insufficientRate.addOkAction(action);
    }
  }
}
