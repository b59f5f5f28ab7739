import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/http/routes.js';
import { CONTEXT_KEYS } from '../../infra/lib/config.js';
import { resources, synth } from './synth.js';

const JWT = { 'fusion:auth': 'jwt', 'fusion:jwtIssuer': 'https://issuer.example.com/', 'fusion:jwtAudience': 'fusion-api,batch' };

describe('auth mode', () => {
  it('uses IAM (SigV4) on every route by default, with no authoriser resource', () => {
    const t = synth().json;
    expect(resources(t, 'AWS::ApiGatewayV2::Authorizer')).toEqual([]);
    const routes = resources(t, 'AWS::ApiGatewayV2::Route');
    expect(routes).toHaveLength(ROUTES.length + 1);
    for (const [, r] of routes) expect(r.AuthorizationType).toBe('AWS_IAM');
  });

  it('switches every route to a JWT authoriser with the configured issuer and audiences', () => {
    const t = synth(JWT).json;
    const authorizers = resources(t, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [[authorizerId, authorizer]] = authorizers as [[string, Record<string, unknown>]];
    expect(authorizer).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://issuer.example.com/', Audience: ['fusion-api', 'batch'] },
    });
    for (const [, r] of resources(t, 'AWS::ApiGatewayV2::Route')) expect(r).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
    expect(resources(t, 'AWS::IAM::ManagedPolicy')).toEqual([]);
    expect(Object.keys(t.Outputs ?? {})).not.toContain('CallerPolicyArn');
  });

  it('refuses JWT mode without an issuer and audience, naming the keys', () => {
    expect(() => synth({ 'fusion:auth': 'jwt' })).toThrow(/fusion:jwtIssuer.*fusion:jwtAudience/);
    expect(() => synth({ 'fusion:auth': 'cognito' })).toThrow(/fusion:auth/);
  });
});

describe('log retention', () => {
  const retentions = (context: Record<string, unknown>) =>
    new Set(resources(synth(context).json, 'AWS::Logs::LogGroup').map(([, p]) => p.RetentionInDays));

  it('applies the configured retention to every log group (default 30 days)', () => {
    expect(retentions({})).toEqual(new Set([30]));
    expect(retentions({ 'fusion:logRetentionDays': 7 })).toEqual(new Set([7]));
  });

  it('refuses a retention CloudWatch does not offer', () => {
    expect(() => synth({ 'fusion:logRetentionDays': 4 })).toThrow(/fusion:logRetentionDays: must be one of 1, 3, 5, 7/);
  });
});

describe('dead-letter queue', () => {
  const maxReceiveCount = (context: Record<string, unknown>) =>
    resources(synth(context).json, 'AWS::SQS::Queue')
      .map(([, p]) => (p.RedrivePolicy as { maxReceiveCount?: number } | undefined)?.maxReceiveCount)
      .filter((n) => n !== undefined);

  it('moves a request to the DLQ after the configured number of receives (default 5)', () => {
    // The request queue and the joins' timer queue.
    expect(maxReceiveCount({})).toEqual([5, 5]);
    expect(maxReceiveCount({ 'fusion:dlqMaxReceiveCount': '3' })).toEqual([3, 3]);
  });

  it('refuses a count that is not a whole number from 1', () => {
    expect(() => synth({ 'fusion:dlqMaxReceiveCount': 0 })).toThrow(/fusion:dlqMaxReceiveCount/);
    expect(() => synth({ 'fusion:dlqMaxReceiveCount': 'five' })).toThrow(/fusion:dlqMaxReceiveCount/);
  });
});

describe('CORS', () => {
  it('is configured on the API and the handlers only when origins are given', () => {
    const envs = (context: Record<string, unknown>) =>
      resources(synth(context).json, 'AWS::Lambda::Function').map(([, p]) => (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
    expect(envs({}).some((v) => 'FUSION_CORS_ORIGINS' in v)).toBe(false);

    const context = { 'fusion:corsOrigins': ['https://app.example.com'] };
    const [[, api]] = resources(synth(context).json, 'AWS::ApiGatewayV2::Api') as [[string, Record<string, unknown>]];
    expect(api.CorsConfiguration).toMatchObject({ AllowOrigins: ['https://app.example.com'], AllowMethods: ['GET', 'POST', 'PUT', 'OPTIONS'] });
    expect(envs(context).filter((v) => v.FUSION_CORS_ORIGINS === 'https://app.example.com')).toHaveLength(new Set(ROUTES.map((r) => r.entry)).size);
  });
});

describe('documentation', () => {
  it('documents every context key the stack reads', () => {
    const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    expect(CONTEXT_KEYS.length).toBeGreaterThan(10);
    expect(CONTEXT_KEYS.filter((key) => !doc.includes(`\`${key}\``))).toEqual([]);
  });
});
