/**
 * Label feedback: the true outcome of a decision (or a join), posted later by whoever learns
 * it. Stored as `feedback` lines beside the decision log; idempotent per id and source.
 */
import * as z from 'zod/mini';
import type { FieldError } from '../errors.js';
import { meta } from '../schema-meta.js';
import type { Task } from '../tasks/task.js';

const Id = z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 letters, digits, ".", "_", ":" or "-"'));

const feedbackShape = {
  decisionId: z.optional(Id),
  joinId: z.optional(Id),
  label: z.optional(z.string().check(z.minLength(1, 'label must not be empty'), z.maxLength(256, 'label must be at most 256 characters'))),
  value: z.optional(z.number({ error: 'value must be a finite number' })),
  labels: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.maxLength(1000, 'labels allows at most 1000 names'))),
  source: z.optional(z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,64}$/, 'source must be 1 to 64 letters, digits, ".", "_", ":" or "-"'))),
};

/** `POST /v1/feedback`: one id (`decisionId` or `joinId`) and one outcome (`label`, `value` or `labels`). */
export const Feedback = meta(
  z
    .strictObject(feedbackShape, {
      error: (issue) => (issue.code === 'unrecognized_keys' ? `feedback has only the fields ${Object.keys(feedbackShape).join(', ')}` : 'feedback must be a JSON object'),
    })
    .check(
      z.refine((f) => (f.decisionId === undefined) !== (f.joinId === undefined), { message: 'give exactly one of decisionId or joinId', path: ['decisionId'] }),
      z.refine((f) => +(f.label !== undefined) + +(f.value !== undefined) + +(f.labels !== undefined) === 1, {
        message: 'give exactly one outcome: label (classification), value (regression) or labels (multi-label)',
        path: ['label'],
      }),
    ),
  { id: 'Feedback', examples: [{ decisionId: '0f8e2c1a-5b7d-4c8e-9a1f-2d3c4b5a6978', label: 'positive', source: 'moderation-review' }] },
);
export type Feedback = z.infer<typeof Feedback>;

/** A stored feedback line. */
export interface FeedbackLine extends Feedback {
  type: 'feedback';
  source: string;
  receivedAt: string;
}

/** The stored line for valid feedback (source defaults to "default"). */
export function feedbackLine(f: Feedback, now = new Date()): FeedbackLine {
  return { type: 'feedback', ...f, source: f.source ?? 'default', receivedAt: now.toISOString() };
}

/** Feedback is idempotent per id and source: this is the key later lines replace earlier ones under. */
export function feedbackKey(f: Pick<Feedback, 'decisionId' | 'joinId' | 'source'>): string {
  return `${f.decisionId !== undefined ? `d:${f.decisionId}` : `j:${f.joinId}`}|${f.source ?? 'default'}`;
}

/** The outcome field feedback on a decision of each task must give. */
export const OUTCOME_FIELD = { classification: 'label', regression: 'value', multilabel: 'labels' } as const satisfies Record<Task, keyof Feedback>;

/**
 * The field errors of feedback whose outcome does not fit its decision's task (a `value` for a
 * classification decision, say); none when it fits or the task is not one this build knows.
 */
export function outcomeErrors(f: Feedback, task: string): FieldError[] {
  const wanted = OUTCOME_FIELD[task as Task] as keyof Feedback | undefined;
  if (wanted === undefined || f[wanted] !== undefined) return [];
  const given = (['label', 'value', 'labels'] as const).find((k) => f[k] !== undefined) ?? 'label';
  return [{ path: given, message: `the decision is a ${task} decision: give its outcome as "${wanted}" (${task === 'classification' ? 'the true class' : task === 'regression' ? 'the true number' : 'the true labels, a list'}), not "${given}"` }];
}

/** `POST /v1/feedback`'s answer (202): what was stored, and what it was checked against. */
export const FeedbackAccepted = meta(
  z.object({
    accepted: z.literal(true),
    /** The decisionId or joinId the feedback is about. */
    id: z.string(),
    source: z.string(),
    /** `decision`: the logged decision was found and the outcome fits its task; `schema`: only the body's own rules were checked. */
    checked: z.enum(['decision', 'schema']),
  }),
  { id: 'FeedbackAccepted', examples: [{ accepted: true, id: '0f8e2c1a-5b7d-4c8e-9a1f-2d3c4b5a6978', source: 'moderation-review', checked: 'schema' }] },
);
export type FeedbackAccepted = z.infer<typeof FeedbackAccepted>;
