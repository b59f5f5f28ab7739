/**
 * Where feedback goes: in AWS, one record per feedback on the Firehose delivery stream
 * `FUSION_FEEDBACK_STREAM` (which writes `feedback/dt=YYYY-MM-DD/` of the data bucket); without
 * it (`npm start`, `fusion serve`), one line appended to the local store's
 * `feedback/dt=YYYY-MM-DD/feedback.jsonl`. Locally the decision log is readable too, so feedback
 * is checked against its decision's task there.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '../fusion/errors.js';
import type { Feedback, FeedbackLine } from '../fusion/loop/feedback.js';
import { PREFIX, partition } from '../layout.js';
import { LOCAL_STORE_DIR } from '../store/index.js';
import { type PutRecord, firehosePut } from './firehose.js';
import { type ReadStats, directorySource, readDecisions } from './logs.js';

/** How far back the local decision log is searched for the decision feedback names. */
export const DECISION_LOOKBACK_DAYS = 7;

/** The feedback sink of one environment. */
export interface FeedbackSink {
  /** Stores one line; throws `UnavailableError` (503) when the stream or file does not take it. */
  put(line: FeedbackLine): Promise<void>;
  /** The task of the decision `f` names, when this sink can read the decision log and finds it. */
  decisionTask(f: Feedback): Promise<string | undefined>;
  /** Where lines go, for logs: `firehose:<stream>` or `file:<dir>`. */
  readonly target: string;
}

/** A line as Firehose and the local file store it: JSON and a newline. */
const encode = (line: FeedbackLine) => new TextEncoder().encode(`${JSON.stringify(line)}\n`);

const RETRY = 'Retry the request (the clients do, with backoff): feedback is idempotent per id and source, so sending it twice counts once.';

/** Feedback to a Firehose delivery stream; the decision log is not readable from here. */
export function firehoseSink(stream: string, put: PutRecord): FeedbackSink {
  return {
    target: `firehose:${stream}`,
    async put(line) {
      try {
        await put(encode(line));
      } catch (e) {
        const name = e instanceof Error ? e.name : 'Error';
        throw new UnavailableError(`The feedback could not be stored: the delivery stream did not take it (${name}). ${RETRY}`, { cause: e });
      }
    },
    decisionTask: async () => undefined,
  };
}

/** Feedback appended to `dir/feedback/dt=YYYY-MM-DD/feedback.jsonl`, checked against `dir`'s decision log. */
export function fileSink(dir: string, now: () => Date = () => new Date()): FeedbackSink {
  return {
    target: `file:${dir}`,
    async put(line) {
      const folder = join(dir, PREFIX.feedback, partition(now()));
      try {
        await mkdir(folder, { recursive: true });
        // One write of one short line with O_APPEND: concurrent requests never interleave.
        await appendFile(join(folder, 'feedback.jsonl'), encode(line));
      } catch (e) {
        throw new UnavailableError(`The feedback could not be stored in ${folder} (${(e as NodeJS.ErrnoException).code ?? 'error'}). ${RETRY}`, { cause: e });
      }
    },
    async decisionTask(f) {
      const since = new Date(now().getTime() - DECISION_LOOKBACK_DAYS * 86_400_000);
      const stats: ReadStats = { files: 0, lines: 0, invalid: 0 };
      try {
        for await (const d of readDecisions(directorySource(dir), since, stats))
          if (f.decisionId !== undefined ? d.decisionId === f.decisionId : d.joinId === f.joinId) return d.task;
      } catch {
        // An unreadable log file only means the decision cannot be checked, as in AWS.
      }
      return undefined;
    },
  };
}

const sinks = new WeakMap<NodeJS.ProcessEnv, FeedbackSink>();

/**
 * The sink `env` asks for, made once per environment object (in Lambda: once per process):
 * Firehose when `FUSION_FEEDBACK_STREAM` is set, else the local store (`FUSION_STORE_DIR`, or
 * `.fusion/store/`).
 */
export function feedbackSink(env: NodeJS.ProcessEnv): FeedbackSink {
  let sink = sinks.get(env);
  if (!sink) {
    const stream = env.FUSION_FEEDBACK_STREAM;
    sink = stream ? firehoseSink(stream, firehosePut(stream, env)) : fileSink(env.FUSION_STORE_DIR || LOCAL_STORE_DIR);
    sinks.set(env, sink);
  }
  return sink;
}
