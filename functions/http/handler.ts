/**
 * The Lambda handler factory: middy around the pure core. Each strategy's entry file calls
 * `fuseHandler(rule)` with its own rule module only, so its bundle holds only that rule.
 */
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Context } from 'aws-lambda';
import { FusionError, InvalidRequestError } from '../fusion/errors.js';
import { fuseAny, fuseParsed } from '../fusion/fuse.js';
import { type Parsed, parseInput, profilesOf } from '../fusion/parse.js';
import type { ProfileLookup } from '../fusion/prepare.js';
import { type AnyBatchResponse, type AnyResponse, statedTask, taskOf, taskProfiles } from '../fusion/tasks/index.js';
import type { Strategy } from '../fusion/strategy.js';
import { METRIC, emitMetrics, logger, metrics } from '../observability.js';
import { DECISION_ID_HEADER, assignDecisionIds, collector, decisionIdAt, newDecisionId, recordDecisions, recorderConfig, validDecisionId } from '../loop/record.js';
import { loadProfiles } from '../store/index.js';
import { httpConfig, invocationEnv } from './config.js';
import { type HttpEvent, type HttpResult, allowMethods, bodyLimit, json, jsonBody, problemResponses, requestIds, securityHeaders } from './middleware.js';
import { preloadProfiles } from './preload.js';
import { variantsRuntime } from './variants-chunk.js';
import type { VariantsRuntime } from '../loop/variants-runtime.js';

// Cold start: the store (and its cache) for the process environment. The AWS SDK is imported
// when a request first names a profile, or here when FUSION_PRELOAD_PROFILES names some: Lambda
// waits for this top-level await during init, so those are loaded before the first request.
// Without FUSION_PRELOAD_PROFILES there is nothing to load and no await: awaiting even an
// empty preload cost init about 1 ms of CPU (the module resumed in a later job).
httpConfig(process.env);
recorderConfig(process.env);
if (process.env.FUSION_PRELOAD_PROFILES) await preloadProfiles(process.env.FUSION_PRELOAD_PROFILES, () => httpConfig(process.env).store, logger);

/** `FUSION_CORS_ORIGINS`: comma-separated allowed origins ("*" for any). Unset: no CORS headers. */
const CORS_ORIGINS = (process.env.FUSION_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);

/** What every entry exports as `handler`: an API Gateway event in, a response out. */
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/**
 * The middlewares every route shares: event and header normalisation, CORS (only when
 * `FUSION_CORS_ORIGINS` is set), security headers and the problem+json error mapper.
 */
export function httpStack(opts: { strategy?: string } = {}) {
  const stack = middy<HttpEvent, HttpResult, Error, Context>().use(httpEventNormalizer()).use(httpHeaderNormalizer());
  if (CORS_ORIGINS.length)
    stack.use(
      httpCors({
        origins: CORS_ORIGINS,
        methods: 'GET,POST,OPTIONS',
        headers: `content-type,authorization,x-amz-date,x-amz-security-token,x-amz-content-sha256,${DECISION_ID_HEADER}`,
        exposeHeaders: DECISION_ID_HEADER,
        disableBeforePreflightResponse: false,
      }),
    );
  return stack.use(securityHeaders()).use(problemResponses(opts));
}

function summarise(result: AnyResponse | AnyBatchResponse) {
  const results = 'results' in result ? result.results : [result];
  let missing = 0;
  let stale = 0;
  const task = (results[0] as { task?: string } | undefined)?.task ?? 'classification';
  for (const r of results) {
    missing += r.modalities.missing.length;
    if (r.profile?.stale) stale++;
  }
  return { count: results.length, missing, stale, task };
}

/**
 * The request's decision id: its `decisionId` field, else its `x-fusion-decision-id` header
 * (both must agree when both are sent), else a new UUID. A batch's items get `<id>:<index>`
 * unless an item sends its own.
 */
function requestDecisionId(event: HttpEvent): string {
  const header = event.headers?.[DECISION_ID_HEADER];
  if (header !== undefined && !validDecisionId(header))
    throw new InvalidRequestError([{ path: DECISION_ID_HEADER, message: 'the x-fusion-decision-id header must be 1 to 128 letters, digits, ".", "_", ":" or "-"' }]);
  const field = (event.body as { decisionId?: unknown } | null)?.decisionId;
  // An invalid field is the core's 400 (it names decisionId); only a valid one is used here.
  const own = validDecisionId(field) ? field : undefined;
  if (own !== undefined && header !== undefined && own !== header)
    throw new InvalidRequestError([{ path: 'decisionId', message: `decisionId ("${own}") and the x-fusion-decision-id header ("${header}") differ; send one, or the same id in both` }]);
  return own ?? header ?? newDecisionId();
}

/** One request's work once its profiles (if any) are loaded: fuse, count, log, answer. */
function fused(strategy: Strategy, event: HttpEvent, context: Context, parsed: Parsed | undefined, lookup: ProfileLookup | undefined, started: number, variants?: VariantsRuntime): HttpResult {
  const { limits, logPayloads } = httpConfig();
  const id = requestDecisionId(event);
  const { observe, decided } = collector();
  // `parsed` is the classification parse; a request stating another task goes through fuseAny.
  if (parsed && lookup) taskOf(event.body, lookup);
  // The variants hook (profiles with shadows or a canary) picks the canary from each decision's id.
  const hook = variants?.hook((i) => decisionIdAt(id, event.body, i));
  const options = hook ? { ...limits, decide: hook.decide } : limits;
  const result = parsed ? fuseParsed(strategy, parsed, lookup, options, observe) : fuseAny(strategy, event.body, lookup, options, observe);
  const decisions = assignDecisionIds(id, event.body, decided);
  if (hook) variants!.finish(decisions, hook.records, emitMetrics);
  const { count, missing, stale, task } = summarise(result);
  if (metrics.enabled)
    emitMetrics(
      { strategy: strategy.name, task },
      {
        [METRIC.decisionsFused]: count,
        [METRIC.itemsPerRequest]: count,
        [METRIC.missingModalities]: missing,
        ...(stale ? { [METRIC.staleProfiles]: stale } : {}),
      },
    );
  // One line per decision at DEBUG: API Gateway's access log already records every request,
  // and at INFO this line would cost more CPU than the fusion itself.
  if (logger.debugEnabled)
    logger.debug('fused', {
      ...requestIds(event, context),
      strategy: strategy.name,
      status: 200,
      decisions: count,
      missing_modalities: missing,
      ...(stale ? { stale_profiles: stale } : {}),
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      ...(logPayloads ? { request: event.body, response: result } : {}),
    });
  const response = json(200, result);
  // The estimate made before the work is an upper bound for ASCII names; this catches the rest.
  if (response.body.length > limits.maxResponseBytes / 3 && Buffer.byteLength(response.body) > limits.maxResponseBytes)
    throw new FusionError('response-too-large', `The answer has ${Buffer.byteLength(response.body)} bytes, over the limit of ${limits.maxResponseBytes} (FUSION_MAX_RESPONSE_BYTES). Split the request into smaller ones.`);
  response.headers[DECISION_ID_HEADER] = id;
  recordDecisions(decisions, { source: 'http', latencyMs: performance.now() - started }, recorderConfig(invocationEnv()));
  return response;
}

/**
 * The variants runtime, or undefined when its module cannot be loaded (a broken deployment):
 * the request is then answered by the primary, without shadows, and the failure logged.
 */
async function loadVariants(own: Strategy): Promise<VariantsRuntime | undefined> {
  try {
    return await variantsRuntime(own);
  } catch (e) {
    logger.error('shadows and canary skipped: their module could not be loaded', { error: (e as Error).message?.slice(0, 300) });
    if (metrics.enabled) emitMetrics({ strategy: own.name }, { [METRIC.shadowFailures]: 1 });
    return undefined;
  }
}

/** Whether a profile names shadows or a canary (loop/variants.ts has the same test; importing it would put that module in every strategy bundle). */
function hasVariants(lookup: ProfileLookup | undefined, names: string[]): boolean {
  return names.some((n) => {
    const p = lookup?.(n)?.profile;
    return p?.canary !== undefined || (p?.shadow?.length ?? 0) > 0;
  });
}

/**
 * The handler of `POST /v1/fuse/<strategy>`: a single request or a batch, as JSON. A request
 * that names no profile is answered synchronously: nothing in it waits, so middy's early-timeout
 * race (a timer per invocation) could never fire and is skipped; a request naming profiles
 * returns a promise and keeps that race around the store reads.
 */
export function fuseHandler(strategy: Strategy): HttpHandler {
  return httpStack({ strategy: strategy.name })
    .use(allowMethods(['POST']))
    .use(bodyLimit())
    .use(jsonBody())
    .handler((event, context) => {
      const started = performance.now();
      const { limits, store } = httpConfig();
      // The whole request is validated, and its profiles counted, before any store read.
      const parsed = statedTask(event.body) === undefined ? parseInput(event.body) : undefined;
      const names = parsed ? profilesOf(parsed, limits.maxProfiles) : taskProfiles(event.body, limits.maxProfiles);
      if (names.length === 0 || parsed?.errors.length) return fused(strategy, event, context, parsed, undefined, started);
      return loadProfiles(store, names).then(async (lookup) => {
        // Only a profile naming shadows or a canary takes the variants path (and loads its module).
        const variants = parsed && hasVariants(lookup, names) ? await loadVariants(strategy) : undefined;
        return fused(strategy, event, context, parsed, lookup, started, variants);
      });
    });
}
