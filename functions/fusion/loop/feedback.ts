/**
 * Label feedback: the true outcome of a decision (or a join), posted later by whoever learns
 * it. Stored as `feedback` lines beside the decision log; idempotent per id and source.
 */
import * as z from 'zod/mini';
import { meta } from '../schema-meta.js';

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
