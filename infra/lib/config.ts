/**
 * The stack's parameters, read once from CDK context (`cdk.json` or `npx cdk deploy -c key=value`)
 * and checked with zod, so a typo fails synthesis with the key's name and how to fix it.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';
import * as zm from 'zod/mini';
import { STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { preloadList } from '../../functions/http/preload.js';
import { ENTRIES } from '../../functions/http/routes.js';

/** Log retentions CloudWatch accepts, except "never expire" (an unbounded bill). */
const RETENTIONS = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v !== RetentionDays.INFINITE);

/** A list given as a JSON array (cdk.json) or a comma-separated string (`-c key=a,b`). */
const list = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().min(1)),
);
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/**
 * Function construct id → reserved concurrent executions, as a JSON object (cdk.json) or
 * `Id=n,Id=n` (`-c fusion:reservedConcurrency=AverageFunction=20,S3BatchFunction=2`).
 */
const reservedConcurrency = zm.pipe(
  zm.transform((v: unknown) => (typeof v === 'string' ? Object.fromEntries(v.split(',').filter((p) => p.trim()).map((p) => p.split('=').map((s) => s.trim()))) : v)),
  zm.record(
    zm.string().check(zm.regex(/^[A-Z][A-Za-z0-9]*Function$/, 'keys are function construct ids such as AverageFunction or S3BatchFunction')),
    zm.pipe(
      zm.transform((v: unknown) => (typeof v === 'string' && v !== '' ? Number(v) : v)),
      zm.int('reserved concurrency must be a whole number from 0 to 1000').check(zm.gte(0, 'reserved concurrency must be >= 0'), zm.lte(1000, 'reserved concurrency must be <= 1000')),
    ),
    { error: (issue) => (issue.code === 'invalid_key' ? 'keys are function construct ids such as AverageFunction or S3BatchFunction' : undefined) },
  ),
);
const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

/**
 * A value per function, `{"<entry>": value}`: an object (cdk.json) or its JSON text
 * (`-c 'key={"average": ...}'`). Keys are routing entries (`keys`); absent means `{}`.
 */
const perFunction = <T extends zm.ZodMiniType>(keys: readonly string[], value: T) =>
  zm.pipe(
    zm.transform((v: unknown) => {
      if (v === undefined) return {};
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    }),
    zm.partialRecord(zm.enum(keys as [string, ...string[]]), value, {
      // A partial record reports unknown keys as `unrecognized_keys` (its declared codes omit it).
      error: (issue) => {
        const unknown = (issue as { keys?: string[] }).keys;
        return unknown || issue.code === 'invalid_key'
          ? `unknown ${unknown?.join(', ') ?? 'key'}; keys are function names: ${keys.join(', ')}`
          : `must be an object such as {"${keys[0]}": ...} (JSON text on the command line)`;
      },
    }),
  );

/** Profiles to preload: a list of names or one comma-separated string, stored comma-separated. */
const profileList = zm.pipe(
  zm.union([zm.string(), zm.array(zm.string())], { error: 'must be a profile name list: ["a", "b"] or "a,b"' }),
  zm.transform((v: string | string[]) => (Array.isArray(v) ? v.join(',') : v)),
).check(
  zm.refine((v: string) => preloadList(v).rejected.length === 0 && preloadList(v).names.length > 0, {
    error: (issue) => {
      const { rejected } = preloadList(issue.input as string);
      return rejected.length ? rejected.map((r) => `"${r.entry}": ${r.reason}`).join('; ') : 'names no profile; name one or drop the entry';
    },
  }),
);

/** Every context key the stack reads (all prefixed `fusion:`), with its default. */
const Context = z
  .object({
    auth: z.enum(['iam', 'jwt']).default('iam'),
    jwtIssuer: z.url().optional(),
    jwtAudience: list.optional(),
    corsOrigins: list.default([]),
    logRetentionDays: z.coerce
      .number()
      .refine((d) => RETENTIONS.includes(d), `must be one of ${RETENTIONS.join(', ')} (days)`)
      .default(30),
    dlqMaxReceiveCount: count(1, 1000).default(5),
    throttleRateLimit: count(1, 100_000).default(100),
    throttleBurstLimit: count(1, 5_000).default(200),
    cacheTtlSeconds: count(0, 86_400).default(30),
    s3TimeoutMs: count(100, 60_000).default(2000),
    maxBodyBytes: count(1, 10 * 1024 * 1024).default(1024 * 1024),
    logPayloads: flag.default(false),
    batchOutputExpirationDays: count(1, 3650).default(30),
    largeBatchConcurrency: count(1, 10_000).default(50),
    reservedConcurrency: zm._default(reservedConcurrency, {}),
    alarmErrorRate: z.coerce.number().gt(0).lt(1).default(0.01),
    alarmP99LatencyMs: count(1, 30_000).default(1000),
    alarmOldestMessageSeconds: count(1, 1_209_600).default(300),
    alarmTopicArn: z.string().startsWith('arn:').optional(),
    serviceName: z.string().min(1).default('late-fusion'),
    metricsNamespace: z.string().min(1).default('LateFusion'),
    sourceMaps: flag.default(false),
    preloadProfiles: perFunction(STRATEGY_NAMES, profileList),
    loopSchedule: z
      .string()
      .regex(/^(rate|cron)\([^()]{1,200}\)$/, 'must be an EventBridge Scheduler expression such as rate(1 day) or cron(30 0 * * ? *)')
      .default('cron(30 0 * * ? *)'),
    loopDays: count(1, 31).default(1),
    alarmMissingRate: z.coerce.number().gt(0).lte(1).default(0.5),
    alarmMissingSpike: z.coerce.number().gt(0).lt(1).default(0.2),
    alarmMissingSpikeMinimum: count(1, 1_000_000).default(30),
    provisionedConcurrency: perFunction(ENTRIES, zm.int({ error: 'must be a whole number of environments' }).check(zm.gte(1, 'must be at least 1'), zm.lte(1000, 'must be at most 1000'))),
  })
  .refine((c) => c.auth !== 'jwt' || (c.jwtIssuer && c.jwtAudience?.length), {
    message: 'fusion:auth=jwt needs fusion:jwtIssuer (the token issuer URL) and fusion:jwtAudience (one or more audiences)',
    path: ['auth'],
  });

/** The validated stack parameters. */
export type FusionConfig = z.output<typeof Context>;

/** The context keys, for the docs and error messages. */
export const CONTEXT_KEYS = Object.keys(Context.shape).map((k) => `fusion:${k}`);

/**
 * Reads `fusion:*` context from `node` (an app or stack) and returns the parameters, or throws
 * an error naming every invalid key.
 */
export function readConfig(node: Node): FusionConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(Context.shape)) {
    const value = node.tryGetContext(`fusion:${key}`);
    if (value !== undefined) raw[key] = value;
  }
  const parsed = Context.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `  fusion:${i.path.join('.')}: ${i.message}`);
  throw new Error(`Invalid CDK context:\n${problems.join('\n')}\nSet it in cdk.json "context" or with -c key=value.`);
}
