import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { InvalidRequestError } from '../../functions/fusion/index.js';
import { checkProfile } from '../../functions/store/index.js';

const root = resolve(import.meta.dirname, '../..');
const profileFile = join(root, 'examples/data/digits-3view/profile.json');
let dir: string;
let data: string;
/** The expected reference, counted independently: each modality's argmax (first on ties) over the rows. */
let expected: Record<string, number[]>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-reference-'));
  const lines = (await readFile(join(root, 'examples/data/digits-3view/train.jsonl'), 'utf8')).split('\n').filter(Boolean).slice(0, 200);
  data = join(dir, 'train.jsonl');
  await writeFile(data, `${lines.join('\n')}\n`);
  const counts: Record<string, number[]> = {};
  for (const line of lines)
    for (const [m, p] of Object.entries(JSON.parse(line).predictions as Record<string, { probabilities: number[] }>)) {
      const c = (counts[m] ??= new Array(10).fill(0));
      c[p.probabilities.indexOf(Math.max(...p.probabilities))]! += 1;
    }
  expected = Object.fromEntries(Object.entries(counts).map(([m, c]) => [m, c.map((n) => n / lines.length)]));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { PATH: process.env.PATH } };
  return { code: await main(argv, io), stdout, stderr };
}

const expectShares = (actual: Record<string, number[]>) => {
  expect(Object.keys(actual).sort()).toEqual(['bottom', 'profile', 'top']);
  for (const [m, s] of Object.entries(actual)) s.forEach((v, c) => expect(v, `${m}[${c}]`).toBeCloseTo(expected[m]![c]!, 6));
};

describe('fusion train stores the drift reference', () => {
  it('should put each modality’s top-class shares of the data in the profile it writes', async () => {
    const out = join(dir, 'weighted.json');
    const r = await cli(['train', '--data', data, '--profile', profileFile, '--model', 'weights', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const profile = JSON.parse(await readFile(out, 'utf8'));
    expect(profile.reference.rows).toBe(200);
    expectShares(profile.reference.shares);
    expect(checkProfile(profile, out).reference).toEqual(profile.reference);
  });

  it('should write a profile pointing at a trained model, with the reference, under --profile-out', async () => {
    const model = join(dir, 'digits-small.json');
    const profileOut = join(dir, 'digits-learned.json');
    const r = await cli(['train', '--data', data, '--profile', profileFile, '--model', 'logistic', '--out', model, '--profile-out', profileOut]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`the profile (with its drift reference) to ${profileOut}`);
    const profile = JSON.parse(await readFile(profileOut, 'utf8'));
    expect(profile.model).toEqual({ key: 'models/digits-small.json' });
    expectShares(profile.reference.shares);
  });

  it('should refuse --profile-out with a kind that writes the profile itself', async () => {
    const r = await cli(['train', '--data', data, '--profile', profileFile, '--model', 'weights', '--out', join(dir, 'x.json'), '--profile-out', join(dir, 'y.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--profile-out goes only with a model kind');
  });
});

describe('a stored reference is validated', () => {
  const base = { name: 'p', classes: ['a', 'b', 'c'], modalities: ['text', 'audio'] };
  const errors = (reference: unknown) => {
    try {
      checkProfile({ ...base, reference }, 'profiles/p.json');
      return [];
    } catch (e) {
      if (!(e instanceof InvalidRequestError)) throw e;
      return e.errors.map((x) => `${x.path}: ${x.message}`);
    }
  };

  it('should accept shares per modality summing to 1, or all zero for a modality absent from training', () => {
    expect(errors({ rows: 10, shares: { text: [0.2, 0.3, 0.5], audio: [0, 0, 0] } })).toEqual([]);
  });

  it('should name the field and the fix for each problem', () => {
    expect(errors({ rows: 10, shares: { video: [0.2, 0.3, 0.5] } })).toEqual([expect.stringMatching(/^reference\.shares\.video: "video" is not in modalities \[text, audio\]; remove it or rerun fusion train/)]);
    expect(errors({ rows: 10, shares: { text: [0.5, 0.5] } })).toEqual([expect.stringMatching(/^reference\.shares\.text: has 2 shares but there are 3 classes/)]);
    expect(errors({ rows: 10, shares: { text: [0.5, 0.5, 0.5] } })).toEqual([expect.stringMatching(/^reference\.shares\.text: shares sum to 1\.5000, not 1/)]);
    expect(errors({ rows: 10, shares: { text: [1.5, 0, 0] } })).toEqual([expect.stringMatching(/^reference\.shares\.text\.0: a share must be between 0 and 1/)]);
    expect(errors({ rows: 0, shares: {} })).toEqual([expect.stringMatching(/^reference\.rows: rows must be at least 1/)]);
    expect(errors({ rows: 1, shares: {}, extra: 1 })).toEqual(["reference.extra: unknown field \"extra\"; reference has only the fields rows, shares, createdAt"]);
  });

  it('should bound a reference: at most 1000 shares a modality', () => {
    expect(errors({ rows: 1, shares: { text: new Array(1001).fill(0) } })[0]).toMatch(/at most 1000 shares/);
  });
});
