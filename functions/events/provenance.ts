/**
 * Who wrote a version of a profile, and why: S3 user metadata (`x-amz-meta-*`) set by the
 * writers that change a profile on their own (the retrain function's promotion, `fusion
 * profiles rollback`) and read back by `fusion profiles history`.
 */

/** `x-amz-meta-fusion-written-by`: `retrain`, `rollback` or `promote` (`fusion profiles promote --canary`). */
export const WRITTEN_BY = 'fusion-written-by';
/** `x-amz-meta-fusion-note`: the data, report and model of a promotion; the version a rollback restored. */
export const WRITE_NOTE = 'fusion-note';

/** S3 keeps metadata as US-ASCII headers (2 KB in all): the note is made printable ASCII and bounded. */
const NOTE_MAX = 600;

/** The metadata of a profile write by `by`, with a short note. */
export function provenance(by: 'retrain' | 'rollback' | 'promote', note: string): Record<string, string> {
  const ascii = note.replace(/[^\x20-\x7e]/g, '?');
  return { [WRITTEN_BY]: by, [WRITE_NOTE]: ascii.length > NOTE_MAX ? `${ascii.slice(0, NOTE_MAX - 3)}...` : ascii };
}
