/**
 * docs/operations.md's commands run as pasted: every `npx fusion ...` line of its code blocks
 * (the AWS CLI ones excepted) runs in bash, in a temporary directory, against s3rver standing in
 * for the stack's bucket ($BUCKET) and a local store holding the same decision log and feedback.
 * Lines piping to jq need jq (skipped without it); `profiles promote` is the variants' command.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Fixture, startS3 } from '../support/s3.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const today = new Date().toISOString().slice(0, 10);

/** Shell commands of the document's sh blocks, list-indented ones included, continuations joined. */
function blockCommands(md: string): string[] {
  const out: string[] = [];
  for (const [, indent, body] of md.matchAll(/^( *)```sh\n([\s\S]*?)^ *```/gm)) {
    const lines = body!.split('\n').map((l) => l.slice(indent!.length)).filter((l) => l.trim() && !l.trim().startsWith('#'));
    let pending = '';
    for (const line of lines) {
      pending += (pending ? '\n' : '') + line;
      if (!pending.endsWith('\\')) out.push(pending.trim()), (pending = '');
    }
  }
  return out;
}

const profile = JSON.parse(await readFile(join(root, 'examples/profiles/sentiment.json'), 'utf8'));
const decision = (id: string, label: string) => ({
  type: 'decision',
  decisionId: id,
  time: new Date().toISOString(),
  source: 'http',
  strategy: 'average',
  task: 'classification',
  profile: { name: 'sentiment', version: 'v1' },
  modalities: { text: { label, confidence: 0.7, weight: 1, contribution: 1 } },
  missing: ['video', 'audio'],
  inputs: { text: { label, confidence: 0.7 } },
  output: { label, confidence: 0.7 },
  latencyMs: 0.3,
});
const log = [decision('o1', 'positive'), decision('o2', 'negative'), decision('o3', 'neutral')].map((l) => JSON.stringify(l)).join('\n') + '\n';
const labels = ['o1:positive', 'o2:negative', 'o3:positive']
  .map((x) => x.split(':'))
  .map(([decisionId, label]) => JSON.stringify({ type: 'feedback', decisionId, label, source: 'review', receivedAt: new Date().toISOString() }))
  .join('\n') + '\n';

let s3: S3Fixture;
let dir: string;
let env: NodeJS.ProcessEnv;
let hasJq = true;

beforeAll(async () => {
  s3 = await startS3();
  dir = await mkdtemp(join(tmpdir(), 'fusion-operations-'));
  const store = join(dir, 'store');
  for (const [prefix, body] of [['decisions', log], ['feedback', labels]] as const) {
    await mkdir(join(store, prefix, `dt=${today}`), { recursive: true });
    await writeFile(join(store, prefix, `dt=${today}`, 'local.jsonl'), body);
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/dt=${today}/stream-1.jsonl.gz`, Body: gzipSync(body) }));
  }
  await writeFile(join(store, 'sentiment.json'), JSON.stringify(profile));
  await s3.put('profiles/sentiment.json', profile);
  // `npx fusion` is this repository's command, whatever directory the docs' commands run in.
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin', 'npx'), `#!/bin/sh\n[ "$1" = fusion ] && shift && exec "${process.execPath}" "${root}/bin/fusion.js" "$@"\nexit 127\n`, { mode: 0o755 });
  env = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: dir, ...s3.env, BUCKET: s3.bucket, FUSION_STORE_DIR: store };
  delete env.FUSION_BUCKET;
  hasJq = await run('jq', ['--version']).then(() => true, () => false);
}, 60_000);
afterAll(async () => {
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('docs/operations.md, command by command', () => {
  it('should run every fusion command as pasted, each exiting 0', async () => {
    const all = blockCommands(await readFile(join(root, 'docs/operations.md'), 'utf8'));
    const commands = all.filter((c) => c.includes('npx fusion') && !/(^|\$\(|\| *)aws /.test(c) && !c.includes('profiles promote') && (hasJq || !c.includes('jq ')));
    expect(commands.length).toBeGreaterThanOrEqual(hasJq ? 10 : 5);
    for (const command of commands) {
      try {
        await run('bash', ['-eo', 'pipefail', '-c', command], { cwd: dir, env, timeout: 60_000 });
      } catch (e) {
        const err = e as Error & { code?: number; stdout?: string; stderr?: string };
        throw new Error(`docs/operations.md command failed (exit ${err.code}):\n${command}\n--- stdout\n${err.stdout}\n--- stderr\n${err.stderr}`, { cause: e });
      }
    }
    // What the commands left behind: the report, the training data, a profile with its new reference.
    expect(await readFile(join(dir, 'reports/monitor/index.html'), 'utf8')).toContain('<section id="drift">');
    expect((await readFile(join(dir, 'training.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(3);
    if (hasJq) expect(JSON.parse(await readFile(join(dir, 'sentiment.json'), 'utf8')).reference).toMatchObject({ rows: 3 });
  }, 120_000);
});
