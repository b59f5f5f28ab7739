/**
 * Synthesis helpers shared by the infra tests: each distinct context is synthesised once per
 * test file (synthesis takes seconds), without bundling unless a test asks for it.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { App } from 'aws-cdk-lib';
import { buildApp, projectContext } from '../../infra/lib/app.js';
import type { FusionStack } from '../../infra/lib/stack.js';

/** A synthesised app: the template plus the constructs it came from. */
export interface Synth {
  app: App;
  stack: FusionStack;
  template: Template;
  json: CfnTemplate;
}

/** The parts of a CloudFormation template the tests read. */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }>;
  Outputs?: Record<string, { Value: unknown }>;
}

const cache = new Map<string, Synth>();


/** Synthesises the app with cdk.json's context plus `context`, skipping bundling. */
export function synth(context: Record<string, unknown> = {}): Synth {
  const key = JSON.stringify(context);
  let hit = cache.get(key);
  if (!hit) {
    const { app, stack } = buildApp({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [], ...context } });
    const template = Template.fromStack(stack);
    hit = { app, stack, template, json: template.toJSON() as CfnTemplate };
    cache.set(key, hit);
  }
  return hit;
}

/** Resources of one type, by logical id. */
export function resources(t: CfnTemplate, type: string): [string, Record<string, unknown>][] {
  return Object.entries(t.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(s: Synth, construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild as { logicalId: string } | undefined;
  if (!child) throw new Error('construct has no CloudFormation resource');
  return s.stack.resolve(child.logicalId) as string;
}

/**
 * A CloudFormation value flattened to text the way cdk-nag prints it: `{"Ref": "X"}` → `<X>`,
 * `{"Fn::GetAtt": ["X", "Arn"]}` → `<X.Arn>`, `Fn::Join` concatenated.
 */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return `<${v.Ref as string}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(flat).join(sep);
    }
  }
  return JSON.stringify(value);
}

/** One IAM statement, normalised: actions and flattened resources as arrays. */
export interface Statement {
  policy: string;
  actions: string[];
  resources: string[];
  effect: string;
}

/** Every statement of every `AWS::IAM::Policy`, optionally only those attached to `roleId`. */
export function statements(t: CfnTemplate, roleId?: string): Statement[] {
  const out: Statement[] = [];
  for (const [id, p] of resources(t, 'AWS::IAM::Policy')) {
    const roles = (p.Roles as unknown[]).map(flat);
    if (roleId && !roles.includes(`<${roleId}>`)) continue;
    for (const s of (p.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement) {
      const list = (x: unknown) => (Array.isArray(x) ? x : [x]);
      out.push({ policy: id, actions: list(s.Action) as string[], resources: list(s.Resource).map(flat), effect: s.Effect as string });
    }
  }
  return out;
}

/** Logical id of the stack function with construct id `id` (`AverageFunction`, `SqsFunction`, ...). */
export function functionLogicalId(s: Synth, id: string): string {
  const fn = s.stack.functions.get(id);
  if (!fn) throw new Error(`no function ${id}`);
  return logicalId(s, fn);
}

/** Logical id of the data bucket. */
export function dataBucketId(s: Synth): string {
  return logicalId(s, s.stack.node.findChild('Storage').node.findChild('Data'));
}

/** The Node.js functions (CDK's own Python custom-resource handler left out). */
export function nodeFunctions(t: CfnTemplate): [string, Record<string, unknown>][] {
  return resources(t, 'AWS::Lambda::Function').filter(([, p]) => String(p.Runtime).startsWith('nodejs'));
}
