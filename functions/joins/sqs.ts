/**
 * Join arrivals on the request queue: a message `{"join": {"profile", "id", "modality"},
 * "prediction": {...}}` has the semantics of `PUT /v1/joins/{profile}/{id}/{modality}`. Its
 * answer on the results queue acknowledges the arrival (or carries its problem); the outcome
 * itself is delivered like every join outcome.
 */
import * as z from 'zod/mini';
import { FusionError, InvalidRequestError, UnavailableError, fieldErrors } from '../fusion/errors.js';
import { toProblem } from '../fusion/problem.js';
import type { ResultMessage } from '../events/results-queue.js';
import { joinRuntime } from './config.js';

const JoinMessage = z.strictObject(
  {
    join: z.strictObject(
      { profile: z.string({ error: 'join.profile must be a profile name' }), id: z.string({ error: 'join.id must be a join id' }), modality: z.string({ error: 'join.modality must be a modality name' }) },
      { error: 'join must be {"profile", "id", "modality"}' },
    ),
    prediction: z.unknown(),
  },
  { error: 'a join message has only "join" and "prediction"' },
);

/** Whether a message body is a join arrival (it has a `join` member). */
export function isJoinMessage(body: Record<string, unknown>): boolean {
  return 'join' in body;
}

/**
 * The answer to a join message: `{"join", "status", "result"}` when accepted (202 pending or
 * 200 decided), `{"join", "error"}` with the problem when not. Throws only what a retry can help.
 */
export async function joinAnswer(body: Record<string, unknown>, sourceMessageId: string): Promise<{ fused: boolean; task?: string; message: ResultMessage }> {
  const attributes = (outcome: string) => ({ sourceMessageId, outcome });
  const ids = { join: body.join, sourceMessageId };
  try {
    const parsed = JoinMessage.safeParse(body);
    if (!parsed.success) throw new InvalidRequestError(fieldErrors(parsed.error.issues));
    const msg = parsed.data;
    const { profile, id, modality } = msg.join;
    const reply = await joinRuntime().service.arrive(profile, id, modality, msg.prediction);
    if (reply.status === 409) return { fused: false, message: { body: JSON.stringify({ ...ids, error: reply.body }), attributes: attributes('problem') } };
    return { fused: true, ...(reply.task ? { task: reply.task } : {}), message: { body: JSON.stringify({ ...ids, status: reply.status, result: reply.body }), attributes: attributes(reply.status === 200 ? 'join-decided' : 'join-pending') } };
  } catch (e) {
    if (!(e instanceof FusionError) || e instanceof UnavailableError) throw e;
    return { fused: false, message: { body: JSON.stringify({ ...ids, error: toProblem(e) }), attributes: attributes('problem') } };
  }
}
