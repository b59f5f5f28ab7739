/**
 * Build step: writes `src/contract.ts`, the client's request and response types, from the
 * server's zod schemas (`functions/fusion/schemas.ts`, the profile of `functions/fusion/profiles.ts`, the
 * answers and the task unions of `functions/fusion/contract.ts`, the regression and multi-label
 * requests, batch items and predictions of `functions/fusion/tasks/`, the feedback schemas of
 * `functions/fusion/loop/feedback.ts`, plus the GET answers of
 * `functions/http/openapi.ts`) through their JSON Schema. Only this script imports server code;
 * the built client has types and no runtime dependency on it.
 */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import * as schemas from '../../../functions/fusion/schemas.js';
import { Profile } from '../../../functions/fusion/profiles.js';
import {
  BatchResponse, FusionResponse, MultilabelBatch, MultilabelResponse, Problem, RegressionBatch, RegressionResponse, TaskRequest, TaskResponse,
} from '../../../functions/fusion/contract.js';
import { Feedback, FeedbackAccepted } from '../../../functions/fusion/loop/feedback.js';
import { MultilabelPrediction, MultilabelRequest, RegressionPrediction, RegressionRequest } from '../../../functions/fusion/tasks/index.js';
import { MultilabelItem } from '../../../functions/fusion/tasks/multilabel.js';
import { RegressionItem } from '../../../functions/fusion/tasks/regression.js';
import { Health, StrategyInfo, StrategyList } from '../../../functions/http/openapi.js';

type Json = { [key: string]: unknown };

/** Every exported zod schema of the contract, by the name its type gets. */
function contract(): Record<string, z.ZodType> {
  // A module namespace lists its exports alphabetically: the schemas kept elsewhere (profiles.ts,
  // contract.ts) take their places among them.
  const core = Object.fromEntries(Object.entries({ ...schemas, Profile, FusionResponse, BatchResponse, Problem }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const tasks = { RegressionPrediction, MultilabelPrediction, RegressionResponse, MultilabelResponse, RegressionRequest, MultilabelRequest, TaskRequest, TaskResponse };
  const batches = { RegressionItem, MultilabelItem, RegressionBatch, MultilabelBatch };
  const all: Record<string, unknown> = { ...core, ...tasks, ...batches, StrategyInfo, StrategyList, Health, Feedback, FeedbackAccepted };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, z.ZodType] => typeof e[1] === 'object' && e[1] !== null && '_zod' in e[1]));
}

const quote = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key));
const doc = (s: Json, indent: string) => (typeof s.description === 'string' ? `${indent}/** ${s.description.replace(/\*\//g, '* /')} */\n` : '');

/** The TypeScript type of a JSON Schema, for the subset zod emits for this contract. */
function typeOf(s: Json | boolean, indent = ''): string {
  if (s === true || s === false) return s ? 'unknown' : 'never';
  if (typeof s.$ref === 'string') return s.$ref.slice(s.$ref.lastIndexOf('/') + 1);
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (union) return union.map((u) => typeOf(u, indent)).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((t) => typeOf({ ...s, type: t }, indent)).join(' | ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = typeOf((s.items as Json | undefined) ?? true, indent);
      return /[ |&]/.test(item) && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
    }
    case 'object':
      return objectType(s, indent);
    default:
      return 'unknown';
  }
}

function objectType(s: Json, indent: string): string {
  const props = Object.entries((s.properties as Record<string, Json> | undefined) ?? {});
  const required = new Set((s.required as string[] | undefined) ?? []);
  const extra = s.additionalProperties;
  const rest = extra && typeof extra === 'object' ? typeOf(extra as Json, indent) : undefined;
  if (!props.length) return rest ? `Record<string, ${rest}>` : 'Record<string, unknown>';
  const inner = indent + '  ';
  const lines = props.map(([k, v]) => `${doc(v, inner)}${inner}${quote(k)}${required.has(k) ? '' : '?'}: ${typeOf(v, inner)};`);
  return `{\n${lines.join('\n')}\n${indent}}${rest ? ` & Record<string, ${rest}>` : ''}`;
}

/** The module text: one exported type per schema, in the order the contract exports them. */
export function generate(): string {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(contract())) registry.add(schema, { id });
  const { __shared, ...defs } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/${id}` }).schemas as Record<string, Json>;
  // Schemas used by several exported ones without a name of their own (e.g. TrainingSection).
  Object.assign(defs, __shared?.$defs);
  // A batch's items are requests of its task; the server validates each with that task's item schema.
  for (const [batch, item] of [['FusionBatch', 'FusionRequest'], ['RegressionBatch', 'RegressionItem'], ['MultilabelBatch', 'MultilabelItem']])
    ((defs[batch]!.properties as Record<string, Json>).items!).items = { $ref: `#/${item}` };
  const out = ['// Generated by clients/typescript/scripts/contract.ts from the server\'s zod schemas; do not edit.', ''];
  for (const [id, s] of Object.entries(defs)) out.push(`${doc(s, '')}export type ${id} = ${typeOf(s)};`, '');
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) writeFileSync(new URL('../src/contract.ts', import.meta.url), generate());
