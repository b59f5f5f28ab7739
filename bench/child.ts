import { type ChildProcess, spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Starts a child process with stdout to a file (as a Lambda's logs go to a file-like sink: a
 * pipe to this busy process would block the child on every log line) and resolves with the
 * URL it prints there.
 */
export async function startChild(args: string[], env: NodeJS.ProcessEnv, log: string): Promise<{ child: ChildProcess; url: string }> {
  const out = await open(log, 'w+');
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', out.fd, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<never>((_, fail) => child.once('exit', (code) => fail(new Error(`server exited with ${code}: ${stderr}`))));
  exited.catch(() => {});
  try {
    for (let waited = 0; waited < 30_000; waited += 50) {
      const text = await readFile(log, 'utf8');
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m && text.includes('Ctrl-C')) return { child, url: m[1]! };
      await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
    }
    throw new Error(`server printed no URL in 30 s: ${stderr}`);
  } finally {
    await out.close();
  }
}
