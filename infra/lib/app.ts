import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { PROJECT_ROOT } from './fusion-function.js';
import { FusionStack } from './stack.js';

/** The stack's name in CloudFormation and in `npx cdk deploy <name>`. */
const STACK_NAME = 'LateFusion';

/**
 * The CDK app: the fusion stack (environment-agnostic, so it synthesises with no account) with
 * cdk-nag's AwsSolutions and Serverless packs checking it during synthesis. Any finding that is
 * not acknowledged next to its resource fails `cdk synth`.
 */
export function buildApp(props: AppProps = {}): { app: App; stack: FusionStack } {
  const app = new App(props);
  const stack = new FusionStack(app, STACK_NAME);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}

/**
 * The `context` of cdk.json (feature flags and settings), which the CDK CLI passes to the app.
 * Code that builds the app without the CLI (the tests) starts from it, so both synthesise the same.
 */
export function projectContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;
}
