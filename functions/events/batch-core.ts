import {
  FusionError,
  type AnyResponse,
  NotFoundError,
  type Problem,
  type ResolvedProfile,
  type Strategy,
  UnavailableError,
  fuseOneAny,
  getStrategy,
  problem,
  referencedProfiles,
  toProblem,
} from '../fusion/index.js';
import { type Decision, type RecorderConfig, collector, itemDecisionId, newDecisionId, recordDecisions, recorderConfig, validDecisionId } from '../loop/record.js';
import { type Line, LineFault, type Sink, parseLine } from './lines.js';

/** Loads a profile by reference (`name` or `name@version`), for example `store.getProfile`. */
export type ProfileLoader = (ref: string) => Promise<ResolvedProfile>;

/** How a JSONL file is fused. */
export interface BatchOptions {
  /** Strategy name; an unknown name turns every line into an error record naming the valid ones. */
  strategy: string;
  /** Where profiles named by lines come from; without it a line naming a profile is a 404 record. */
  loadProfile?: ProfileLoader;
  /** Profile applied to every line that names none. */
  defaultProfile?: string;
  /**
   * The run's decision id: line n's decision is `<run id>:<n>` unless the line sends its own
   * `decisionId`. Default: a new UUID (the S3 adapter derives it from the object, so a retry keeps it).
   */
  runId?: string;
  /** The decision log's settings (default: from `process.env`). */
  recorder?: RecorderConfig;
}

/** Where the records go. Error records go to `errors`, or to `output` when it is absent. */
export interface BatchSinks {
  output: Sink;
  errors?: Sink;
  /** Called after each chunk of lines, with the running counts. */
  onProgress?: (summary: BatchSummary) => void;
}

/** Counts of one run: non-blank lines read, lines fused, lines reported as errors, seconds taken. */
export interface BatchSummary {
  lines: number;
  fused: number;
  failed: number;
  seconds: number;
}

type Id = string | number | null;
const NONE: string[] = [];
type Loaded = { ok: true; profile: ResolvedProfile } | { ok: false; error: FusionError };

/** One output record: the line's result, or its problem object. */
export type BatchRecord = { id: Id; line: number; result: AnyResponse } | { line: number; id: Id; error: Problem };

/** Fuses one parsed request; it only returns a promise when a profile must first be loaded. */
type LineFuser = (input: unknown, line: number) => BatchRecord | Promise<BatchRecord>;

/** A run's decisions not yet recorded: `flush` records them (after their records are written). */
interface Pending {
  decisions: Decision[];
  flush(): void;
}

function pendingDecisions(options: BatchOptions): Pending {
  const config = options.recorder ?? recorderConfig();
  const pending: Pending = {
    decisions: [],
    flush() {
      if (pending.decisions.length) recordDecisions(pending.decisions, { source: 'batch', latencyMs: 0 }, config);
      pending.decisions = [];
    },
  };
  return pending;
}

/**
 * A fuser for one run: resolves the strategy once (an unknown name becomes every line's 404) and
 * loads each profile the lines name once. A store that cannot be reached (`UnavailableError`)
 * is thrown, not recorded: retrying later can succeed.
 */
function lineFuser(options: BatchOptions, pending: Pending): LineFuser {
  const runId = options.runId ?? newDecisionId();
  let strategy: Strategy | Problem;
  try {
    strategy = getStrategy(options.strategy);
  } catch (e) {
    if (!(e instanceof FusionError)) throw e;
    strategy = toProblem(e);
  }
  const cache = new Map<string, Loaded>();
  const lookup = (name: string) => {
    const hit = cache.get(name);
    return hit?.ok ? hit.profile : undefined;
  };
  const finish = (s: Strategy, input: unknown, line: number, id: Id, refs: string[]): BatchRecord => {
    for (const ref of refs) {
      const hit = cache.get(ref)!;
      if (!hit.ok) return { line, id, error: toProblem(hit.error) };
    }
    try {
      const started = performance.now();
      const { observe, decided } = collector();
      const result = fuseOneAny(s, input, lookup, {}, observe);
      const own = isObject(input) ? input.decisionId : undefined;
      const decisionId = validDecisionId(own) ? own : itemDecisionId(runId, line);
      result.decisionId = decisionId;
      pending.decisions.push({ decisionId, prepared: decided[0]!.prepared, response: result, latencyMs: performance.now() - started });
      return { id, line, result };
    } catch (e) {
      if (e instanceof UnavailableError) throw e;
      return { line, id, error: toProblem(e) };
    }
  };
  const loadThenFinish = async (s: Strategy, input: unknown, line: number, id: Id, refs: string[]): Promise<BatchRecord> => {
    for (const ref of refs) if (!cache.has(ref)) cache.set(ref, await loadOnce(ref, options.loadProfile));
    return finish(s, input, line, id, refs);
  };
  return (input, line) => {
    const id = idOf(input);
    if (!('combine' in strategy)) return { line, id, error: strategy };
    if (options.defaultProfile && isObject(input) && input.profile === undefined) input.profile = options.defaultProfile;
    let refs = NONE;
    try {
      if (isObject(input) && (input.profile !== undefined || 'items' in input)) refs = referencedProfiles(input);
    } catch (e) {
      return { line, id, error: toProblem(e) };
    }
    for (const ref of refs) if (!cache.has(ref)) return loadThenFinish(strategy, input, line, id, refs);
    return finish(strategy, input, line, id, refs);
  };
}

/**
 * Fuses a JSONL stream, one request per line, in input order: `{"id", "line", "result"}` per
 * fused line and `{"line", "id", "error": <problem>}` per bad line (line numbers count every
 * physical line from 1; blank lines are skipped; a `LineFault` from `readLines`, a line too long
 * or not UTF-8, is a `line-too-long` or `invalid-utf8` record). One bad line never stops the
 * run. Profiles a line names are loaded once per run. Only a store that cannot be reached (`UnavailableError`)
 * stops the run, since retrying later can succeed; the caller then discards partial output.
 */
export async function runBatch(
  source: AsyncIterable<string | Iterable<Line>>,
  sinks: BatchSinks,
  options: BatchOptions,
): Promise<BatchSummary> {
  const started = performance.now();
  const summary: BatchSummary = { lines: 0, fused: 0, failed: 0, seconds: 0 };
  const pending = pendingDecisions(options);
  const fuseLine = lineFuser(options, pending);
  let lineNo = 0;
  for await (const group of source) {
    let out = '';
    let errs = '';
    for (const text of typeof group === 'string' ? [group] : group) {
      lineNo++;
      if (typeof text === 'string' && isBlank(text)) continue;
      summary.lines++;
      let rec: BatchRecord | Promise<BatchRecord>;
      try {
        rec = text instanceof LineFault ? faultRecord(text, lineNo) : fuseLine(parseLine(text), lineNo);
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        rec = { line: lineNo, id: null, error: problem('invalid-json', `line ${lineNo} is not valid JSON: ${e.message}`) };
      }
      if (rec instanceof Promise) rec = await rec;
      const json = `${JSON.stringify(rec)}\n`;
      if ('result' in rec) (summary.fused++, (out += json));
      else if ((summary.failed++, sinks.errors)) errs += json;
      else out += json;
    }
    if (errs) await sinks.errors!.write(errs);
    if (out) await sinks.output.write(out);
    pending.flush();
    sinks.onProgress?.({ ...summary, seconds: (performance.now() - started) / 1000 });
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** Fuses already parsed items (a Step Functions Distributed Map batch): one record each, in order, `line` = index + 1. */
export async function fuseItems(items: readonly { index: number; request: unknown }[], options: BatchOptions): Promise<BatchRecord[]> {
  const pending = pendingDecisions(options);
  const fuseLine = lineFuser(options, pending);
  const out: BatchRecord[] = [];
  for (const { index, request } of items) {
    const rec = fuseLine(request, index + 1);
    out.push(rec instanceof Promise ? await rec : rec);
  }
  pending.flush();
  return out;
}

/** The error record of a line that was never read as text. */
function faultRecord(fault: LineFault, line: number): BatchRecord {
  const error =
    fault.kind === 'line-too-long'
      ? problem('line-too-long', `line ${line} is ${fault.bytes} bytes, over FUSION_MAX_LINE_BYTES (${fault.limit}); it was skipped unread. Split it into smaller requests (one per line), or raise FUSION_MAX_LINE_BYTES.`)
      : problem('invalid-utf8', `line ${line} is not valid UTF-8 text; it was skipped. Save the file as UTF-8 (ids and class names must not be guessed from other encodings).`);
  return { line, id: null, error };
}

async function loadOnce(ref: string, loader: ProfileLoader | undefined): Promise<Loaded> {
  if (!loader) return { ok: false, error: new NotFoundError(`Profile "${ref}" was not found: no profile store is configured.`, [{ path: 'profile', message: 'remove "profile" or configure a store' }]) };
  try {
    return { ok: true, profile: await loader(ref) };
  } catch (e) {
    if (e instanceof FusionError && !(e instanceof UnavailableError)) return { ok: false, error: e };
    throw e;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function idOf(v: unknown): Id {
  const id = isObject(v) ? v.id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
