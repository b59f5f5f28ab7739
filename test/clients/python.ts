/** Runs Python for the client tests: `python3` with the client package on its path. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './server.js';

export const PYTHON_CLIENT = join(ROOT, 'clients/python');

/** Runs `python3 args` in clients/python with `stdin`, and resolves with its exit code and output. */
export function python(args: string[], opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('python3', args, {
      cwd: PYTHON_CLIENT,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: PYTHON_CLIENT, ...opts.env },
      timeout: opts.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', (e) => reject(new Error(`cannot run python3 (CI installs it in .ci/run): ${e.message}`)));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}
