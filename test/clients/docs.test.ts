/**
 * The clients' documented regression and multi-label examples run as pasted: each ```ts and
 * ```python block of docs/clients.md and the clients' READMEs marked
 * `<!-- test/clients/docs.test.ts runs this block ... -->` runs against the real fusion serve
 * (its `http://127.0.0.1:3000` pointed at the test server), exits 0 and prints exactly what its
 * `prints:` comments say, line by line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_CLIENT } from './python.js';
import { ROOT, type ServeProcess, startServe } from './server.js';

const MARK = '<!-- test/clients/docs.test.ts runs this block';
const DOCS = ['docs/clients.md', 'clients/typescript/README.md', 'clients/python/README.md'];

/** The marked code blocks of a Markdown file, with their language. */
function markedBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^<!-- test\/clients\/docs\.test\.ts runs this block[^\n]*-->\n```(\w+)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/** What a block says it prints: the text after each `prints:` comment, in order. */
const promised = (code: string) => [...code.matchAll(/(?:\/\/|#) prints: (.*)$/gm)].map((m) => m[1]!);

function run(cmd: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env }, timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let serve: ServeProcess;
let scratch: string;
beforeAll(async () => {
  serve = await startServe();
  scratch = mkdtempSync(join(ROOT, '.scratch-docs-')); // inside the repository: '@late-fusion/client' resolves
});
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await serve?.close();
});

describe('the clients\' documented regression and multi-label examples', () => {
  const blocks = DOCS.flatMap((doc) => markedBlocks(readFileSync(join(ROOT, doc), 'utf8')).map((b, i) => ({ doc, i, ...b })));

  it('should find the marked blocks: TypeScript and Python in docs/clients.md, one in each README', () => {
    expect(blocks.map((b) => `${b.doc} ${b.lang}`)).toEqual([
      'docs/clients.md ts',
      'docs/clients.md python',
      'docs/clients.md python',
      'clients/typescript/README.md ts',
      'clients/python/README.md python',
    ]);
    for (const doc of DOCS) expect(readFileSync(join(ROOT, doc), 'utf8').split(MARK).length - 1, doc).toBe(markedBlocks(readFileSync(join(ROOT, doc), 'utf8')).length);
    for (const b of blocks) expect(promised(b.code).length, `${b.doc} block ${b.i}`).toBeGreaterThan(0);
  });

  it.each(blocks.map((b) => [`${b.doc} block ${b.i} (${b.lang})`, b] as const))('should run %s as pasted, printing what it says', async (_name, b) => {
    expect(b.code).toContain('http://127.0.0.1:3000');
    const code = b.code.replaceAll('http://127.0.0.1:3000', serve.url);
    const file = join(scratch, `${b.doc.replace(/\W/g, '-')}-${b.i}.${b.lang === 'ts' ? 'mts' : 'py'}`);
    writeFileSync(file, code);
    const out = b.lang === 'ts' ? await run(process.execPath, ['--import', 'tsx', file], {}) : await run('python3', [file], { PYTHONPATH: PYTHON_CLIENT });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trimEnd().split('\n')).toEqual(promised(b.code));
  });
});
