/** What a newcomer meets first: usage errors, --version, the stdin hint, learned without a model, a mismatched --profile, the local store. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, MAX_PRINTED_ERRORS, closestOption } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { STRATEGY_NAMES } from '../../functions/fusion/index.js';
import { DirectoryStore } from '../../functions/store/index.js';

const root = resolve(import.meta.dirname, '../..');
const examples = join(root, 'examples');
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-usage-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function cli(argv: string[], opts: { stdin?: string; tty?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = '';
  let stderr = '';
  const stdin = Object.assign(Readable.from([opts.stdin ?? '']), { isTTY: opts.tty ?? false });
  const io: Io = { stdin, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: opts.env ?? {} };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('usage errors', () => {
  it('should name an unknown option and the closest valid one in one line, exit 2', async () => {
    const r = await cli(['fuse', '--rule', 'average'], { stdin: '{}' });
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'fusion fuse: Unknown option --rule; did you mean --strategy? ("fusion fuse --help" lists the options.)\n' });
  });

  it('should suggest by spelling, and list the options when nothing is close', () => {
    expect(closestOption('--stratgy', ['strategy', 'input'])).toBe('strategy');
    expect(closestOption('--outptu', ['output', 'errors'])).toBe('output');
    expect(closestOption('--output', ['out', 'model'])).toBe('out');
    expect(closestOption('--zzzzzz', ['strategy', 'input'])).toBeUndefined();
  });

  it('should print the version with --version and -v', async () => {
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-v']) expect(await cli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('should list every strategy, learned included, in the top-level help', async () => {
    const r = await cli(['--help']);
    expect(r.stdout).toContain(`Strategies: ${STRATEGY_NAMES.join(', ')}.`);
    expect(STRATEGY_NAMES).toContain('learned');
  });
});

describe('fuse', () => {
  const request = JSON.stringify({ classes: ['a', 'b'], predictions: { x: { probabilities: [0.3, 0.7] } } });

  it('should say on stderr that it reads standard input when stdin is a terminal', async () => {
    const r = await cli(['fuse', '-s', 'average'], { stdin: request, tty: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Reading JSON from standard input (paste it, then press Ctrl-D); pass --input FILE to read a file instead.\n');
    const piped = await cli(['fuse', '-s', 'average'], { stdin: request });
    expect(piped.stderr).toBe('');
  });

  it('should say what the learned strategy needs when given no model or profile', async () => {
    const r = await cli(['fuse', '--strategy', 'learned'], { stdin: request });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fusion: --strategy learned needs a trained model: --model FILE .* or --profile P naming a profile with a trained model/);
  });

  it('should answer a model file under the model name', async () => {
    const line = (await readFile(join(examples, 'data/digits-3view/test.jsonl'), 'utf8')).split('\n')[0]!;
    const r = await cli(['fuse', '-s', 'learned', '--model', join(examples, 'profiles/models/digits-logistic.json')], { stdin: JSON.stringify({ predictions: JSON.parse(line).predictions }) });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).profile).toEqual({ name: 'digits-logistic', version: 'file', stale: false });
  });
});

describe('train with data made for another profile', () => {
  it('should print one summary line first and at most 10 per-line errors', async () => {
    const r = await cli(['train', '--data', join(examples, 'data/digits-3view/train.jsonl'), '--profile', join(examples, 'profiles/sentiment.json'), '--model', 'logistic', '--out', join(dir, 'm.json')]);
    expect(r.code).toBe(2);
    const [first, ...rest] = r.stderr.split('\n');
    expect(first).toBe(
      'fusion train: the data has modalities top, bottom, profile and labels 1, 3, 2, 7, 5, 6, 9, 0, 4, 8; profile sentiment has modalities text, video, audio and classes negative, neutral, positive. Is --profile the one this data was made for?',
    );
    const problem = JSON.parse(rest.join('\n'));
    expect(problem.errors).toHaveLength(MAX_PRINTED_ERRORS);
    expect(problem.errorsTruncated).toBeGreaterThan(0);
  });

  it('should print no summary when the data fits the profile', async () => {
    await writeFile(join(dir, 'bad-line.jsonl'), '{"predictions": {"top": {"label": "1"}}, "label": "1"}\nnot json\n');
    const r = await cli(['train', '--data', join(dir, 'bad-line.jsonl'), '--profile', join(examples, 'data/digits-3view/profile.json'), '--model', 'logistic', '--out', join(dir, 'm.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith('{')).toBe(true);
    expect(JSON.parse(r.stderr).errors[0].path).toBe('line 2');
  });
});

describe('the local store: a directory in front of the shipped examples', () => {
  it('should read the top directory first, fall back to the ones below, list both and write only the top', async () => {
    const top = join(dir, 'store');
    const store = new DirectoryStore(top, [join(examples, 'profiles')]);
    expect((await store.getProfile('sentiment')).profile.weights).toEqual({ text: 0.5, video: 0.3, audio: 0.2 });
    const mine = { name: 'sentiment', classes: ['negative', 'neutral', 'positive'], modalities: ['text'] };
    expect(await store.putJson('profiles/sentiment.json', mine)).toEqual({ key: 'profiles/sentiment.json' });
    expect((await store.getProfile('sentiment')).profile.modalities).toEqual(['text']);
    expect(JSON.parse(await readFile(join(top, 'sentiment.json'), 'utf8'))).toEqual(mine);
    expect(await store.listProfiles()).toEqual(['digits-3view', 'digits-learned', 'sentiment']);
    // A shipped profile's model is looked up in the top directory first, too.
    const model = JSON.parse(await readFile(join(examples, 'profiles/models/digits-logistic.json'), 'utf8'));
    await store.putJson('models/digits-logistic.json', { ...model, training: { ...model.training, rows: 7 } });
    expect((await store.getProfile('digits-learned')).model).toMatchObject({ training: { rows: 7 } });
  });

  it('should print the store key, not a file path, when publishing', async () => {
    const r = await cli(['publish', '--profile', join(examples, 'requests/my-profile.json')], { env: { FUSION_STORE_DIR: join(dir, 'published') } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).key).toBe('profiles/my-profile.json');
  });
});
