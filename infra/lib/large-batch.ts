import { type CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { EventField, Match, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Errors,
  Fail,
  ItemBatcher,
  JsonPath,
  LogLevel,
  OutputType,
  Pass,
  ResultWriterV2,
  S3JsonLItemReader,
  StateMachine,
  StateMachineType,
  Transformation,
  WriterConfig,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, type IConstruct } from 'constructs';
import { REMOTE_INPUT_PREFIX, REMOTE_OUTPUT_PREFIX } from '../../functions/cli/batch-remote.js';
import { STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { acknowledge, grantPrefixes } from './access.js';
import type { FusionConfig } from './config.js';
import { PREFIX } from './storage.js';

/** Lines per child invocation of the batch function (Step Functions caps a batch at 256 KiB). */
const LINES_PER_BATCH = 500;

/**
 * A ResultWriter that leaves permissions to its caller: given a bucket *path*, CDK's own grants
 * `s3:PutObject` and `s3:GetObject` on every bucket (`Resource: "*"`); this stack grants exactly
 * the output prefix instead.
 */
class PrefixScopedResultWriter extends ResultWriterV2 {
  override providePolicyStatements(): PolicyStatement[] {
    return [];
  }
}

/**
 * JSONL files too large for one Lambda run: a Step Functions Distributed Map reads the object
 * line by line (ItemReader over JSONL), hands batches of lines to the batch fusion function and
 * writes the flattened results back to S3 as JSONL. Started by uploading to
 * `batch/in-large/<strategy>/<name>.jsonl` (EventBridge rule) or by `npx fusion batch --remote`.
 *
 * Execution input: `{"key": "<object key under batch/in*>", "strategy"?: "<name>", "bucket"?:
 * "<data bucket>"}`; without `strategy` the key's third segment names it. Each child invocation
 * of the batch function gets `{"BatchInput": {"bucket", "key", "strategy"}, "Items": [{"index",
 * "request"}, ...]}` and returns an array with one record per item, in order (docs/deploy.md).
 */
export class LargeBatch extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: { config: FusionConfig; bucket: Bucket; fuse: IFunction; failedEvents: IQueue }) {
    super(scope, id);
    const { bucket, config } = props;

    // The state carries the bucket name so the ItemReader and ResultWriter can read it.
    const plan = (name: string, strategy: string) =>
      new Pass(this, name, { parameters: { bucket: bucket.bucketName, 'key.$': '$.key', 'strategy.$': strategy } });
    const invalid = new Fail(this, 'InvalidInput', {
      error: 'InvalidInput',
      cause: `Start with {"key": "${PREFIX.batchInLarge}<strategy>/<name>.jsonl"}, or {"key": "<any key under ${REMOTE_INPUT_PREFIX}*>", "strategy": one of ${STRATEGY_NAMES.join(', ')}}, with "bucket" (if given) this stack's data bucket.`,
    });

    const fuseLines = new LambdaInvoke(this, 'FuseLines', {
      lambdaFunction: props.fuse,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    }).addRetry({ errors: [Errors.TASKS_FAILED], maxAttempts: 2, interval: Duration.seconds(10), backoffRate: 3 });

    const map = new DistributedMap(this, 'FuseFile', {
      itemReader: new S3JsonLItemReader({ bucketNamePath: JsonPath.stringAt('$.bucket'), key: JsonPath.stringAt('$.key') }),
      itemSelector: { 'index.$': '$$.Map.Item.Index', 'request.$': '$$.Map.Item.Value' },
      itemBatcher: new ItemBatcher({
        maxItemsPerBatch: LINES_PER_BATCH,
        batchInput: { 'bucket.$': '$.bucket', 'key.$': '$.key', 'strategy.$': '$.strategy' },
      }),
      maxConcurrency: config.largeBatchConcurrency,
      toleratedFailurePercentage: 0,
      resultWriterV2: new PrefixScopedResultWriter({
        bucketNamePath: JsonPath.stringAt('$.bucket'),
        prefix: REMOTE_OUTPUT_PREFIX,
        writerConfig: new WriterConfig({ transformation: Transformation.FLATTEN, outputType: OutputType.JSONL }),
      }),
      label: 'FuseFile',
    });
    map.itemProcessor(fuseLines);

    const known = new Choice(this, 'KnownStrategy')
      .when(Condition.or(...STRATEGY_NAMES.map((name) => Condition.stringEquals('$.strategy', name))), map)
      .otherwise(invalid);
    const start = new Choice(this, 'StrategyNamed')
      .when(Condition.and(Condition.isPresent('$.bucket'), Condition.not(Condition.stringEquals('$.bucket', bucket.bucketName))), invalid)
      .when(
        Condition.and(Condition.isPresent('$.key'), Condition.stringMatches('$.key', `${REMOTE_INPUT_PREFIX}*`), Condition.isPresent('$.strategy')),
        plan('StrategyGiven', '$.strategy').next(known),
      )
      .when(
        Condition.and(Condition.isPresent('$.key'), Condition.stringMatches('$.key', `${PREFIX.batchInLarge}*/*`)),
        plan('StrategyFromKey', "States.ArrayGetItem(States.StringSplit($.key, '/'), 2)").next(known),
      )
      .otherwise(invalid);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'Fuses a large JSONL file from S3 with a Distributed Map over the batch fusion function.',
      definitionBody: DefinitionBody.fromChainable(start),
      stateMachineType: StateMachineType.STANDARD,
      tracingEnabled: true,
      // Execution data would include prediction payloads: never logged (as FUSION_LOG_PAYLOADS).
      logs: {
        destination: new LogGroup(this, 'Logs', { retention: config.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY }),
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    // The ItemReader and ResultWriter take the bucket from the state and grant nothing
    // themselves: the role gets exactly these prefixes.
    grantPrefixes(this.stateMachine, this.stateMachine, bucket, {
      read: [REMOTE_INPUT_PREFIX, `${REMOTE_OUTPUT_PREFIX}/`],
      write: [`${REMOTE_OUTPUT_PREFIX}/`],
    });

    new Rule(this, 'LargeFileUploaded', {
      description: `Starts the large-batch state machine for *.jsonl objects created under ${PREFIX.batchInLarge}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [bucket.bucketName] }, object: { key: Match.wildcard(`${PREFIX.batchInLarge}*.jsonl`) } },
      },
      targets: [
        new SfnStateMachine(this.stateMachine, {
          input: RuleTargetInput.fromObject({ key: EventField.fromPath('$.detail.object.key') }),
          deadLetterQueue: props.failedEvents,
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    const ref = (c: IConstruct) => Stack.of(this).resolve((c.node.defaultChild as CfnResource).logicalId) as string;
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${JSON.stringify({
      'Fn::Select': [6, { 'Fn::Split': [':', { Ref: ref(this.stateMachine) }] }],
    })}`;
    const children = 'The Distributed Map starts, describes and stops its own child executions, whose names are generated at run time.';
    acknowledge(this.stateMachine, {
      'AwsSolutions-IAM5[Resource::*]': 'X-Ray and CloudWatch Logs delivery actions used by Step Functions support no resource-level permissions.',
      [`AwsSolutions-IAM5[Resource::<${ref(props.fuse)}.Arn>:*]`]: 'Invoking the batch function by any version or alias of that one function (CDK’s LambdaInvoke grant).',
      [`AwsSolutions-IAM5[Resource::${executions}:*]`]: children,
      [`AwsSolutions-IAM5[Resource::${executions}/${map.id}:*]`]: children,
    });
  }
}
