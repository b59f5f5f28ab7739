/** Objects and a store factory shared by the store tests. */
import { S3Store, type StoreEvents, s3Client } from '../../functions/store/index.js';
import { S3RVER_CREDENTIALS } from '../support/s3.js';

/** A valid profile; `weights` overrides the default weights. */
export function profile(name = 'sentiment', weights: Record<string, number> = { text: 0.6, audio: 0.4 }, extra: Record<string, unknown> = {}) {
  return { name, classes: ['negative', 'positive'], modalities: ['text', 'audio'], weights, ...extra };
}

/** A valid learned model artifact (logistic) for `classes` × `modalities`. */
export function model(classes = ['negative', 'positive'], modalities = ['text', 'audio']) {
  const C = classes.length;
  const F = C * modalities.length;
  return {
    format: 'fusion-model',
    version: 1,
    kind: 'logistic',
    classes,
    modalities,
    fill: Object.fromEntries(modalities.map((m) => [m, new Array(C).fill(1 / C)])),
    training: {
      rows: 10,
      createdAt: '2026-01-01T00:00:00Z',
      dataSha256: '0'.repeat(64),
      options: {},
      metrics: { accuracy: 0.9, macroF1: 0.9, logLoss: 0.3, brier: 0.1, ece: 0.02 },
    },
    params: { coef: Array.from({ length: C }, (_, c) => Array.from({ length: F }, (_, f) => (f % C === c ? 1 : 0))), intercept: new Array(C).fill(0) },
  };
}

/** A manual clock: `clock.now()` in ms, moved with `clock.advance(ms)`. */
export function manualClock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** Store events recorded instead of logged. */
export function recorder() {
  const stale: { key: string; version: string; reason: string }[] = [];
  const unavailable: { key: string; reason: string }[] = [];
  const events: StoreEvents = { stale: (i) => stale.push(i), unavailable: (i) => unavailable.push(i) };
  return { stale, unavailable, events };
}

/**
 * An S3 store on `endpoint` (s3rver, or a fault proxy in front of it) with the production
 * client settings (deadline per attempt, 3 attempts with backoff), a manual clock and recorded
 * events.
 */
export function testStore(endpoint: string, bucket: string, options: { ttlMs?: number; timeoutMs?: number; prefix?: string; pinnedMax?: number; missingMax?: number } = {}) {
  const clock = manualClock();
  const rec = recorder();
  const timeoutMs = options.timeoutMs ?? 2000;
  const env = { AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_ENDPOINT_URL_S3: endpoint };
  const client = s3Client(env, timeoutMs);
  const store = new S3Store({ client, bucket, ttlMs: 30_000, now: clock.now, events: rec.events, ...options, timeoutMs });
  return { store, clock, ...rec };
}
