/**
 * The handler of `POST /v1/feedback`: the true outcome of an earlier decision (or join). It
 * checks the body against the Feedback schema (exactly one id, exactly one outcome), and against
 * the decision's task where the decision log is readable (locally), stores one `feedback` line
 * and answers 202. Posting the same feedback again is answered the same way; `fusion dataset`
 * counts the latest line per id and source once.
 */
import type { MiddlewareObj } from '@middy/core';
import { FusionError, InvalidRequestError, UnavailableError, fieldErrors } from '../fusion/errors.js';
import { type FeedbackAccepted, Feedback, OUTCOME_FIELD, feedbackLine, outcomeErrors } from '../fusion/loop/feedback.js';
import { problem } from '../fusion/problem.js';
import { feedbackSink } from '../loop/feedback-sink.js';
import { METRIC, emitMetrics, logger } from '../observability.js';
import { invocationEnv } from './config.js';
import { type HttpHandler, httpStack } from './handler.js';
import { type HttpEvent, type HttpResult, allowMethods, bodyLimit, json, jsonBody, requestIds } from './middleware.js';

/** Seconds a client should wait before re-sending feedback the sink did not take. */
export const FEEDBACK_RETRY_AFTER_SECONDS = 1;

/** The task of feedback's outcome field (`label`: classification, `value`: regression, `labels`: multi-label). */
function taskOfOutcome(f: Feedback): string {
  return Object.entries(OUTCOME_FIELD).find(([, field]) => f[field] !== undefined)![0];
}

/**
 * The metric of refused feedback, `FeedbackRejected` per `reason`: the problem type of the error
 * (a fixed set of codes; an unexpected error counts as `internal`). Registered after the problem
 * mapper, so it sees the error before it becomes the answer. Ids and sources are never dimensions.
 */
function countRejections(): MiddlewareObj<HttpEvent, HttpResult> {
  return { onError: (request) => emitMetrics({ reason: request.error instanceof FusionError ? request.error.code : 'internal' }, { [METRIC.feedbackRejected]: 1 }) };
}

/** The feedback handler. */
export function feedbackHandler(): HttpHandler {
  return httpStack()
    .use(countRejections())
    .use(allowMethods(['POST']))
    .use(bodyLimit())
    .use(jsonBody())
    .handler(async (event, context) => {
      const parsed = Feedback.safeParse(event.body);
      if (!parsed.success) throw new InvalidRequestError(fieldErrors(parsed.error.issues));
      const f = parsed.data;
      const sink = feedbackSink(invocationEnv());
      const task = await sink.decisionTask(f);
      if (task !== undefined) {
        const errors = outcomeErrors(f, task);
        if (errors.length) throw new InvalidRequestError(errors);
      }
      const line = feedbackLine(f);
      try {
        await sink.put(line);
      } catch (e) {
        if (!(e instanceof UnavailableError)) throw e;
        // Answered here rather than by the error mapper, to add Retry-After (the clients honour it).
        logger.error('feedback not stored', { ...requestIds(event, context), target: sink.target, error: e.cause instanceof Error ? { name: e.cause.name, message: e.cause.message.slice(0, 500) } : undefined });
        const response = json(503, problem('unavailable', e.message), 'application/problem+json');
        response.headers['Retry-After'] = `${FEEDBACK_RETRY_AFTER_SECONDS}`;
        emitMetrics({ reason: 'unavailable' }, { [METRIC.feedbackRejected]: 1 });
        return response;
      }
      const body: FeedbackAccepted = { accepted: true, id: (f.decisionId ?? f.joinId)!, source: line.source, checked: task === undefined ? 'schema' : 'decision' };
      emitMetrics({ task: taskOfOutcome(f) }, { [METRIC.feedbackAccepted]: 1 });
      return json(202, body);
    }) as HttpHandler;
}
