/**
 * Queue-triggered fusion. Each message body is a fusion request (or a batch) plus `"strategy"`
 * (or a `strategy` message attribute) and an optional `"id"`. Every message gets an answer on
 * the results queue (`FUSION_RESULTS_QUEUE_URL`): the result, or the problem object when the
 * request cannot be fused. Only retryable failures (results queue unreachable, profile store
 * unavailable, a bug) are reported in `batchItemFailures`, so SQS redelivers just those and
 * its redrive policy moves a message that keeps failing to the dead-letter queue.
 *
 * A decision's id is the request's own `decisionId`, else the message id (a batch's items:
 * `<id>:<index>`), so a redelivered message keeps its ids; its decision line is written once
 * the answer is on the results queue.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { PartialItemFailureResponse } from '@aws-lambda-powertools/batch/types';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  FusionError,
  InvalidRequestError,
  STRATEGY_NAMES,
  UnavailableError,
  fuse,
  referencedProfiles,
  toProblem,
} from '../fusion/index.js';
import { statedTask } from '../fusion/tasks/index.js';
import { fuseLimits } from '../limits.js';
import { type Decision, assignDecisionIds, collector, decisionIdAt, recordDecisions, recorderConfig, validDecisionId } from '../loop/record.js';
import { knownStrategy } from '../fusion/registry.js';
import { profilesWithVariants, variantsHook, withVariants } from '../loop/variants.js';
import { emitMetrics, logger } from '../observability.js';
import { createStore, loadProfiles } from '../store/index.js';
import { BatchedSender, type ResultMessage, sqsClient } from './results-queue.js';
import { isJoinMessage, joinAnswer } from '../joins/sqs.js';

const processor = new BatchProcessor(EventType.SQS);
/** SQS's message size limit (256 KiB), less room for the reply's attributes. */
const SQS_MAX_BYTES = 256 * 1024 - 1024;
/** `FUSION_MAX_*` of this function, read at the first message (once per process). */
let queueLimits: ReturnType<typeof fuseLimits> | undefined;
const senders = new Map<string, BatchedSender>();
// A bad FUSION_DECISION_LOG_SAMPLE fails the cold start, naming the variable.
const recorder = recorderConfig(process.env);
let client: ReturnType<typeof sqsClient> | undefined;

function sender(): BatchedSender {
  const url = process.env.FUSION_RESULTS_QUEUE_URL;
  if (!url) throw new Error('FUSION_RESULTS_QUEUE_URL is not set: the results queue is where every answer goes.');
  let s = senders.get(url);
  if (!s) senders.set(url, (s = new BatchedSender((client ??= sqsClient()), url)));
  return s;
}

/** Lambda entry: fuses every message, answers each on the results queue, reports retryable failures. */
export async function handler(event: SQSEvent, context?: Context): Promise<PartialItemFailureResponse> {
  if (context) logger.addContext(context);
  const results = sender();
  const counts = { fused: 0, answeredWithProblem: 0 };
  // Fused messages by task: the same count, with a `task` dimension.
  const byTask: Record<string, number> = {};
  // Answers are sent 10 to a call; the last partial call goes once every record has its answer.
  let unanswered = event.Records.length;
  const answered = () => --unanswered === 0 && results.flush();
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    try {
      let answer;
      try {
        answer = await answerFor(record);
      } finally {
        if (!answer) answered();
      }
      const sent = results.send(answer.message);
      answered();
      await sent;
      counts[answer.fused ? 'fused' : 'answeredWithProblem']++;
      if (answer.fused) byTask[answer.task ?? 'classification'] = (byTask[answer.task ?? 'classification'] ?? 0) + 1;
      if (answer.decisions) recordDecisions(answer.decisions, { source: 'sqs', latencyMs: answer.latencyMs ?? 0 }, recorder);
    } catch (e) {
      logger.warn('Message will be retried', { messageId: record.messageId, error: e as Error });
      throw e;
    }
  };
  const response = await processPartialResponse(event, recordHandler, processor, { ...(context ? { context } : {}), throwOnFullBatchFailure: false });
  const retried = response.batchItemFailures.length;
  logger.info('Messages processed', { messages: event.Records.length, ...counts, retried });
  emitMetrics({}, { QueueMessages: event.Records.length, QueueFused: counts.fused, QueueAnsweredWithProblem: counts.answeredWithProblem, QueueRetried: retried });
  for (const [task, n] of Object.entries(byTask)) emitMetrics({ task }, { QueueFused: n });
  return response;
}

/**
 * The answer to one message: its result, or its problem when the request is at fault. Throws
 * (so the message is retried) only when retrying can help: the store is unavailable, or a bug.
 */
async function answerFor(record: SQSRecord): Promise<{ fused: boolean; task?: string; message: ResultMessage; decisions?: Decision[]; latencyMs?: number }> {
  const started = performance.now();
  const reply: { id: string | number | null; sourceMessageId: string; strategy: string | null } = { id: null, sourceMessageId: record.messageId, strategy: null };
  const attributes = (outcome: string) => ({ sourceMessageId: record.messageId, outcome });
  try {
    const body = parseBody(record);
    if (isJoinMessage(body)) return await joinAnswer(body, record.messageId);
    const id = body.id;
    if (typeof id === 'string' || typeof id === 'number') reply.id = id;
    const { strategy, request } = splitStrategy(body, record);
    reply.strategy = strategy;
    const limits = (queueLimits ??= fuseLimits(process.env));
    const names = referencedProfiles(request, limits.maxProfiles);
    const lookup = names.length ? await loadProfiles(createStore(process.env), names) : undefined;
    // An answer SQS cannot carry is replaced by a problem answer: retrying could never deliver it.
    const maxResponseBytes = Math.min(limits.maxResponseBytes, SQS_MAX_BYTES);
    const { observe, decided } = collector();
    const base = validDecisionId(request.decisionId) ? request.decisionId : record.messageId;
    // Profiles with shadows or a canary: the canary is chosen from each decision's id, shadows run after the answer.
    const hook = profilesWithVariants(lookup, names) ? variantsHook(knownStrategy, (i) => decisionIdAt(base, request, i)) : undefined;
    const result = fuse(strategy, request, lookup, { ...limits, maxResponseBytes, ...(hook ? { decide: hook.decide } : {}) }, observe);
    const decisions = assignDecisionIds(base, request, decided);
    if (hook) withVariants(decisions, hook.records, emitMetrics);
    const answer = JSON.stringify({ ...reply, result });
    if (Buffer.byteLength(answer) > SQS_MAX_BYTES)
      throw new FusionError('response-too-large', `The answer has ${Buffer.byteLength(answer)} bytes, over SQS's message limit of ${SQS_MAX_BYTES}. Send smaller batches, or use the S3 batch input.`);
    return { fused: true, task: statedTask(request) ?? 'classification', message: { body: answer, attributes: attributes('fused') }, decisions, latencyMs: performance.now() - started };
  } catch (e) {
    if (!(e instanceof FusionError) || e instanceof UnavailableError) throw e;
    return { fused: false, message: { body: JSON.stringify({ ...reply, error: toProblem(e) }), attributes: attributes('problem') } };
  }
}

/** The message body as a JSON object; anything else is a 400. */
function parseBody(record: SQSRecord): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (e) {
    throw new FusionError('invalid-json', `The message body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new InvalidRequestError([{ path: '', message: 'the message body must be a JSON object: a fusion request plus "strategy"' }]);
  return body as Record<string, unknown>;
}

/** The strategy a message names (body first, then the `strategy` attribute) and the request without it. */
function splitStrategy(body: Record<string, unknown>, record: SQSRecord): { strategy: string; request: Record<string, unknown> } {
  const { strategy: inBody, ...request } = body;
  const strategy = inBody ?? record.messageAttributes?.strategy?.stringValue;
  if (typeof strategy !== 'string' || strategy === '')
    throw new InvalidRequestError([
      { path: 'strategy', message: `give "strategy" in the body or as a "strategy" message attribute: one of ${STRATEGY_NAMES.join(', ')}` },
    ]);
  return { strategy, request };
}
