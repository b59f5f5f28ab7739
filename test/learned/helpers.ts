import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Io } from '../../functions/cli/io.js';
import { Profile } from '../../functions/fusion/index.js';
import { type Dataset, parseDataset } from '../../functions/fusion/learned/index.js';

export const DATA = join(import.meta.dirname, '../../examples/data');

/** A shipped example data set: its profile, JSONL texts and parsed splits. */
export function load(set: 'digits-3view' | 'digits-3view-missing') {
  const dir = join(DATA, set);
  const profile = Profile.parse(JSON.parse(readFileSync(join(dir, 'profile.json'), 'utf8')));
  const trainText = readFileSync(join(dir, 'train.jsonl'), 'utf8');
  const testText = readFileSync(join(dir, 'test.jsonl'), 'utf8');
  const train: Dataset = parseDataset(trainText, profile);
  const test: Dataset = parseDataset(testText, profile);
  return { dir, profile, trainText, testText, train, test };
}

/** The first n lines of a JSONL text. */
export const head = (text: string, n: number) => text.split('\n').slice(0, n).join('\n');

/** An Io capturing what a command writes. */
export function captureIo(stdin = '', env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdin: Readable.from([stdin]),
    stdout: { write: (s: string) => out.push(s), isTTY: false },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
    env,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}
