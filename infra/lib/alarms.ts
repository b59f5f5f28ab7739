import { Duration } from 'aws-cdk-lib';
import { Alarm, type AlarmProps, ComparisonOperator, type IAlarmAction, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Route } from '../../functions/http/routes.js';
import type { FusionConfig } from './config.js';

const PERIOD = Duration.minutes(5);

/** What the alarms watch. */
export interface AlarmTargets {
  api: HttpApi;
  stage: HttpStage;
  routes: readonly Route[];
  /** Functions by a readable name (the construct id), for alarm names. */
  functions: ReadonlyMap<string, IFunction>;
  /** Queues where any message means something failed for good. */
  deadLetterQueues: readonly IQueue[];
  /** Queues whose backlog must keep moving. */
  workQueues: readonly IQueue[];
}

/**
 * CloudWatch alarms: per API route its 5xx rate and p99 latency (the stage publishes per-route
 * metrics); per function errors and throttles; any message in a dead-letter queue; the age of
 * the oldest waiting request. With `fusion:alarmTopicArn` every alarm notifies that SNS topic.
 */
export class FusionAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: { config: FusionConfig; targets: AlarmTargets }) {
    super(scope, id);
    const { config, targets } = props;
    const action: IAlarmAction | undefined = config.alarmTopicArn
      ? new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn))
      : undefined;
    const add = (name: string, alarm: AlarmProps) => {
      const created = new Alarm(this, name, { treatMissingData: TreatMissingData.NOT_BREACHING, ...alarm });
      if (action) created.addAlarmAction(action), created.addOkAction(action);
      this.alarms.push(created);
    };

    for (const route of targets.routes) {
      const dimensionsMap = { ApiId: targets.api.apiId, Stage: targets.stage.stageName, Method: route.method, Resource: route.path };
      const metric = (metricName: string, statistic: string) => new Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap, statistic, period: PERIOD });
      const label = `${route.method} ${route.path}`;
      add(`${routeId(route)}ErrorRate`, {
        alarmDescription: `${label}: more than ${config.alarmErrorRate * 100}% of requests answered 5xx`,
        metric: metric('5xx', 'Average'),
        threshold: config.alarmErrorRate,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      });
      add(`${routeId(route)}LatencyP99`, {
        alarmDescription: `${label}: p99 latency above ${config.alarmP99LatencyMs} ms`,
        metric: metric('Latency', 'p99'),
        threshold: config.alarmP99LatencyMs,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      });
    }

    for (const [name, fn] of targets.functions) {
      add(`${name}Errors`, {
        alarmDescription: `${name}: the function threw (uncaught errors or timeouts)`,
        metric: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
      add(`${name}Throttles`, {
        alarmDescription: `${name}: invocations were throttled (account or reserved concurrency reached)`,
        metric: fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    for (const queue of targets.deadLetterQueues)
      add(`${queue.node.id}Depth`, {
        alarmDescription: `${queue.node.id}: messages are waiting in a dead-letter queue`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });

    for (const queue of targets.workQueues)
      add(`${queue.node.id}OldestMessage`, {
        alarmDescription: `${queue.node.id}: the oldest message has waited more than ${config.alarmOldestMessageSeconds} s`,
        metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: config.alarmOldestMessageSeconds,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
      });
  }
}

/** `POST /v1/fuse/average` → `PostV1FuseAverage`: a construct id per route. */
function routeId(route: Route): string {
  return `${route.method} ${route.path}`
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase())
    .join('');
}
