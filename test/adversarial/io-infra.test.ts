/**
 * Issue 11, items 11 and 12 on the synthesised stack: s3:ListBucket only with an s3:prefix
 * condition naming each function's prefixes; the batch function reads exactly batch/in/ (not
 * batch/internal/); retraining can read the operator's holdout but never write it; reserved
 * concurrency per function from fusion:reservedConcurrency.
 */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../infra/lib/config.js';
import { STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { functionId } from '../../infra/lib/stack.js';
import { type CfnTemplate, functionLogicalId, resources, synth } from '../infra/synth.js';

const s = synth();

interface RawStatement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Every statement of the policies attached to a function's role. */
function roleStatements(t: CfnTemplate, fid: string): RawStatement[] {
  const fn = t.Resources[functionLogicalId(s, fid)]!.Properties!;
  const role = (fn.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return resources(t, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Roles).includes(`"${role}"`))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: RawStatement[] }).Statement);
}
const actions = (st: RawStatement) => [st.Action].flat();
/** The key patterns an action may touch (object ARNs after the bucket). */
const objectPatterns = (sts: RawStatement[], action: string) =>
  sts.filter((st) => actions(st).includes(action)).flatMap((st) => [st.Resource].flat().map((r) => JSON.stringify(r).match(/"\/([^"]*)"/)?.[1] ?? '<bucket>'));

describe('s3:ListBucket', () => {
  const expected: Record<string, string[]> = {
    ...Object.fromEntries(STRATEGY_NAMES.map((n) => [functionId(n), ['models/*', 'profiles/*']])),
    SqsFunction: ['models/*', 'profiles/*'],
    S3BatchFunction: ['batch/out/*', 'models/*', 'profiles/*'],
    RetrainFunction: ['models/*', 'profiles/*', 'training/*', 'validation/*'],
  };
  it.each(Object.entries(expected))('should be granted to %s only under its prefixes (an s3:prefix condition)', (fid, prefixes) => {
    const lists = roleStatements(s.json, fid).filter((st) => actions(st).includes('s3:ListBucket'));
    expect(lists).toHaveLength(1);
    expect(lists[0]!.Condition).toEqual({ StringLike: { 's3:prefix': expect.any(Array) } });
    expect([...(lists[0]!.Condition!.StringLike!['s3:prefix'] as string[])].sort()).toEqual(prefixes);
  });

  it('should be granted to no role without a condition', () => {
    for (const [, p] of resources(s.json, 'AWS::IAM::Policy'))
      for (const st of (p.PolicyDocument as { Statement: RawStatement[] }).Statement)
        if (actions(st).includes('s3:ListBucket')) expect(st.Condition?.StringLike?.['s3:prefix']).toBeDefined();
  });
});

describe('prefixes', () => {
  it('should let the batch function read exactly batch/in/, not batch/internal/', () => {
    const reads = objectPatterns(roleStatements(s.json, 'S3BatchFunction'), 's3:GetObject');
    expect(reads).toContain('batch/in/*');
    expect(reads.some((r) => r.startsWith('batch/in') && !r.startsWith('batch/in/'))).toBe(false);
  });

  it('should let retraining read validation/ but write, delete or list nothing there beyond reading', () => {
    const sts = roleStatements(s.json, 'RetrainFunction');
    expect(objectPatterns(sts, 's3:GetObject')).toContain('validation/*');
    for (const write of ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'])
      expect(objectPatterns(sts, write).filter((r) => r.startsWith('validation')), write).toEqual([]);
  });
});

describe('reserved concurrency', () => {
  it('should set none by default', () => {
    for (const [, p] of resources(s.json, 'AWS::Lambda::Function')) expect(p.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('should reserve what fusion:reservedConcurrency says, per function', () => {
    const t = synth({ 'fusion:reservedConcurrency': 'AverageFunction=20, S3BatchFunction=2' });
    const byId = (fid: string) => t.json.Resources[functionLogicalId(t, fid)]!.Properties!.ReservedConcurrentExecutions;
    expect([byId('AverageFunction'), byId('S3BatchFunction'), byId('SqsFunction')]).toEqual([20, 2, undefined]);
  });

  it('should read it as JSON or "Id=n,Id=n", and refuse a bad number or an unknown function, naming them', () => {
    const read = (value: unknown) => readConfig(new App({ context: { 'fusion:reservedConcurrency': value } }).node).reservedConcurrency;
    expect(read({ AverageFunction: 20, S3BatchFunction: 2 })).toEqual({ AverageFunction: 20, S3BatchFunction: 2 });
    expect(read('AverageFunction=20,S3BatchFunction=2')).toEqual({ AverageFunction: 20, S3BatchFunction: 2 });
    expect(() => read('AverageFunction=-1')).toThrow(/fusion:reservedConcurrency\.AverageFunction: reserved concurrency must be >= 0/);
    expect(() => read({ average: 1 })).toThrow(/keys are function construct ids/);
    expect(() => synth({ 'fusion:reservedConcurrency': { AvergeFunction: 5 } })).toThrow(/fusion:reservedConcurrency: no function AvergeFunction; use one of .*AverageFunction/);
  });
});
