import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { ROUTES } from '../../functions/http/routes.js';
import { buildApp, projectContext } from '../../infra/lib/app.js';
import { functionId } from '../../infra/lib/stack.js';
import { dataBucketId, flat, functionLogicalId, logicalId, nodeFunctions, resources, statements, synth } from './synth.js';

const s = synth();
const fnId = (id: string) => functionLogicalId(s, id);
const bucketArn = () => `<${dataBucketId(s)}.Arn>`;
/** Logical id of a function's role (its `Role` is `{"Fn::GetAtt": [role, "Arn"]}`). */
const roleOf = (id: string) => (s.json.Resources[fnId(id)]!.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

/** Object resources an S3 action is allowed on, for one role: `{ 's3:GetObject': ['profiles/*', ...] }`. */
function s3Access(roleId: string): Record<string, string[]> {
  const arn = bucketArn();
  const access: Record<string, string[]> = {};
  for (const st of statements(s.json, roleId))
    for (const action of st.actions.filter((a) => a.startsWith('s3:')))
      (access[action] ??= []).push(...st.resources.map((r) => (r === arn ? '<bucket>' : r.replace(`${arn}/`, ''))));
  for (const list of Object.values(access)) list.sort();
  return access;
}

describe('functions', () => {
  it('deploys one function per registry strategy, plus meta, the three event handlers, the two of joins, the two of the loop and feedback', () => {
    expect(nodeFunctions(s.json)).toHaveLength(STRATEGY_NAMES.length + 1 + 3 + 2 + 2 + 1);
    for (const name of STRATEGY_NAMES) expect(s.stack.functions.has(functionId(name))).toBe(true);
    for (const id of ['MetaFunction', 'S3BatchFunction', 'SqsFunction', 'RetrainFunction', 'JoinsFunction', 'JoinTimerFunction', 'LoopDatasetFunction', 'LoopDriftFunction', 'FeedbackFunction']) expect(s.stack.functions.has(id)).toBe(true);
  });

  it('runs every function on Node.js 24, ARM64, with tracing, JSON logs and the Powertools environment', () => {
    for (const [, p] of nodeFunctions(s.json)) {
      expect(p.Runtime).toBe('nodejs24.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.TracingConfig).toEqual({ Mode: 'Active' });
      expect(p.LoggingConfig).toMatchObject({ LogFormat: 'JSON' });
      expect((p.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'late-fusion',
        POWERTOOLS_METRICS_NAMESPACE: 'LateFusion',
      });
    }
  });

  it('gives each function its own log group with retention and no AWS managed policy', () => {
    for (const [id, p] of nodeFunctions(s.json)) {
      const group = flat((p.LoggingConfig as { LogGroup: unknown }).LogGroup);
      expect(s.json.Resources[group.slice(1, -1)]?.Properties).toMatchObject({ RetentionInDays: 30 });
      const role = s.json.Resources[(p.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]]!;
      expect(role.Properties!.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it('points the fusion functions at the bucket with the store settings', () => {
    const env = (s.json.Resources[fnId('AverageFunction')]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.FUSION_BUCKET).toEqual({ Ref: dataBucketId(s) });
    expect(env).toMatchObject({ FUSION_CACHE_TTL_SECONDS: '30', FUSION_S3_TIMEOUT_MS: '2000', FUSION_MAX_BODY_BYTES: '1048576', FUSION_LOG_PAYLOADS: 'false' });
    const sqsEnv = (s.json.Resources[fnId('SqsFunction')]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(flat(sqsEnv.FUSION_RESULTS_QUEUE_URL)).toBe(`<${logicalId(s, s.stack.node.findChild('Queues').node.findChild('Results'))}>`);
  });
});

describe('HTTP API', () => {
  it('routes each entry of the routing table to its own function, with IAM authorisation', () => {
    const integrations = Object.fromEntries(resources(s.json, 'AWS::ApiGatewayV2::Integration').map(([id, p]) => [id, flat(p.IntegrationUri)]));
    const routes = Object.fromEntries(resources(s.json, 'AWS::ApiGatewayV2::Route').map(([, p]) => [p.RouteKey as string, p]));
    for (const route of [...ROUTES, { method: '', path: '$default', entry: 'meta' }]) {
      const key = route.method ? `${route.method} ${route.path}` : route.path;
      const r = routes[key];
      expect(r, key).toBeDefined();
      expect(r!.AuthorizationType).toBe('AWS_IAM');
      const target = flat(r!.Target).replace('integrations/', '').slice(1, -1);
      expect(integrations[target], key).toBe(`<${fnId(functionId(route.entry))}.Arn>`);
    }
    expect(Object.keys(routes)).toHaveLength(ROUTES.length + 1);
    expect(routes['POST /v1/fuse/average']).toBeDefined();
  });

  it('throttles, logs access as JSON and publishes per-route metrics on the stage', () => {
    const [[, stage]] = resources(s.json, 'AWS::ApiGatewayV2::Stage') as [[string, Record<string, unknown>]];
    expect(stage).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { DetailedMetricsEnabled: true, ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 } });
    const format = JSON.parse((stage.AccessLogSettings as { Format: string }).Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', caller: '$context.identity.userArn' });
  });

  it('offers callers a managed policy that invokes exactly the API routes', () => {
    const policies = resources(s.json, 'AWS::IAM::ManagedPolicy');
    expect(policies).toHaveLength(1);
    const [[, policy]] = policies as [[string, Record<string, unknown>]];
    const [statement, ...others] = (policy!.PolicyDocument as { Statement: { Action: string; Resource: unknown[] }[] }).Statement;
    expect(others).toEqual([]);
    expect(statement!.Action).toBe('execute-api:Invoke');
    const api = logicalId(s, s.stack.node.findChild('Api').node.findChild('Http'));
    expect(statement!.Resource.map(flat).sort()).toEqual(
      ROUTES.map((r) => `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${api}>/$default/${r.method}${r.path.replace(/\{[^}]+\}/g, '*')}`).sort(),
    );
  });

  it('has no CORS configuration unless origins are configured', () => {
    const [[, api]] = resources(s.json, 'AWS::ApiGatewayV2::Api') as [[string, Record<string, unknown>]];
    expect(api.CorsConfiguration).toBeUndefined();
  });
});

describe('least privilege', () => {
  it('lets fusion functions read only profiles/* and models/*', () => {
    for (const id of [...STRATEGY_NAMES.map(functionId), 'SqsFunction'])
      expect(s3Access(roleOf(id)), id).toEqual({
        's3:GetObject': ['models/*', 'profiles/*'],
        's3:GetObjectVersion': ['models/*', 'profiles/*'],
        's3:ListBucket': ['<bucket>'],
      });
    expect(s3Access(roleOf('MetaFunction'))).toEqual({});
  });

  it('lets the batch function read batch/in/ and write only batch/out/*', () => {
    const access = s3Access(roleOf('S3BatchFunction'));
    expect(access['s3:GetObject']).toEqual(['batch/in/*', 'batch/out/*', 'models/*', 'profiles/*']);
    for (const write of ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject']) expect(access[write], write).toEqual(['batch/out/*']);
  });

  it('lets the retraining function read training/, validation/, models/, profiles/ and write models/, reports/, profiles/', () => {
    const access = s3Access(roleOf('RetrainFunction'));
    expect(access['s3:GetObject']).toEqual(['models/*', 'profiles/*', 'training/*', 'validation/*']);
    expect(access['s3:PutObject']).toEqual(['models/*', 'profiles/*', 'reports/*']);
    expect(access['s3:DeleteObject']).toBeUndefined();
  });

  it('lets the state machine read batch inputs and write only its output prefix', () => {
    const sm = s.stack.node.findChild('LargeBatch').node.findChild('StateMachine');
    const access = s3Access(logicalId(s, sm.node.findChild('Role')));
    expect(access['s3:GetObject']).toEqual(['batch/in*', 'batch/out/large/*']);
    expect(access['s3:PutObject']).toEqual(['batch/out/large/*']);
  });

  it('never grants s3:* or a data action on Resource "*"', () => {
    const all = statements(s.json);
    expect(all.length).toBeGreaterThan(20);
    for (const st of all) {
      expect(st.actions.filter((a) => a === '*' || a.endsWith(':*')), st.policy).toEqual([]);
      if (st.resources.includes('*')) expect(st.actions.filter((a) => !/^(xray|logs):/.test(a)), st.policy).toEqual([]);
      for (const r of st.resources.filter((x) => x.includes(bucketArn()))) expect(r === bucketArn() || r.includes('/'), st.policy).toBe(true);
    }
  });
});

describe('outputs and cdk-nag', () => {
  it('exports the API URL, bucket, queue URLs and state machine ARN', () => {
    expect(Object.keys(s.json.Outputs ?? {}).sort()).toEqual(
      ['ApiUrl', 'BucketName', 'CallerPolicyArn', 'DeadLetterQueueUrl', 'DecisionBusName', 'DecisionStreamName', 'FailedEventsQueueUrl', 'FeedbackStreamName', 'JoinsTableName', 'LargeBatchStateMachineArn', 'RequestQueueUrl', 'ResultsQueueUrl'].sort(),
    );
  });

  it('has zero unacknowledged AwsSolutions and Serverless findings', () => {
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      const report = pack.validateScope(s.app);
      expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(' ')}`)).toEqual([]);
    }
  });

  it('fails synthesis when a resource breaks a rule and nobody acknowledged it', () => {
    const { app, stack } = buildApp({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
    new Queue(stack, 'Unencrypted', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3|AwsSolutions-SQS4|Serverless-SQSRedrivePolicy/);
  });
});
