import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FusionClient, type JoinState } from '@late-fusion/client';
import { predict as audioPredict } from '../../examples/modality-services/audio_service.js';
import { python } from './python.js';
import { ROOT, type ServeProcess, serverHasJoins, startServe } from './server.js';

const EXAMPLES = join(ROOT, 'examples/modality-services');
const textPredict = async (text: string) => {
  const run = await python([join(EXAMPLES, 'text_service.py'), '--join', 'x', '--predict-only', text]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { probabilities: number[] };
};
const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));

describe('example modality services: toy models', () => {
  it('should read praise as positive and complaints as negative (text, Python)', async () => {
    const praise = await textPredict('thanks, that was really helpful');
    expect(argmax(praise.probabilities)).toBe(2);
    expect(praise.probabilities.reduce((a, b) => a + b)).toBeCloseTo(1, 3);
    expect(argmax((await textPredict('this is useless and broken, I want to cancel')).probabilities)).toBe(0);
    expect(argmax((await textPredict('the invoice number is 42')).probabilities)).toBe(1);
  });

  it('should read a loud flat voice as negative and a lively calm one as positive (audio, TypeScript)', () => {
    expect(argmax(audioPredict(0.9, 0.1).logits!)).toBe(0);
    expect(argmax(audioPredict(0.2, 0.8).logits!)).toBe(2);
  });
});

/** Runs a command to completion; resolves with its exit code and output. */
function run(cmd: string, args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, PYTHONPATH: join(ROOT, 'clients/python'), PYTHONDONTWRITEBYTECODE: '1' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!serverHasJoins)('example modality services: the three-terminal demo', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(join(EXAMPLES, 'profiles'));
  });
  afterAll(() => serve?.close());

  it('should produce one decision, printed by both the text and the audio service (each waiting for it), equal to the synchronous answer', async () => {
    const id = `call-${Date.now()}`;
    const text = run('python3', [join(EXAMPLES, 'text_service.py'), '--endpoint', serve.url, '--join', id, '--wait', 'thanks, that was really helpful']);
    const audio = await run(process.execPath, ['--import', 'tsx', join(EXAMPLES, 'audio_service.ts'), '--endpoint', serve.url, '--join', id, '--energy', '0.3', '--pitch-var', '0.7', '--wait']);
    const textDone = await text;
    expect(audio.code, audio.stderr).toBe(0);
    expect(textDone.code, textDone.stderr).toBe(0);
    const [a, t] = [JSON.parse(audio.stdout) as JoinState, JSON.parse(textDone.stdout) as JoinState];
    expect(a.state).toBe('decided');
    expect(t).toEqual(a);
    const sync = await new FusionClient({ endpoint: serve.url }).fuse('average', {
      profile: 'call-sentiment',
      predictions: { text: (await textPredict('thanks, that was really helpful')) as { probabilities: number[] }, audio: audioPredict(0.3, 0.7) },
    });
    expect(a).toMatchObject({ label: sync.label, probabilities: sync.probabilities, trigger: 'complete' });
  });
});
