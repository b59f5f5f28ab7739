/**
 * Bounded reads of the decision log and the feedback for the loop's jobs (`fusion monitor`, the
 * dataset and drift-summary schedules): at most `maxObjects` objects per prefix and `maxLines`
 * records of each kind, with what was left unread reported rather than silently dropped.
 */
import type { DecisionLine } from '../fusion/loop/decision-log.js';
import type { FeedbackLine } from '../fusion/loop/feedback.js';
import { positiveInt } from '../limits.js';
import { type LogSource, type ReadStats, readDecisions, readFeedback } from './logs.js';

/** Default bounds of one read (`FUSION_LOOP_MAX_OBJECTS`, `FUSION_LOOP_MAX_LINES`). */
export const LOOP_LIMITS = { maxObjects: 2000, maxLines: 500_000 } as const;

export interface CollectLimits {
  maxObjects: number;
  maxLines: number;
}

/** The loop's read bounds from the environment, defaults from `LOOP_LIMITS`. */
export function loopLimits(env: NodeJS.ProcessEnv): CollectLimits {
  return { maxObjects: positiveInt(env, 'FUSION_LOOP_MAX_OBJECTS', LOOP_LIMITS.maxObjects), maxLines: positiveInt(env, 'FUSION_LOOP_MAX_LINES', LOOP_LIMITS.maxLines) };
}

/** What a bounded read got. `truncated` names each bound that stopped it. */
export interface Collected {
  decisions: DecisionLine[];
  feedback: FeedbackLine[];
  files: number;
  lines: number;
  unreadableLines: number;
  truncated: string[];
}

/**
 * A source that lists at most `max` keys per prefix of partitions from `since` on (older ones
 * are skipped without counting), noting in `truncated` when it stopped.
 */
function capped(source: LogSource, since: Date, max: number, truncated: string[]): LogSource {
  const from = `dt=${since.toISOString().slice(0, 10)}`;
  return {
    open: (key) => source.open(key),
    async *keys(prefix) {
      let n = 0;
      for await (const key of source.keys(prefix)) {
        const part = /(?:^|\/)(dt=\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
        if (!part || part < from) continue;
        if (n === max) {
          truncated.push(`${prefix}: more than ${max} objects; the rest were not read (raise FUSION_LOOP_MAX_OBJECTS or shorten the period)`);
          return;
        }
        n++;
        yield key;
      }
    },
  };
}

/**
 * Reads decisions (only `keep`'s, when given) and, unless `withFeedback` is false, feedback
 * logged on or after `since` (by partition), within `limits`.
 */
export async function collect(source: LogSource, since: Date, limits: CollectLimits, keep?: (d: DecisionLine) => boolean, withFeedback = true): Promise<Collected> {
  const truncated: string[] = [];
  const src = capped(source, since, limits.maxObjects, truncated);
  const stats: ReadStats = { files: 0, lines: 0, invalid: 0 };
  const decisions: DecisionLine[] = [];
  for await (const d of readDecisions(src, since, stats)) {
    if (keep && !keep(d)) continue;
    if (decisions.length === limits.maxLines) {
      truncated.push(`decisions: more than ${limits.maxLines} lines; the rest were not read (raise FUSION_LOOP_MAX_LINES or shorten the period)`);
      break;
    }
    decisions.push(d);
  }
  const feedback: FeedbackLine[] = [];
  for await (const f of withFeedback ? readFeedback(src, since, stats) : []) {
    if (feedback.length === limits.maxLines) {
      truncated.push(`feedback: more than ${limits.maxLines} lines; the rest were not read (raise FUSION_LOOP_MAX_LINES or shorten the period)`);
      break;
    }
    feedback.push(f);
  }
  return { decisions, feedback, files: stats.files, lines: stats.lines, unreadableLines: stats.invalid, truncated };
}
