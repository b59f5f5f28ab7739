/**
 * The decision recorder: every path (HTTP, CLI and S3 batch, SQS, joins) calls `recordDecisions`
 * once its answer is ready. Each decision kept by the sample becomes one `"type":"decision"`
 * JSON line on stdout (written directly, not through the logger, so a CloudWatch Logs
 * subscription filter `{ $.type = "decision" }` picks it up); locally (`npm start`,
 * `fusion batch`) the same lines are also appended to the local store under
 * `decisions/dt=YYYY-MM-DD/`. Decisions that name a profile also feed the label-free
 * per-modality metrics. Recording never changes or fails an answer.
 */
import { closeSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FusionError } from '../fusion/errors.js';
import type { DecisionObserver } from '../fusion/fuse.js';
import { type AnyDecision, type AnyPrepared, decisionLine, sampled } from '../fusion/loop/decision-line.js';
import type { DecisionLine, ShadowResult } from '../fusion/loop/decision-log.js';
import { unitHash } from '../fusion/loop/variant.js';
import { DECISION_ID_PATTERN } from '../fusion/schemas.js';
import { PREFIX } from '../layout.js';
import { METRIC, type MetricName, emitMetrics, logPayloads, logger, metrics } from '../observability.js';

/** The HTTP header carrying the decision id, both ways. */
export const DECISION_ID_HEADER = 'x-fusion-decision-id';

/** What the recorder reads from the environment. */
export interface RecorderConfig {
  /** `FUSION_DECISION_LOG_SAMPLE`: the share of decisions logged, 0 to 1 (default 1). */
  sample: number;
  /** `FUSION_LOG_PAYLOADS=true`: lines carry each modality's raw prediction (`inputs`). */
  payloads: boolean;
  /** The local store directory the lines are also appended to (set by `recordLocally`). */
  localDir?: string;
  /** Whether lines go to stdout (default true; the CLI, whose stdout may be its output, turns it off). */
  stdout: boolean;
}

const configs = new WeakMap<NodeJS.ProcessEnv, RecorderConfig>();

/** `FUSION_DECISION_LOG_SAMPLE` as a number in [0, 1]; anything else fails fast, naming the variable. */
export function sampleRate(env: NodeJS.ProcessEnv): number {
  const text = env.FUSION_DECISION_LOG_SAMPLE;
  if (text === undefined || text.trim() === '') return 1;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new FusionError('invalid-configuration', `FUSION_DECISION_LOG_SAMPLE must be a number from 0 to 1 (got "${text.slice(0, 40)}"); unset it to log every decision.`);
  return n;
}

/**
 * The recorder's configuration for `env`, read once per environment object (at cold start for
 * `process.env`). Throws `invalid-configuration` for a bad `FUSION_DECISION_LOG_SAMPLE`, so
 * adapters call it at init.
 */
export function recorderConfig(env: NodeJS.ProcessEnv = process.env): RecorderConfig {
  let config = configs.get(env);
  if (!config) {
    config = { sample: sampleRate(env), payloads: logPayloads(env), stdout: true };
    configs.set(env, config);
  }
  return config;
}

/**
 * Also appends the decision lines of invocations seeing `env` to the local store `dir` (the
 * local server and the CLI call this); `stdout: false` keeps them off stdout.
 */
export function recordLocally(env: NodeJS.ProcessEnv, dir: string, opts: { stdout?: boolean } = {}): RecorderConfig {
  const config = recorderConfig(env);
  config.localDir = dir;
  if (opts.stdout !== undefined) config.stdout = opts.stdout;
  return config;
}

/** Random UUIDs per read of /dev/urandom. */
const IDS_PER_READ = 64;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let urandom: number | null | undefined;
const pool = Buffer.alloc(16 * IDS_PER_READ);
let next = pool.length;

/** 16 random bytes from the pool, refilled from /dev/urandom; undefined where that cannot be read. */
function randomBytes16(): number | undefined {
  if (next === pool.length) {
    try {
      urandom ??= openSync('/dev/urandom', 'r');
      if (urandom === null || readSync(urandom, pool, 0, pool.length, null) !== pool.length) return undefined;
    } catch {
      urandom = null;
      return undefined;
    }
    next = 0;
  }
  const at = next;
  next += 16;
  return at;
}

/**
 * A fresh decision id: a random (version 4) UUID. Its bytes come from the kernel's CSPRNG
 * (/dev/urandom, the source OpenSSL seeds from) rather than from Web Crypto's
 * `crypto.randomUUID()`, whose first call loads Node's whole crypto layer: about 5 ms of CPU
 * on the first request of every cold start, against 0.2 ms (bench/README.md). Where
 * /dev/urandom cannot be read (Windows), Web Crypto it is.
 */
export function newDecisionId(): string {
  const at = randomBytes16();
  if (at === undefined) return globalThis.crypto.randomUUID();
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x40;
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80;
  let id = '';
  for (let i = 0; i < 16; i++) id += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + HEX[pool[at + i]!];
  return id;
}

/** The id of item `index` of a batch whose own id is `base`. */
export function itemDecisionId(base: string, index: number): string {
  return `${base}:${index}`;
}

/** Whether `id` is acceptable as a client's decision id (1 to 128 of A-Z a-z 0-9 . _ : -). */
export function validDecisionId(id: unknown): id is string {
  return typeof id === 'string' && DECISION_ID_PATTERN.test(id);
}

/** One decision to record: the id, what the core prepared and answered, and what variants add. */
export interface Decision {
  decisionId: string;
  prepared: AnyPrepared;
  response: AnyDecision;
  joinId?: string;
  variant?: 'primary' | 'canary';
  shadows?: ShadowResult[];
  /** This decision's own latency, when it differs from the request's (a batch line's). */
  latencyMs?: number;
}

/** What a whole request shares: where it came from and how long its answer took. */
export interface RecordContext {
  source: DecisionLine['source'];
  /** Milliseconds from receiving the request to having its answer. */
  latencyMs: number;
  time?: Date;
}

// The time of a line, formatted once per millisecond: busy servers decide many per millisecond.
let lastMs = -1;
let lastIso = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) (lastMs = ms), (lastIso = new Date(ms).toISOString());
  return lastIso;
}

/** Collects the core's decisions of one call: pass `observe` to `fuseAny`/`fuseParsed`, then read `decided`. */
export function collector(): { observe: DecisionObserver; decided: { prepared: AnyPrepared; response: AnyDecision }[] } {
  const decided: { prepared: AnyPrepared; response: AnyDecision }[] = [];
  return { observe: (prepared, response) => void decided.push({ prepared, response }), decided };
}

/** The id of decision `i` of a request whose id is `id` (the rule of `assignDecisionIds`); the canary is chosen from it before deciding. */
export function decisionIdAt(id: string, input: unknown, i: number): string {
  const items = (input as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return id;
  const own = (items[i] as { decisionId?: unknown } | null)?.decisionId;
  return validDecisionId(own) ? own : itemDecisionId(id, i);
}

/**
 * Gives each answer of one request (single or batch) its `decisionId` and returns the decisions
 * to record: a single request's is `id`; batch item i's is its own `decisionId`, else `<id>:<i>`.
 */
export function assignDecisionIds(id: string, input: unknown, decided: ReturnType<typeof collector>['decided']): Decision[] {
  const out: Decision[] = new Array(decided.length);
  for (let i = 0; i < decided.length; i++) {
    const { prepared, response } = decided[i]!;
    const decisionId = decisionIdAt(id, input, i);
    response.decisionId = decisionId;
    out[i] = { decisionId, prepared, response };
  }
  return out;
}

/**
 * Records `decisions` of one request: the sampled ones as decision lines (stdout, and the local
 * store when set) and as label-free metrics. Never throws: a failure is logged as a warning.
 */
export function recordDecisions(decisions: readonly Decision[], ctx: RecordContext, config: RecorderConfig = recorderConfig()): void {
  if (decisions.length === 0 || config.sample <= 0) return;
  try {
    const time = ctx.time ? ctx.time.toISOString() : isoNow();
    let text = '';
    const kept: DecisionLine[] = [];
    for (const d of decisions) {
      if (!sampled(config.sample, unitHash(d.decisionId))) continue;
      const line = decisionLine(
        { decisionId: d.decisionId, joinId: d.joinId, source: ctx.source, latencyMs: d.latencyMs ?? ctx.latencyMs, payloads: config.payloads, time, variant: d.variant, shadows: d.shadows },
        d.prepared,
        d.response,
      );
      kept.push(line);
      text += `${JSON.stringify(line)}\n`;
    }
    if (!text) return;
    if (config.stdout) process.stdout.write(text);
    if (config.localDir) appendLocal(config.localDir, time, text);
    if (metrics.enabled) emitModalityMetrics(kept);
  } catch (e) {
    logger.warn('decision log: a decision could not be recorded', { error: (e as Error).message?.slice(0, 500) });
  }
}

// Local lines wait in a small buffer, written at most every 200 ms or when 64 KiB are waiting
// (a synchronous write each request would cost more than the request itself on a slow disk), so
// memory stays bounded; `flushDecisionLog` writes them now, and runs at process exit.
const LOCAL_FLUSH_MS = 200;
const LOCAL_MAX_BUFFER = 64 * 1024;
let pendingPath = '';
let pendingText = '';
let flushTimer: ReturnType<typeof setTimeout> | undefined;
let open: { path: string; fd: number } | undefined;
let exitHook = false;

/** Queues lines for `<dir>/decisions/dt=<day>/local-<pid>.jsonl`. */
function appendLocal(dir: string, time: string, text: string): void {
  const path = join(dir, PREFIX.decisions, `dt=${time.slice(0, 10)}`, `local-${process.pid}.jsonl`);
  if (pendingPath !== path) flushDecisionLog();
  pendingPath = path;
  pendingText += text;
  if (pendingText.length >= LOCAL_MAX_BUFFER) flushDecisionLog();
  else flushTimer ??= setTimeout(flushDecisionLog, LOCAL_FLUSH_MS).unref();
  if (!exitHook) (exitHook = true), process.once('exit', flushDecisionLog);
}

/** Writes the decision lines waiting for the local store (the local server calls it on close). */
export function flushDecisionLog(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (!pendingText) return;
  const [path, text] = [pendingPath, pendingText];
  pendingText = '';
  try {
    if (open?.path !== path) {
      if (open) closeSync(open.fd);
      open = undefined;
      mkdirSync(dirname(path), { recursive: true });
      open = { path, fd: openSync(path, 'a') };
    }
    writeSync(open.fd, text);
  } catch (e) {
    logger.warn('decision log: the local store could not be written', { path, error: (e as Error).message?.slice(0, 500) });
  }
}

type Sums = Partial<Record<MetricName, number>>;

/**
 * The label-free metrics of the request's logged decisions that name a profile: one EMF record
 * per (profile, modality) with sums over those decisions (see `METRIC.modality*`), so that a
 * batch costs as few records as a single request and rates are exact ratios of sums.
 */
export function modalitySums(lines: readonly DecisionLine[]): Map<string, { profile: string; modality: string; values: Sums }> {
  const out = new Map<string, { profile: string; modality: string; values: Sums }>();
  const add = (profile: string, modality: string, name: MetricName, v: number) => {
    const key = `${profile}\u0000${modality}`;
    let entry = out.get(key);
    if (!entry) out.set(key, (entry = { profile, modality, values: {} }));
    entry.values[name] = (entry.values[name] ?? 0) + v;
  };
  for (const line of lines) {
    const profile = line.profile?.name;
    if (profile === undefined) continue;
    for (const m of line.missing) {
      add(profile, m, METRIC.modalityDecisions, 1);
      add(profile, m, METRIC.modalityMissing, 1);
    }
    for (const [m, s] of Object.entries(line.modalities)) {
      add(profile, m, METRIC.modalityDecisions, 1);
      add(profile, m, METRIC.modalityMissing, 0);
      add(profile, m, METRIC.modalityContribution, s.contribution);
      if (line.task === 'classification') {
        const c = s as { label: string; confidence: number };
        add(profile, m, METRIC.modalityConfidence, c.confidence);
        add(profile, m, METRIC.modalityDisagreement, c.label === line.output.label ? 0 : 1);
      } else if (line.task === 'multilabel') {
        const c = s as { labels: string[]; confidence: number };
        add(profile, m, METRIC.modalityConfidence, c.confidence);
        add(profile, m, METRIC.modalityDisagreement, sameLabels(c.labels, line.output.labels) ? 0 : 1);
      }
    }
  }
  return out;
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

/**
 * Emits the per-{profile, modality} sums, then the request's service-wide totals of
 * `ModalityDecisions` and `ModalityMissing` (dimension `service` only): the fast missing-rate
 * alarm divides those over 5 minutes, since an alarm cannot sum over dimension values it does
 * not know (the profiles and modalities).
 */
function emitModalityMetrics(lines: readonly DecisionLine[]): void {
  let decisions = 0;
  let missing = 0;
  for (const { profile, modality, values } of modalitySums(lines).values()) {
    emitMetrics({ profile, modality }, values);
    decisions += values[METRIC.modalityDecisions] ?? 0;
    missing += values[METRIC.modalityMissing] ?? 0;
  }
  if (decisions > 0) emitMetrics({}, { [METRIC.modalityDecisions]: decisions, [METRIC.modalityMissing]: missing });
}
