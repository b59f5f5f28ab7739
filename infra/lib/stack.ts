import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Construct } from 'constructs';
import { DEFAULT_ENTRY, ENTRIES, ROUTES, entryFile } from '../../functions/http/routes.js';
import { acknowledge, grantPrefixes } from './access.js';
import { FusionAlarms } from './alarms.js';
import { FusionApi } from './api.js';
import { type FusionConfig, readConfig } from './config.js';
import { FusionFunction, type FusionFunctionProps, SIZES } from './fusion-function.js';
import { LargeBatch } from './large-batch.js';
import { FeedbackDelivery } from './feedback.js';
import { FusionJoins } from './joins.js';
import { FusionLoop } from './loop.js';
import { FusionQueues } from './queues.js';
import { DataStorage, PREFIX } from './storage.js';

/** Entry files of the event-driven functions (`functions/events/`). */
const EVENT_ENTRIES = {
  s3Batch: 'functions/events/s3-batch.ts',
  sqs: 'functions/events/sqs.ts',
  retrain: 'functions/events/retrain.ts',
} as const;

/** `fusion:reservedConcurrency` may only name functions of the stack (checked before building any). */
function checkReservedConcurrency(config: FusionConfig): void {
  const ids = [...ENTRIES.map(functionId), 'S3BatchFunction', 'SqsFunction', 'RetrainFunction', 'LoopDatasetFunction', 'LoopDriftFunction'];
  const unknown = Object.keys(config.reservedConcurrency).filter((id) => !ids.includes(id));
  if (unknown.length)
    throw new Error(`Invalid CDK context:\n  fusion:reservedConcurrency: no function ${unknown.join(', ')}; use one of ${ids.join(', ')}\nSet it in cdk.json "context" or with -c key=value.`);
}

/** Construct id of the function serving a routing entry (`average` → `AverageFunction`). */
export function functionId(entry: string): string {
  return `${entry.split('-').map((w) => `${w[0]!.toUpperCase()}${w.slice(1)}`).join('')}Function`;
}

/**
 * The whole late-fusion system: one function per strategy plus the meta function behind an
 * HTTP API, the data bucket, the S3-batch, SQS and retraining functions, the large-batch state
 * machine, queues and alarms. Parameters come from `fusion:*` context (see `config.ts`).
 */
export class FusionStack extends Stack {
  readonly config: FusionConfig;
  /** Every function, by construct id. */
  readonly functions = new Map<string, FusionFunction>();

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { description: 'Late (decision-level) fusion service: API, batch, queue and retraining', ...props });
    this.node.setContext('@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2', true);
    const config = (this.config = readConfig(this.node));
    checkReservedConcurrency(config);
    const { bucket } = new DataStorage(this, 'Storage', config);
    const queues = new FusionQueues(this, 'Queues', { config, consumerTimeout: SIZES.queue.timeout });
    const store = { FUSION_BUCKET: bucket.bucketName, FUSION_CACHE_TTL_SECONDS: `${config.cacheTtlSeconds}`, FUSION_S3_TIMEOUT_MS: `${config.s3TimeoutMs}` };
    const make = (fid: string, props: Omit<FusionFunctionProps, 'config'>) => {
      const fn = new FusionFunction(this, fid, { config, ...props });
      this.functions.set(fid, fn);
      return fn;
    };

    // HTTP: one function per routing entry (each strategy, and meta).
    const http = {
      ...store,
      FUSION_MAX_BODY_BYTES: `${config.maxBodyBytes}`,
      FUSION_LOG_PAYLOADS: `${config.logPayloads}`,
      ...(config.corsOrigins.length ? { FUSION_CORS_ORIGINS: config.corsOrigins.join(',') } : {}),
    };
    const byEntry = new Map<string, IFunction>();
    for (const entry of ENTRIES) {
      const meta = entry === DEFAULT_ENTRY;
      const preload = config.preloadProfiles[entry];
      const fn = make(functionId(entry), {
        entry: entryFile(entry),
        description: meta ? 'GET /v1/strategies, /v1/health, /v1/openapi.json and unknown routes' : entry === 'joins' ? 'PUT and GET /v1/joins/{profile}/{joinId}' : entry === 'feedback' ? 'POST /v1/feedback' : `POST /v1/fuse/${entry}`,
        ...(meta ? SIZES.meta : SIZES.api),
        environment: { ...http, ...(preload ? { FUSION_PRELOAD_PROFILES: preload } : {}) },
        compileParsers: false,
        variantsChunk: !meta && entry !== 'joins',
      });
      // Feedback reads no profile: it writes to its own stream (FeedbackDelivery below).
      if (!meta && entry !== 'feedback') grantPrefixes(fn, fn.role, bucket, { read: [PREFIX.profiles, PREFIX.models], list: [PREFIX.profiles, PREFIX.models] });
      // Provisioned concurrency lives on an alias of a published version: the API must call the alias.
      const provisioned = config.provisionedConcurrency[entry];
      byEntry.set(entry, provisioned ? fn.addAlias('live', { provisionedConcurrentExecutions: provisioned }) : fn);
    }
    const api = new FusionApi(this, 'Api', { config, functions: byEntry });
    const feedback = new FeedbackDelivery(this, 'Feedback', { config, bucket, writer: this.functions.get(functionId('feedback'))! });

    // Events: S3 batch files, the request queue, retraining on new training data.
    const onFailure = new SqsDestination(queues.failedEvents);
    const s3Batch = make('S3BatchFunction', {
      entry: EVENT_ENTRIES.s3Batch,
      description: `Fuses JSONL files under ${PREFIX.batchIn}<strategy>/ (and Distributed Map batches)`,
      ...SIZES.batch,
      environment: { ...store, FUSION_LOG_PAYLOADS: `${config.logPayloads}` },
      onFailure,
    });
    grantPrefixes(s3Batch, s3Batch.role, bucket, {
      read: [PREFIX.profiles, PREFIX.models, PREFIX.batchIn, PREFIX.batchOut],
      write: [PREFIX.batchOut],
      remove: [PREFIX.batchOut],
      list: [PREFIX.profiles, PREFIX.models, PREFIX.batchOut],
    });
    bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(s3Batch), { prefix: PREFIX.batchIn, suffix: '.jsonl' });

    const sqs = make('SqsFunction', {
      entry: EVENT_ENTRIES.sqs,
      description: 'Fuses requests from the request queue and answers on the results queue',
      ...SIZES.queue,
      environment: { ...store, FUSION_RESULTS_QUEUE_URL: queues.results.queueUrl, FUSION_LOG_PAYLOADS: `${config.logPayloads}` },
    });
    grantPrefixes(sqs, sqs.role, bucket, { read: [PREFIX.profiles, PREFIX.models], list: [PREFIX.profiles, PREFIX.models] });
    queues.results.grantSendMessages(sqs);
    sqs.addEventSource(new SqsEventSource(queues.requests, { batchSize: 10, reportBatchItemFailures: true }));
    acknowledge(sqs, {
      'Serverless-LambdaEventSourceMappingDestination':
        'SQS event source mappings take no on-failure destination; failed messages go to the queue’s dead-letter queue (redrive policy).',
    });

    // Joins: arrivals over HTTP and on the request queue, closed by the timer function.
    const profiles = (fn: FusionFunction) => grantPrefixes(fn, fn.role, bucket, { read: [PREFIX.profiles, PREFIX.models], list: [PREFIX.profiles, PREFIX.models] });
    const joinsFunction = this.functions.get(functionId('joins')) as FusionFunction;
    const joins = new FusionJoins(this, 'Joins', { config, store, results: queues.results, writers: [joinsFunction, sqs], grantProfiles: profiles });
    this.functions.set('JoinTimerFunction', joins.timer);

    const retrain = make('RetrainFunction', {
      entry: EVENT_ENTRIES.retrain,
      description: `Trains, evaluates and maybe promotes a model when data lands under ${PREFIX.training}`,
      ...SIZES.retrain,
      environment: { ...store, FUSION_LOG_PAYLOADS: `${config.logPayloads}` },
      onFailure,
    });
    grantPrefixes(retrain, retrain.role, bucket, {
      read: [PREFIX.training, PREFIX.validation, PREFIX.models, PREFIX.profiles],
      write: [PREFIX.models, PREFIX.reports, PREFIX.profiles],
      list: [PREFIX.training, PREFIX.validation, PREFIX.models, PREFIX.profiles],
    });
    bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(retrain), { prefix: PREFIX.training, suffix: '.jsonl' });

    const large = new LargeBatch(this, 'LargeBatch', { config, bucket, fuse: s3Batch, failedEvents: queues.failedEvents });

    // The loop: decision lines of every function to S3, scheduled training data and drift metrics.
    const loop = new FusionLoop(this, 'Loop', { config, bucket, sources: new Map(this.functions), store, failedEvents: queues.failedEvents, onFailure });
    this.functions.set('LoopDatasetFunction', loop.datasetFunction);
    this.functions.set('LoopDriftFunction', loop.driftFunction);

    new FusionAlarms(this, 'Alarms', {
      config,
      targets: {
        api: api.api,
        stage: api.stage,
        routes: ROUTES,
        functions: this.functions,
        deadLetterQueues: [queues.deadLetter, queues.failedEvents, joins.timerDeadLetter],
        workQueues: [queues.requests],
      },
    });

    // CDK's singleton custom resource that configures the bucket's notifications.
    for (const child of this.node.children)
      if (child.node.id.startsWith('BucketNotificationsHandler'))
        acknowledge(child, {
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
            'CDK’s own bucket-notification custom resource: it runs only during deployment and needs just its log permissions.',
        });

    const out = (name: string, value: string, description: string) => new CfnOutput(this, name, { value, description });
    out('ApiUrl', api.url, 'Base URL of the HTTP API (SigV4-signed requests unless fusion:auth=jwt)');
    if (api.callerPolicy) out('CallerPolicyArn', api.callerPolicy.managedPolicyArn, 'Attach to a modality service role to let it call the API');
    out('BucketName', bucket.bucketName, 'Data bucket: profiles/, models/, batch/, training/, reports/, decisions/, feedback/');
    out('DecisionStreamName', loop.decisions.streamName, 'Firehose stream writing decision lines to decisions/dt=YYYY-MM-DD/');
    out('RequestQueueUrl', queues.requests.queueUrl, 'Send fusion requests here');
    out('ResultsQueueUrl', queues.results.queueUrl, 'Results and problems come back here');
    out('DeadLetterQueueUrl', queues.deadLetter.queueUrl, 'Requests that failed repeatedly');
    out('FailedEventsQueueUrl', queues.failedEvents.queueUrl, 'Failed S3-triggered invocations and undeliverable events');
    out('FeedbackStreamName', feedback.delivery.streamName, 'Firehose stream of POST /v1/feedback, delivering to feedback/dt=YYYY-MM-DD/ of the bucket');
    out('JoinsTableName', joins.table.tableName, 'Join records (one item per join)');
    out('DecisionBusName', joins.bus.eventBusName, 'EventBridge bus of join outcomes: route them with rules');
    out('LargeBatchStateMachineArn', large.stateMachine.stateMachineArn, 'Start with {"key", "strategy"} or npx fusion batch --remote');
  }
}
