/**
 * The handler of `POST /v1/feedback`: the true outcome of an earlier decision (or join). It
 * checks the body against the Feedback schema (exactly one id, exactly one outcome), and against
 * the decision's task where the decision log is readable (locally), stores one `feedback` line
 * and answers 202. Posting the same feedback again is answered the same way; `fusion dataset`
 * counts the latest line per id and source once.
 */
import { InvalidRequestError, UnavailableError, fieldErrors } from '../fusion/errors.js';
import { type FeedbackAccepted, Feedback, feedbackLine, outcomeErrors } from '../fusion/loop/feedback.js';
import { problem } from '../fusion/problem.js';
import { feedbackSink } from '../loop/feedback-sink.js';
import { logger } from '../observability.js';
import { invocationEnv } from './config.js';
import { type HttpHandler, httpStack } from './handler.js';
import { allowMethods, bodyLimit, json, jsonBody, requestIds } from './middleware.js';

/** Seconds a client should wait before re-sending feedback the sink did not take. */
export const FEEDBACK_RETRY_AFTER_SECONDS = 1;

/** The feedback handler. */
export function feedbackHandler(): HttpHandler {
  return httpStack()
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
        return response;
      }
      const body: FeedbackAccepted = { accepted: true, id: (f.decisionId ?? f.joinId)!, source: line.source, checked: task === undefined ? 'schema' : 'decision' };
      return json(202, body);
    }) as HttpHandler;
}
