/**
 * The timer function: each message of the timer queue (`{"profile", "joinId"}`, delayed until
 * the join's deadline) closes the join if nothing has decided it, and re-sends an outcome that
 * was decided but not yet delivered. A message whose join cannot be closed or delivered now is
 * reported in `batchItemFailures`, so SQS redelivers it and finally moves it to the DLQ.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { PartialItemFailureResponse } from '@aws-lambda-powertools/batch/types';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { FusionError, UnavailableError } from '../fusion/errors.js';
import { logger } from '../observability.js';
import { joinRuntime } from './config.js';
import type { TimerMessage } from './timers.js';

const processor = new BatchProcessor(EventType.SQS);

async function fire(record: SQSRecord): Promise<void> {
  let msg: TimerMessage;
  try {
    msg = JSON.parse(record.body) as TimerMessage;
  } catch {
    logger.error('timer message is not JSON; dropped', { messageId: record.messageId });
    return;
  }
  if (typeof msg?.profile !== 'string' || typeof msg.joinId !== 'string') {
    logger.error('timer message lacks profile or joinId; dropped', { messageId: record.messageId });
    return;
  }
  try {
    await joinRuntime().service.fire(msg.profile, msg.joinId);
  } catch (e) {
    // A profile that no longer exists or lost its join section cannot be fixed by retrying.
    if (e instanceof FusionError && !(e instanceof UnavailableError)) {
      logger.error('join timer cannot close this join', { profile: msg.profile, joinId: msg.joinId, error: e });
      return;
    }
    throw e;
  }
}

/** Lambda entry of the timer queue. */
export async function handler(event: SQSEvent, context?: Context): Promise<PartialItemFailureResponse> {
  if (context) logger.addContext(context);
  return processPartialResponse(event, fire, processor, { ...(context ? { context } : {}), throwOnFullBatchFailure: false });
}
