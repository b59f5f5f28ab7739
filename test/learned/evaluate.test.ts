import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../functions/cli/main.js';
import { progressBar } from '../../functions/cli/train.js';
import { InvalidRequestError, STRATEGY_NAMES } from '../../functions/fusion/index.js';
import { type ModelArtifact, evaluate, parseDataset, score, train } from '../../functions/fusion/learned/index.js';
import { renderReport } from '../../functions/report/index.js';
import { one } from '../fusion/support.js';
import { captureIo, head, load } from './helpers.js';

const missing = load('digits-3view-missing');
const RULES = STRATEGY_NAMES.filter((s) => s !== 'learned');

describe('metrics', () => {
  it('should score perfect one-hot predictions as accuracy 1, log loss ~0, Brier 0, ECE 0', () => {
    const s = score([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 1, 2], 3);
    expect(s.metrics).toMatchObject({ accuracy: 1, macroF1: 1, brier: 0, ece: 0 });
    expect(s.metrics.logLoss).toBeLessThan(1e-14);
  });

  it('should give uniform predictions a log loss of ln C and Brier 1 − 1/C', () => {
    const s = score([[1 / 4, 1 / 4, 1 / 4, 1 / 4]], [2], 4);
    expect(s.metrics.logLoss).toBeCloseTo(Math.log(4), 12);
    expect(s.metrics.brier).toBeCloseTo(0.75, 12);
  });

  it('should compute ECE as the count-weighted gap between confidence and accuracy per bin', () => {
    // Two rows at confidence 0.9 (one right) and two at 0.6 (both right): (2/4)|0.5−0.9| + (2/4)|1−0.6|.
    const s = score([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]], [0, 1, 0, 1], 2);
    expect(s.metrics.ece).toBeCloseTo(0.5 * 0.4 + 0.5 * 0.4, 12);
    expect(s.confusion).toEqual([[2, 0], [1, 1]]);
  });
});

describe('reading labelled JSONL', () => {
  it('should report every bad line with its line number and skip none', () => {
    const text = [
      '{"predictions": {"top": {"probabilities": [0.5, 0.5]}}, "label": "a"}',
      '',
      'not json',
      '{"predictions": {"top": {"probabilities": [0.5, 0.6]}}, "label": "a"}',
      '{"predictions": {"top": {"probabilities": [0.5, 0.5]}}, "label": "z"}',
      '{"predictions": {"top": {"probabilities": [0.5, 0.5]}}}',
    ].join('\n');
    const profile = { name: 'p', classes: ['a', 'b'], modalities: ['top'] };
    let err: InvalidRequestError | undefined;
    try {
      parseDataset(text, profile);
    } catch (e) {
      err = e as InvalidRequestError;
    }
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(err!.message).toMatch(/^4 bad lines/);
    const paths = err!.errors.map((e) => e.path);
    expect(paths).toEqual(['line 3', 'line 4.predictions.top.probabilities', 'line 5.label', 'line 6.label']);
    expect(err!.errors[1]!.message).toMatch(/sum to 1.1/);
  });
});

describe('reading a large file', () => {
  it('should keep every line’s distributions as given (no buffer reused under an earlier line)', () => {
    const data = parseDataset(missing.trainText, missing.profile);
    const lines = missing.trainText.trim().split('\n').map((l) => JSON.parse(l).predictions as Record<string, { probabilities: number[] }>);
    data.examples.forEach((e, i) => {
      missing.profile.modalities.forEach((m, k) => {
        const given = lines[i]![m]?.probabilities;
        if (!given) return expect(e.dists[k]).toBeUndefined();
        const sum = given.reduce((a, b) => a + b, 0);
        given.forEach((v, c) => expect(e.dists[k]![c]).toBeCloseTo(v / sum, 12));
      });
    });
  });
});

describe('evaluate', () => {
  const profile = { ...missing.profile, minModalities: 2 };
  const data = parseDataset(head(missing.testText, 300), profile);
  const ev = evaluate(data, profile, { cv: 2 });

  it('should list every fixed rule, every learned kind (cross-validated) and each modality alone', () => {
    expect(ev.entries.filter((e) => e.kind === 'rule').map((e) => e.name)).toEqual(RULES);
    expect(ev.entries.filter((e) => e.kind === 'cv').map((e) => e.name)).toEqual(['logistic (cv 2)', 'linear-svm (cv 2)', 'mlp (cv 2)']);
    expect(ev.entries.filter((e) => e.kind === 'modality').map((e) => e.name)).toEqual(['top', 'bottom', 'profile']);
  });

  it('should count as used only rows with minModalities, and for a modality the rows where it is present', () => {
    const enough = data.examples.filter((e) => e.prepared.modalities.length >= 2).length;
    expect(enough).toBeLessThan(300);
    for (const e of ev.entries.filter((x) => x.kind !== 'modality')) expect(e.rows).toBe(enough);
    const profileRows = data.examples.filter((e) => e.dists[2]).length;
    expect(ev.entries.find((e) => e.name === 'profile')!.rows).toBe(profileRows);
  });

  it('should score the rows dempster-shafer refuses (total conflict) as uniform, and count them', () => {
    const ds = ev.entries.find((e) => e.name === 'dempster-shafer')!;
    const used = data.examples.filter((e) => e.prepared.modalities.length >= 2);
    const refused = used.filter((e) => {
      try {
        one('dempster-shafer', { classes: e.prepared.classes, predictions: e.prepared.predictions });
        return false;
      } catch {
        return true;
      }
    }).length;
    expect(refused).toBeGreaterThan(0);
    expect(ds.undecided).toBe(refused);
    expect(ev.entries.find((e) => e.name === 'average')!.undecided).toBeUndefined();
  });

  it('should ablate dempster-shafer with the other rules, its refused rows scored as uniform', () => {
    const withAnalysis = evaluate(data, profile, { analysis: { resamples: 10 } });
    const row = withAnalysis.ablation!.find((r) => r.name === 'dempster-shafer')!;
    for (const m of data.modalities) expect(row.only[m]!.rows).toBeGreaterThan(0);
  });

  it('should name a given model whose classes disagree with the profile, and refuse data with no scorable row', () => {
    const artifact = (train(head(missing.trainText, 100), missing.profile, { model: 'logistic' }) as { artifact: ModelArtifact }).artifact;
    const swapped = { ...artifact, classes: [...artifact.classes].reverse() };
    expect(() => evaluate(data, profile, { models: [{ name: 'old.json', artifact: swapped }] })).toThrow(/^model old\.json: .*classes \[9, 8/);
    expect(() => evaluate(data, { ...profile, minModalities: 4 })).toThrow(/no example has the profile's minModalities \(4\)/);
  });

  it('should name as best the rule or model with the lowest log loss', () => {
    const best = Math.min(...ev.entries.filter((e) => e.kind !== 'modality').map((e) => e.metrics.logLoss));
    expect(ev.entries.find((e) => e.name === ev.best)!.metrics.logLoss).toBe(best);
  });

  it('should render a self-contained HTML report: five metric charts, per class, confusion matrices and reliability', async () => {
    const html = await renderReport(ev, { createdAt: 'now' });
    expect(html.match(/<svg[\s>]/g)).toHaveLength(8);
    expect(html).toContain('Confusion matrices');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    for (const e of ev.entries) expect(html).toContain(`<th scope="row">${e.name}</th>`);
  });
});

describe('fusion train and fusion evaluate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fusion-eval-'));
    await writeFile(join(dir, 'train.jsonl'), head(missing.trainText, 400));
    await writeFile(join(dir, 'test.jsonl'), head(missing.testText, 200));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const profileFile = () => join(missing.dir, 'profile.json');

  it('should train a model file, then evaluate it next to the rules as a table, as JSON and as a report', async () => {
    const model = join(dir, 'logistic.json');
    const t = captureIo();
    expect(await main(['train', '--data', join(dir, 'train.jsonl'), '--profile', profileFile(), '--model', 'logistic', '--out', model], t.io)).toBe(0);
    expect(t.stdout()).toMatch(/Trained logistic on 400 rows .*\n.*\n {2}accuracy {3}0\.\d{4}/);
    expect(t.stderr()).toBe('');

    const table = captureIo();
    expect(await main(['evaluate', '--data', join(dir, 'test.jsonl'), '--profile', profileFile(), '--model', model], table.io)).toBe(0);
    expect(table.stdout()).toMatch(/^strategy +kind +accuracy +macro-F1 +log loss +Brier +ECE +rows/);
    for (const name of [...RULES, 'logistic', 'top', 'bottom', 'profile']) expect(table.stdout()).toMatch(new RegExp(`\\n${name}[ *]`));

    const json = captureIo();
    const report = join(dir, 'report');
    expect(await main(['evaluate', '--data', join(dir, 'test.jsonl'), '--profile', profileFile(), '--model', model, '--json', '--report', report], json.io)).toBe(0);
    const out = JSON.parse(json.stdout()) as { rows: number; table: { name: string; rows: number; logLoss: number }[] };
    expect(out.rows).toBe(200);
    expect(out.table.find((r) => r.name === 'logistic')!.logLoss).toBeLessThan(out.table.find((r) => r.name === 'average')!.logLoss);
    expect(await readFile(join(report, 'index.html'), 'utf8')).toMatch(/<svg/);
  });

  it('should write an updated profile for --model weights', async () => {
    const out = join(dir, 'weighted.json');
    const cap = captureIo();
    expect(await main(['train', '--data', join(dir, 'train.jsonl'), '--profile', profileFile(), '--model', 'weights', '--out', out], cap.io)).toBe(0);
    const profile = JSON.parse(await readFile(out, 'utf8'));
    expect(Object.keys(profile.weights)).toEqual(['top', 'bottom', 'profile']);
    expect(cap.stdout()).toMatch(/Average rule after:/);
  });

  it('should fail with exit 2 and the line number for bad data, and with a usage message for a bad option', async () => {
    await writeFile(join(dir, 'bad.jsonl'), `${head(missing.trainText, 3)}\n{"predictions": {}, "label": "3"}\n`);
    const cap = captureIo();
    expect(await main(['train', '--data', join(dir, 'bad.jsonl'), '--profile', profileFile(), '--model', 'logistic', '--out', join(dir, 'x.json')], cap.io)).toBe(2);
    expect(JSON.parse(cap.stderr()).errors[0].path).toBe('line 4.predictions');
    const usage = captureIo();
    expect(await main(['train', '--data', 'x', '--profile', 'y', '--model', 'forest', '--out', 'z'], usage.io)).toBe(2);
    expect(usage.stderr()).toMatch(/--model must be one of: logistic, linear-svm, mlp, weights, temperature/);
  });
});

describe('progress bar', () => {
  it('should draw on a terminal only once the work has taken over a second, and never elsewhere', () => {
    let now = 1_000_000;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      for (const isTTY of [true, false]) {
        const cap = captureIo();
        cap.io.stderr.isTTY = isTTY;
        const bar = progressBar(cap.io, 'training mlp');
        bar.update(0.2);
        expect(cap.stderr()).toBe('');
        now += 1500;
        bar.update(0.6);
        bar.stop();
        if (isTTY) expect(cap.stderr()).toMatch(/training mlp \[/);
        else expect(cap.stderr()).toBe('');
      }
    } finally {
      clock.mockRestore();
    }
  });
});
