/**
 * `@late-fusion/client`: a typed client of the late-fusion API. Request and response types are
 * generated from the server's zod schemas at build time (`contract.ts`).
 */
export {
  FusionClient, type AuthMode, type BatchDefaults, type FusionClientOptions, type MultilabelBatchDefaults, type RegressionBatchDefaults, type TaskBatchDefaults, type TaskBatchItem,
} from './client.js';
export { FusionProblemError, FusionTimeoutError, type ProblemDetails } from './errors.js';
export { Join, type JoinArrivals, type JoinDecided, type JoinInsufficient, type JoinOutcome, type JoinPending, type JoinPrediction, type JoinState, type WaitOptions } from './joins.js';
export { signRequest, type Credentials, type CredentialsSource, type RequestToSign, type SigningOptions } from './sigv4.js';
export { retryDelay, retryAfterMs, RETRY_STATUSES } from './retry.js';
export type * from './contract.js';
