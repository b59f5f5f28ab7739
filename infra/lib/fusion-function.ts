import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FusionConfig } from './config.js';

/** The repository root: esbuild resolves entries and `node_modules` from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** ESM bundles may contain CommonJS dependencies that call `require`: give them one. */
const REQUIRE_SHIM = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/** The file beside a strategy function's bundle with the shadow and canary code and every strategy. */
export const VARIANTS_CHUNK = 'variants.mjs';

/**
 * Builds `variants.mjs` after the bundle, with the same esbuild and settings, from
 * functions/loop/variants-runtime.ts; the strategy's function imports it only when a request's
 * profile names shadows or a canary.
 */
function variantsChunkHooks(compileParsers: boolean) {
  const esbuild = join(PROJECT_ROOT, 'node_modules', 'esbuild', 'bin', 'esbuild');
  const define = compileParsers ? '' : ' --define:FUSION_COMPILE_PARSERS=false';
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => [
      // The commands run as bash -c "...": single quotes only.
      `'${esbuild}' '${join(inputDir, 'functions/loop/variants-runtime.ts')}' --bundle --format=esm --platform=node --target=node24 --minify --log-level=warning${define} '--outfile=${join(outputDir, VARIANTS_CHUNK)}'`,
    ],
  };
}

/** What differs between the functions; everything else is fixed by `FusionFunction`. */
export interface FusionFunctionProps {
  /** Source file exporting `handler`, relative to the repository root or absolute. */
  entry: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  config: FusionConfig;
  environment?: Record<string, string>;
  /**
   * Whether the core compiles its request parsers (`z.compile`, see functions/fusion/parse.ts):
   * faster parsing for 29 KB of bundle and a few ms of init. Default true; false for functions
   * that answer one request per invocation (the HTTP strategy functions).
   */
  compileParsers?: boolean;
  /**
   * Whether `variants.mjs` (the shadow and canary code with every strategy, see
   * functions/http/variants-chunk.ts) is built beside the bundle. Default false.
   */
  variantsChunk?: boolean;
  /**
   * Where failed asynchronous invocations go (S3 notifications invoke asynchronously). Functions
   * without one are only ever invoked synchronously (API Gateway, SQS polling, Step Functions).
   */
  onFailure?: IDestination;
}

/**
 * A Lambda function with the project's defaults, set once: Node.js 24 on ARM64, an ESM bundle
 * built by the local esbuild (minified, its source map beside it for fusion:sourceMaps), its own
 * log group with retention, JSON logs, X-Ray tracing, the Powertools environment, and a role
 * that starts with nothing but writing to that log group (no AWS managed policy); callers grant
 * data access prefix by prefix.
 */
export class FusionFunction extends NodejsFunction {
  /** The function's role (never undefined: it is created here). */
  declare readonly role: IRole;

  constructor(scope: Construct, id: string, props: FusionFunctionProps) {
    const { config } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: config.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${id}: ${props.description}`,
    });
    super(scope, id, {
      entry: resolve(PROJECT_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        banner: REQUIRE_SHIM,
        define: {
          ...(props.compileParsers === false ? { FUSION_COMPILE_PARSERS: 'false' } : {}),
          ...(props.variantsChunk ? { FUSION_VARIANTS_CHUNK: JSON.stringify(`./${VARIANTS_CHUNK}`) } : {}),
        },
        ...(props.variantsChunk ? { commandHooks: variantsChunkHooks(props.compileParsers !== false) } : {}),
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
      },
      environment: {
        POWERTOOLS_SERVICE_NAME: config.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: config.metricsNamespace,
        // Off unless fusion:sourceMaps: it costs every cold start and every first 5xx (docs/deploy.md).
        ...(config.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        ...props.environment,
      },
      ...(props.onFailure ? { onFailure: props.onFailure, retryAttempts: 2 } : {}),
      // Reserved concurrency caps what one function can take from the account's pool (and
      // guarantees it that much): set per function with fusion:reservedConcurrency.
      ...(config.reservedConcurrency[id] !== undefined ? { reservedConcurrentExecutions: config.reservedConcurrency[id] } : {}),
    });
    logGroup.grantWrite(role);

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only the X-Ray actions (PutTraceSegments, PutTelemetryRecords) use "*": X-Ray has no resource-level permissions.',
    });
    if (props.onFailure) {
      Validations.of(this).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: 'Async failures go to an on-failure destination, which records the whole invocation (a DLQ would keep only the event).',
      });
    } else {
      for (const rule of ['Serverless-LambdaDLQ', 'Serverless-LambdaAsyncFailureDestination'])
        Validations.of(this).acknowledge({ id: rule, reason: 'Invoked only synchronously (API Gateway, SQS polling or Step Functions): failures return to the caller.' });
    }
  }
}

/** Timeouts and memory per kind of function, in one place. */
export const SIZES = {
  /** Behind the API: one request, a few S3 reads at most. */
  api: { memorySize: 512, timeout: Duration.seconds(10) },
  /** Static documents: strategies, health, OpenAPI. */
  meta: { memorySize: 256, timeout: Duration.seconds(5) },
  /** One SQS batch of up to 10 requests. */
  queue: { memorySize: 512, timeout: Duration.seconds(30) },
  /** A whole JSONL file, streamed; or one Distributed Map batch. */
  batch: { memorySize: 1024, timeout: Duration.minutes(15) },
  /** Training with cross-validation. */
  retrain: { memorySize: 2048, timeout: Duration.minutes(15) },
} as const;
