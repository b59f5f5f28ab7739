import { type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_ENTRY, ROUTES } from '../../functions/http/routes.js';
import type { FusionConfig } from './config.js';

/** One JSON object per request: who called, which route, what happened, how long it took. */
const ACCESS_LOG = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    time: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    caller: '$context.identity.userArn',
    subject: '$context.authorizer.claims.sub',
    route: '$context.routeKey',
    status: '$context.status',
    latencyMs: '$context.responseLatency',
    integrationLatencyMs: '$context.integrationLatency',
    integrationStatus: '$context.integrationStatus',
    responseBytes: '$context.responseLength',
    error: '$context.error.message',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/** Headers a SigV4-signing browser client sends, plus JSON and bearer tokens. */
const CORS_HEADERS = ['content-type', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'];

/**
 * The HTTP API: each route of the shared routing table (`functions/http/routes.ts`) to its own
 * function, every other request to the meta function (`$default`: 404 or 405 problem bodies).
 * IAM (SigV4) authorisation on every route unless `fusion:auth=jwt`; stage throttling; JSON
 * access logs; per-route metrics; CORS only when `fusion:corsOrigins` is set.
 */
export class FusionApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /**
   * In IAM mode: a managed policy allowing `execute-api:Invoke` on exactly the API's routes, for
   * the modality services' roles to attach.
   */
  readonly callerPolicy?: ManagedPolicy;

  /** `functions` maps each routing-table entry name to its deployed function. */
  constructor(scope: Construct, id: string, props: { config: FusionConfig; functions: ReadonlyMap<string, IFunction> }) {
    super(scope, id);
    const { config } = props;
    const integrations = new Map([...props.functions].map(([entry, f]) => [entry, new HttpLambdaIntegration(`${entry}Integration`, f)]));
    const integration = (entry: string) => {
      const found = integrations.get(entry);
      if (!found) throw new Error(`No function deployed for routing entry "${entry}" (functions/http/routes.ts).`);
      return found;
    };

    this.api = new HttpApi(this, 'Http', {
      description: 'Late-fusion API: POST /v1/fuse/{strategy}, GET /v1/strategies, /v1/health, /v1/openapi.json',
      createDefaultStage: false,
      defaultAuthorizer: authorizer(config),
      defaultIntegration: integration(DEFAULT_ENTRY),
      ...(config.corsOrigins.length
        ? {
            corsPreflight: {
              allowOrigins: config.corsOrigins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.OPTIONS],
              allowHeaders: CORS_HEADERS,
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    for (const route of ROUTES)
      this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration: integration(route.entry) });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: config.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      detailedMetricsEnabled: true,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG },
    });

    if (config.auth === 'iam')
      this.callerPolicy = new ManagedPolicy(this, 'CallerPolicy', {
        description: 'Lets a modality service call the late-fusion API (SigV4)',
        statements: [
          new PolicyStatement({
            actions: ['execute-api:Invoke'],
            resources: ROUTES.map((r) => this.api.arnForExecuteApi(r.method, r.path.replace(/\{[^}]+\}/g, '*'), this.stage.stageName)),
          }),
        ],
      });
    // Routes with path parameters ({profile}, {joinId}) need one wildcard per parameter.
    const apiId = Stack.of(this).resolve((this.api.node.defaultChild as CfnResource).logicalId) as string;
    for (const r of ROUTES.filter((x) => x.path.includes('{')))
      if (this.callerPolicy)
        Validations.of(this.callerPolicy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/${this.stage.stageName}/${r.method}${r.path.replace(/\{[^}]+\}/g, '*')}]`,
          reason: `${r.method} ${r.path}: each "*" stands for exactly one path parameter of that route.`,
        });
  }

  /** The base URL clients call (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  get url(): string {
    return this.stage.url;
  }
}

function authorizer(config: FusionConfig): IHttpRouteAuthorizer {
  if (config.auth === 'iam') return new HttpIamAuthorizer();
  return new HttpJwtAuthorizer('Jwt', config.jwtIssuer!, { jwtAudience: config.jwtAudience! });
}
