/**
 * The cold-start settings of the HTTP functions in the synthesised template: preloaded profiles
 * (`fusion:preloadProfiles`), provisioned concurrency (`fusion:provisionedConcurrency`), each per
 * function and checked with the key's name when invalid, and source maps (`fusion:sourceMaps`).
 */
import { describe, expect, it } from 'vitest';
import { type Synth, flat, functionLogicalId, nodeFunctions, resources, synth } from './synth.js';

/** One synthesis (seconds each) serves the tests of several keys. */
const COMBINED = { 'fusion:preloadProfiles': '{"vote": "a,b"}', 'fusion:provisionedConcurrency': { average: 2 }, 'fusion:sourceMaps': 'true' };

const env = (s: Synth, id: string) => (s.json.Resources[functionLogicalId(s, id)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

describe('fusion:preloadProfiles', () => {
  it('sets FUSION_PRELOAD_PROFILES on the named functions only, from a list or a comma-separated string', () => {
    const s = synth({ 'fusion:preloadProfiles': { average: ['sentiment', 'news@3f2a'], learned: 'digits-learned' } });
    expect(env(s, 'AverageFunction').FUSION_PRELOAD_PROFILES).toBe('sentiment,news@3f2a');
    expect(env(s, 'LearnedFunction').FUSION_PRELOAD_PROFILES).toBe('digits-learned');
    for (const id of ['VoteFunction', 'MetaFunction', 'SqsFunction']) expect(env(s, id).FUSION_PRELOAD_PROFILES, id).toBeUndefined();
  });

  it('accepts the JSON text `-c` passes on the command line', () => {
    expect(env(synth(COMBINED), 'VoteFunction').FUSION_PRELOAD_PROFILES).toBe('a,b');
  });

  it('refuses unknown functions and bad profile names, naming the key and the fix', () => {
    expect(() => synth({ 'fusion:preloadProfiles': { avg: 'x' } })).toThrow(/fusion:preloadProfiles.*keys are function names: average/);
    expect(() => synth({ 'fusion:preloadProfiles': { average: 'ok,../etc' } })).toThrow(/fusion:preloadProfiles\.average: "\.\.\/etc": not a profile name/);
    expect(() => synth({ 'fusion:preloadProfiles': 'sentiment' })).toThrow(/fusion:preloadProfiles: must be an object such as \{"average": \.\.\.\}/);
  });
});

describe('fusion:provisionedConcurrency', () => {
  it('adds nothing by default: no alias, no version, the API calls the functions', () => {
    const t = synth().json;
    expect(resources(t, 'AWS::Lambda::Alias')).toEqual([]);
    expect(resources(t, 'AWS::Lambda::Version')).toEqual([]);
  });

  it("gives the named function an alias with that many provisioned environments, and points its route at the alias", () => {
    const s = synth(COMBINED);
    const aliases = resources(s.json, 'AWS::Lambda::Alias');
    expect(aliases).toHaveLength(1);
    const [aliasId, alias] = aliases[0]!;
    expect(alias).toMatchObject({ Name: 'live', ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 } });
    expect(flat(alias.FunctionName)).toBe(`<${functionLogicalId(s, 'AverageFunction')}>`);
    const uris = resources(s.json, 'AWS::ApiGatewayV2::Integration').map(([, p]) => flat(p.IntegrationUri));
    expect(uris).toContain(`<${aliasId}>`);
    expect(uris).not.toContain(`<${functionLogicalId(s, 'AverageFunction')}.Arn>`);
    expect(uris).toContain(`<${functionLogicalId(s, 'VoteFunction')}.Arn>`);
  });

  it('refuses a count outside 1..1000 or an unknown function', () => {
    expect(() => synth({ 'fusion:provisionedConcurrency': { average: 0 } })).toThrow(/fusion:provisionedConcurrency\.average: must be at least 1/);
    expect(() => synth({ 'fusion:provisionedConcurrency': '{"nope": 1}' })).toThrow(/fusion:provisionedConcurrency.*keys are function names/);
  });
});

describe('fusion:sourceMaps', () => {
  const options = (context: Record<string, unknown>) =>
    new Set(nodeFunctions(synth(context).json).map(([, p]) => (p.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS));

  it('leaves NODE_OPTIONS unset by default, and sets --enable-source-maps on every function when true', () => {
    expect(options({})).toEqual(new Set([undefined]));
    expect(options(COMBINED)).toEqual(new Set(['--enable-source-maps']));
  });
});
