/** `FusionClient`: the late-fusion API as typed methods, signed, with retries. */
import type {
  Feedback, FeedbackAccepted, FusionBatch, FusionRequest, FusionResponse, Health, MultilabelBatch, MultilabelItem, MultilabelRequest, MultilabelResponse,
  RegressionBatch, RegressionItem, RegressionRequest, RegressionResponse, StrategyList, TaskRequest, TaskResponse,
} from './contract.js';
import { FusionProblemError, toProblem } from './errors.js';
import { Join } from './joins.js';
import { type Backoff, DEFAULT_BACKOFF, RETRY_STATUSES, retryDelay, sleep } from './retry.js';
import { type Credentials, type CredentialsSource, signRequest } from './sigv4.js';

/** How requests authenticate: SigV4 (API Gateway IAM auth), a bearer JWT, or nothing (`npm start`). */
export type AuthMode = 'iam' | 'jwt' | 'none';

/** `new FusionClient(options)`. */
export interface FusionClientOptions {
  /** The API's base URL: the stack's `ApiUrl` output, or `http://127.0.0.1:3000`. */
  endpoint: string;
  /** Signing region; default: from an `execute-api` host name, else `AWS_REGION`. */
  region?: string;
  /** Default `none` for a loopback `http:` endpoint (`npm start`), else `iam`. */
  auth?: AuthMode;
  /** For `iam`: credentials or a provider; default the AWS SDK's chain (`@aws-sdk/credential-providers`). */
  credentials?: CredentialsSource;
  /** For `jwt`: the token, or a function returning a fresh one. */
  token?: string | (() => string | Promise<string>);
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first attempt, on 429, 503, network errors and timeouts (default 3). */
  retries?: number;
  /** Backoff between retries (default 100 ms doubling, at most 20 s). */
  backoff?: Partial<Backoff>;
}

/** A classification batch's shared defaults: every field of a request, applied to each item it does not set. */
export type BatchDefaults = Omit<FusionBatch, 'items'>;
/** A regression batch's shared defaults; `task: "regression"` is required (it applies to every item). */
export type RegressionBatchDefaults = Omit<RegressionBatch, 'items'>;
/** A multi-label batch's shared defaults; `task: "multilabel"` is required (it applies to every item). */
export type MultilabelBatchDefaults = Omit<MultilabelBatch, 'items'>;
/** A batch item of any task: its batch's `task` (in the defaults) says which. */
export type TaskBatchItem = FusionRequest | RegressionItem | MultilabelItem;
/** A batch's shared defaults, of any task. */
export type TaskBatchDefaults = BatchDefaults | RegressionBatchDefaults | MultilabelBatchDefaults;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const EXECUTE_API = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/;

/** A client of the late-fusion API. Methods throw `FusionProblemError` for every non-2xx answer. */
export class FusionClient {
  readonly #base: string;
  readonly #auth: AuthMode;
  readonly #region: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoff: Backoff;
  readonly #token: FusionClientOptions['token'];
  #credentials: CredentialsSource | undefined;

  constructor(opts: FusionClientOptions) {
    const url = new URL(opts.endpoint); // throws on a malformed endpoint, before any request
    this.#base = url.href.replace(/\/+$/, '');
    this.#auth = opts.auth ?? (url.protocol === 'http:' && LOOPBACK.has(url.hostname) ? 'none' : 'iam');
    if (!['iam', 'jwt', 'none'].includes(this.#auth)) throw new TypeError(`auth must be "iam", "jwt" or "none" (got ${JSON.stringify(opts.auth)})`);
    if (this.#auth === 'jwt' && !opts.token) throw new TypeError('auth "jwt" needs a token: pass token (a string or a function returning one)');
    this.#region = opts.region ?? EXECUTE_API.exec(url.hostname)?.[1] ?? (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.AWS_REGION;
    if (this.#auth === 'iam' && !this.#region) throw new TypeError('auth "iam" needs a region: pass region, use an execute-api endpoint, or set AWS_REGION');
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#retries = opts.retries ?? 3;
    this.#backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.#token = opts.token;
    this.#credentials = opts.credentials;
  }

  /**
   * Fuses one request with a strategy (`POST /v1/fuse/{strategy}`). The request's `task` picks
   * its shape and the answer's: classification (no `task`) answers a `FusionResponse`,
   * `"regression"` a `RegressionResponse` (`value`, `std`), `"multilabel"` a
   * `MultilabelResponse` (`scores`, `labels`).
   */
  fuse(strategy: string, request: RegressionRequest): Promise<RegressionResponse>;
  fuse(strategy: string, request: MultilabelRequest): Promise<MultilabelResponse>;
  fuse(strategy: string, request: FusionRequest): Promise<FusionResponse>;
  fuse(strategy: string, request: TaskRequest): Promise<TaskResponse>;
  async fuse(strategy: string, request: TaskRequest): Promise<TaskResponse> {
    return (await this.request('POST', `/v1/fuse/${encodeURIComponent(strategy)}`, request)).body as TaskResponse;
  }

  /**
   * Fuses up to 1000 requests in one call; `defaults` apply to every item that does not set
   * them. A regression or multi-label batch states its `task` in `defaults` (it applies to every
   * item) and answers that task's responses, one per item in order. An invalid item rejects the
   * whole batch: `FusionProblemError` (400, or 422 for too few modalities) whose `errors` paths
   * start with the item's index (`items.1.predictions.text.value`); there are no per-item errors.
   */
  fuseBatch(strategy: string, items: RegressionItem[], defaults: RegressionBatchDefaults): Promise<RegressionResponse[]>;
  fuseBatch(strategy: string, items: MultilabelItem[], defaults: MultilabelBatchDefaults): Promise<MultilabelResponse[]>;
  fuseBatch(strategy: string, items: FusionRequest[], defaults?: BatchDefaults): Promise<FusionResponse[]>;
  async fuseBatch(strategy: string, items: TaskBatchItem[], defaults: TaskBatchDefaults = {}): Promise<TaskResponse[]> {
    const res = await this.request('POST', `/v1/fuse/${encodeURIComponent(strategy)}`, { ...defaults, items });
    return (res.body as { results: TaskResponse[] }).results;
  }

  /** The strategies the API serves, with what each reads (`GET /v1/strategies`). */
  async strategies(): Promise<StrategyList['strategies']> {
    return ((await this.request('GET', '/v1/strategies')).body as StrategyList).strategies;
  }

  /** `GET /v1/health`. */
  async health(): Promise<Health> {
    return (await this.request('GET', '/v1/health')).body as Health;
  }

  /**
   * Sends the true outcome of an earlier decision or join (`POST /v1/feedback`, answered 202):
   * one id (`decisionId` or `joinId`) and one outcome (`label`, `value` or `labels`). Safe to
   * repeat (and retried on 503): feedback is idempotent per id and `source`.
   */
  async feedback(feedback: Feedback): Promise<FeedbackAccepted> {
    return (await this.request('POST', '/v1/feedback', feedback)).body as FeedbackAccepted;
  }

  /** A handle on one join of a profile: `put`, `get` and `wait`. No request is made until one is called. */
  join(profile: string, joinId: string): Join {
    return new Join((method, path, body) => this.request(method, path, body), profile, joinId);
  }

  /**
   * Sends one request: signs it (again on each attempt), retries 429, 503, network errors and
   * timeouts with backoff, and throws `FusionProblemError` for any other non-2xx answer.
   */
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const url = this.#base + path;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < this.#retries;
      const headers = await this.#headers(method, url, payload); // signed afresh: the signature holds the time
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, { method, headers, body: payload ?? null, signal: AbortSignal.timeout(this.#timeoutMs) });
        text = await res.text(); // within the attempt's timeout: a body cut off is retried too
      } catch (e) {
        if (!retriesLeft || !isTransient(e)) throw e;
        await sleep(retryDelay(attempt, null, this.#backoff));
        continue;
      }
      if (res.ok) return { status: res.status, body: text ? JSON.parse(text) : undefined };
      if (retriesLeft && RETRY_STATUSES.has(res.status)) {
        await sleep(retryDelay(attempt, res.headers.get('retry-after'), this.#backoff));
        continue;
      }
      throw new FusionProblemError(toProblem(res.status, res.statusText, text));
    }
  }

  async #headers(method: string, url: string, payload: string | undefined): Promise<Record<string, string>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (this.#auth === 'jwt') headers.authorization = `Bearer ${typeof this.#token === 'function' ? await this.#token() : this.#token}`;
    if (this.#auth !== 'iam') return headers;
    const signed = await signRequest({ method, url, headers, body: payload }, { credentials: await this.#source(), region: this.#region! });
    delete signed.host; // fetch sets Host itself, to the same value
    return signed;
  }

  async #source(): Promise<CredentialsSource> {
    if (this.#credentials) return this.#credentials;
    const mod = '@aws-sdk/credential-providers'; // an optional peer: loaded only when needed
    const { fromNodeProviderChain } = (await import(/* @vite-ignore */ mod).catch(() => {
      throw new TypeError('auth "iam" without credentials needs @aws-sdk/credential-providers (npm i @aws-sdk/credential-providers), or pass credentials');
    })) as { fromNodeProviderChain: () => () => Promise<Credentials> };
    this.#credentials = fromNodeProviderChain();
    return this.#credentials;
  }
}

/** A network failure or a timed-out attempt: safe to retry, every call being idempotent. */
function isTransient(e: unknown): boolean {
  return e instanceof TypeError || (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError'));
}
