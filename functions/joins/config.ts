/**
 * The join service the environment asks for, one per process: DynamoDB (`FUSION_JOINS_TABLE`)
 * or memory; SQS timers (`FUSION_JOINS_TIMER_QUEUE_URL`) or in-process ones; delivery to the
 * results queue (`FUSION_RESULTS_QUEUE_URL`) and the bus (`FUSION_EVENT_BUS_NAME`), or memory.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sqsClient } from '../events/results-queue.js';
import { JOIN_METRIC } from '../layout.js';
import { logger, metrics } from '../observability.js';
import { createStore } from '../store/index.js';
import { AllDelivery, BusDelivery, MemoryDelivery, QueueDelivery } from './delivery.js';
import { DynamoJoinStore, dynamoClient } from './dynamo.js';
import { recorderConfig } from '../loop/record.js';
import { type JoinCounters, type JoinDelivery, JoinService } from './service.js';
import { MemoryJoinStore } from './store.js';
import { InProcessScheduler, SqsScheduler } from './timers.js';

export { JOIN_METRIC };

/** Emits one metric per late arrival and per outcome. */
export const joinCounters: JoinCounters = {
  late(profile, modality) {
    logger.info('late join arrival kept', { profile, modality });
    if (!metrics.enabled) return;
    metrics.addMetric(JOIN_METRIC.late, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  },
  outcome(outcome, profile) {
    logger.info('join outcome', { profile, joinId: outcome.joinId, state: outcome.state, trigger: outcome.trigger });
    if (!metrics.enabled) return;
    metrics.addMetric(outcome.state === 'decided' ? JOIN_METRIC.decided : JOIN_METRIC.insufficient, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  },
};

/** The parts of the service, for tests and the bench that inspect them. */
export interface JoinRuntime {
  service: JoinService;
  store: MemoryJoinStore | DynamoJoinStore;
  scheduler: InProcessScheduler | SqsScheduler;
  memory?: MemoryDelivery;
}

const runtimes = new WeakMap<NodeJS.ProcessEnv, JoinRuntime>();

/** Builds the join runtime for `env`. */
export function createJoinRuntime(env: NodeJS.ProcessEnv = process.env): JoinRuntime {
  const store = env.FUSION_JOINS_TABLE ? new DynamoJoinStore(dynamoClient(env), env.FUSION_JOINS_TABLE) : new MemoryJoinStore();
  const sqs = env.FUSION_JOINS_TIMER_QUEUE_URL || env.FUSION_RESULTS_QUEUE_URL ? sqsClient(env) : undefined;
  const scheduler = env.FUSION_JOINS_TIMER_QUEUE_URL ? new SqsScheduler(sqs!, env.FUSION_JOINS_TIMER_QUEUE_URL) : new InProcessScheduler();
  const targets: JoinDelivery[] = [];
  if (env.FUSION_RESULTS_QUEUE_URL) targets.push(new QueueDelivery(sqs!, env.FUSION_RESULTS_QUEUE_URL));
  if (env.FUSION_EVENT_BUS_NAME) targets.push(new BusDelivery(new EventBridgeClient({}), env.FUSION_EVENT_BUS_NAME));
  const memory = targets.length ? undefined : new MemoryDelivery();
  const profileStore = createStore(env);
  const service = new JoinService({
    store,
    scheduler,
    delivery: memory ?? new AllDelivery(targets),
    profiles: (ref) => profileStore.getProfile(ref),
    counters: joinCounters,
    recorder: recorderConfig(env),
  });
  if (scheduler instanceof InProcessScheduler) scheduler.fire = (profile, joinId) => service.fire(profile, joinId);
  return { service, store, scheduler, ...(memory ? { memory } : {}) };
}

/** The join runtime of `env` (in Lambda: `process.env`), created on first use and kept. */
export function joinRuntime(env: NodeJS.ProcessEnv = process.env): JoinRuntime {
  let r = runtimes.get(env);
  if (!r) runtimes.set(env, (r = createJoinRuntime(env)));
  return r;
}
