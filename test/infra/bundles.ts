/**
 * The function bundles exactly as `npx cdk synth` builds them (local esbuild, no Docker), for the
 * bundle tests and the coldstart bench: synthesised once into `outdir`, with each function's
 * asset folder and the plain-string part of its environment.
 */
import { cpSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, projectContext } from '../../infra/lib/app.js';
import { PROJECT_ROOT } from '../../infra/lib/fusion-function.js';
import { logicalId, type CfnTemplate, type Synth } from './synth.js';

/** One function's bundle. */
export interface Bundle {
  /** Construct id (`AverageFunction`, `SqsFunction`, ...). */
  id: string;
  /** The asset folder: `index.mjs` and `index.mjs.map`. */
  dir: string;
  /** Bytes of `index.mjs`. */
  bytes: number;
  /** The function's environment variables whose values are plain strings (no CloudFormation references). */
  environment: Record<string, string>;
}

/** Synthesises the app with cdk.json's context plus `context` into `outdir`, bundling every function. */
export function synthBundles(outdir: string, context: Record<string, unknown> = {}): Map<string, Bundle> {
  const { app, stack } = buildApp({ outdir, context: { ...projectContext(), ...context } });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  const s = { stack } as Synth;
  const bundles = new Map<string, Bundle>();
  for (const [id, fn] of stack.functions) {
    const props = template.Resources[logicalId(s, fn)]!.Properties!;
    const dir = join(outdir, `asset.${(props.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`);
    const vars = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const environment = Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => typeof e[1] === 'string'));
    bundles.set(id, { id, dir, bytes: statSync(join(dir, 'index.mjs')).size, environment });
  }
  return bundles;
}

/**
 * Copies each bundle alone into `<root>/<id>/`, as Lambda unpacks it. With `sdk`, `<root>/node_modules`
 * holds the packages the Node.js 24 runtime provides (`@aws-sdk/*`, `@smithy/*`, linked from this
 * repository), and nothing else; without it, nothing outside the bundle can be resolved.
 */
export function isolateBundles(bundles: Iterable<Bundle>, root: string, { sdk }: { sdk: boolean }): Map<string, string> {
  mkdirSync(root, { recursive: true });
  if (sdk) {
    mkdirSync(join(root, 'node_modules'), { recursive: true });
    for (const scope of ['@aws-sdk', '@smithy']) symlinkSync(join(PROJECT_ROOT, 'node_modules', scope), join(root, 'node_modules', scope), 'dir');
  }
  const files = new Map<string, string>();
  for (const b of bundles) {
    cpSync(b.dir, join(root, b.id), { recursive: true });
    files.set(b.id, join(root, b.id, 'index.mjs'));
  }
  return files;
}
