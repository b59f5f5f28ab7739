import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { InvalidRequestError } from '../../functions/fusion/index.js';
import type { DecisionLine } from '../../functions/fusion/loop/decision-log.js';
import { binOf, multilabelDrift, multilabelReference, quantileEdges, regressionDrift, regressionReference } from '../../functions/fusion/loop/drift-tasks.js';
import { psi } from '../../functions/fusion/loop/psi.js';
import { multilabelMonitor } from '../../functions/fusion/loop/online-multilabel.js';
import { regressionMonitor } from '../../functions/fusion/loop/online-regression.js';
import { taskDriftSection } from '../../functions/report/monitor-tasks.js';
import { checkProfile } from '../../functions/store/index.js';
import { mlLine, regLine } from './synthetic-drift-log.js';

const root = resolve(import.meta.dirname, '../..');
const golden = JSON.parse(await readFile(join(root, 'test/fixtures/numpy-drift-golden.json'), 'utf8'));
const ln = Math.log;

describe('regression drift: PSI over the training value histogram, worked by hand', () => {
  // Training values 0..9 in 5 bins: numpy.quantile(range(10), [.2, .4, .6, .8]) = [1.8, 3.6, 5.4, 7.2], two values a bin.
  const training = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const reference = regressionReference(training.map((v) => ({ names: ['a'], values: [v] })), ['a'], '2026-12-01T00:00:00Z', 5);
  const drift = (values: number[]) => regressionDrift(values.map((v, i) => regLine(`d${i}`, { a: v })), ['a'], reference).a!;

  it('should cut the bins at the training quantiles, each holding a fifth of the data', () => {
    expect(reference.histograms.a!.edges.map((e) => +e.toFixed(12))).toEqual([1.8, 3.6, 5.4, 7.2]);
    expect(reference.histograms.a!.shares).toEqual([0.2, 0.2, 0.2, 0.2, 0.2]);
    expect(reference.rows).toBe(10);
  });

  it('should put a value on an edge in the bin above it, and values beyond the training range in the open first and last bins', () => {
    const edges = reference.histograms.a!.edges;
    expect([binOf(edges, 1.8), binOf(edges, 1.7999), binOf(edges, -1e9), binOf(edges, 7.2), binOf(edges, 1e9)]).toEqual([1, 0, 0, 4, 4]);
  });

  it('should give PSI 0 for production values distributed as in training', () => {
    const s = drift(training);
    expect(s.psi).toBe(0);
    expect(s.drift).toBe(false);
  });

  it('should give 0.3·ln 5 when half the values move into the first bin', () => {
    // Shares [0.5, 0.1, 0.1, 0.1, 0.2] against 0.2 each: 0.3·ln 2.5 + 3·(−0.1)·ln 0.5 + 0 = 0.3·ln 5 ≈ 0.4828.
    const s = drift([0, 0, 0, 0, 0, 2, 4, 6, 8, 8]);
    expect(s.binShares).toEqual([0.5, 0.1, 0.1, 0.1, 0.2]);
    expect(s.psi).toBeCloseTo(0.3 * ln(5), 12);
    expect(s.drift).toBe(true);
  });

  it('should floor an empty bin at the classification PSI’s epsilon (1e-4), not make PSI infinite', () => {
    // Every value far above the training range: four empty bins and one holding everything.
    const s = drift([100, 200, 300]);
    expect(s.psi).toBeCloseTo(4 * (0.2 - 1e-4) * ln(0.2 / 1e-4) + 0.8 * ln(5), 10);
  });

  it('should merge equal quantiles, so that a constant modality gets two bins', () => {
    expect(quantileEdges([5, 5, 5, 5])).toEqual([5]);
    expect(regressionReference([5, 5, 5].map((v) => ({ names: ['a'], values: [v] })), ['a', 'b']).histograms).toEqual({ a: { edges: [5], shares: [0, 1] } });
  });

  it('should give no PSI for a modality that is absent in production or has no reference', () => {
    const stats = regressionDrift([regLine('x', { b: 1 })], ['a', 'b'], reference);
    expect(stats.a).toMatchObject({ missingRate: 1 });
    expect(stats.a!.psi).toBeUndefined();
    expect(stats.b!.psi).toBeUndefined();
  });
});

describe('multi-label drift: the mean over labels of each label’s two-bin PSI, worked by hand', () => {
  const labels = ['cat', 'dog'];
  // Training: img puts cat over its threshold on half the rows and dog on a fifth.
  const rows = Array.from({ length: 10 }, (_, i) => ({ names: ['img'], scores: [[i < 5 ? 0.9 : 0.1, i < 2 ? 0.7 : 0.2]] }));
  const reference = multilabelReference(rows, ['img', 'txt'], [0.5, 0.5]);
  const lines = (cat: number, dog: number) => Array.from({ length: 10 }, (_, i) => mlLine(`m${i}`, { img: [...(i < cat ? ['cat'] : []), ...(i < dog ? ['dog'] : [])] }));

  it('should store each label’s positive share, and zeros for a modality absent from training', () => {
    expect(reference.labelShares).toEqual({ img: [0.5, 0.2], txt: [0, 0] });
    expect(multilabelReference(rows, ['img'], [0.95, 0.7]).labelShares.img).toEqual([0, 0.2]);
  });

  it('should give 0 when every label keeps its share', () => {
    expect(multilabelDrift(lines(5, 2), labels, ['img'], reference).img).toMatchObject({ psi: 0, drift: false, labelPsi: { cat: 0, dog: 0 } });
  });

  it('should give 0.15·ln 4 when cat’s share goes from 0.5 to 0.8 and dog’s stays', () => {
    // cat: 0.3·ln(0.8/0.5) + (−0.3)·ln(0.2/0.5) = 0.3·ln 4; dog: 0; mean 0.15·ln 4 ≈ 0.2079 > 0.2.
    const s = multilabelDrift(lines(8, 2), labels, ['img'], reference).img!;
    expect(s.labelShares).toEqual({ cat: 0.8, dog: 0.2 });
    expect(s.labelPsi!.cat).toBeCloseTo(0.3 * ln(4), 12);
    expect(s.labelPsi!.dog).toBe(0);
    expect(s.psi).toBeCloseTo(0.15 * ln(4), 12);
    expect(s.drift).toBe(true);
  });

  it('should see every label moving together, which PSI over the normalised label shares would not', () => {
    // cat 0.3 → 0.6 and dog 0.1 → 0.2: both double, so the normalised label shares stay 3:1 (PSI 0 over them).
    expect(psi([0.3, 0.1], [0.6, 0.2])).toBe(0);
    const low = multilabelReference(rows.map((r, i) => ({ ...r, scores: [[i < 5 && i % 2 === 0 ? 0.9 : 0.1, i === 0 ? 0.7 : 0.2]] })), ['img'], [0.5, 0.5]);
    expect(low.labelShares.img).toEqual([0.3, 0.1]);
    const s = multilabelDrift(lines(6, 2), labels, ['img'], low).img!;
    expect(s.psi).toBeGreaterThan(0.1);
    expect(s.psi).toBeCloseTo(((0.6 - 0.3) * ln(2) + (0.4 - 0.7) * ln(0.4 / 0.7) + (0.2 - 0.1) * ln(2) + (0.8 - 0.9) * ln(0.8 / 0.9)) / 2, 12);
  });
});

describe('a stored regression or multi-label reference is validated at load and publish', () => {
  const regression = { name: 'r', task: 'regression', modalities: ['a', 'b'] };
  const multilabel = { name: 'm', task: 'multilabel', labels: ['x', 'y', 'z'], modalities: ['a', 'b'] };
  const errors = (profile: object, reference: unknown) => {
    try {
      checkProfile({ ...profile, reference }, 'profiles/p.json');
      return [];
    } catch (e) {
      if (!(e instanceof InvalidRequestError)) throw e;
      return e.errors.map((x) => `${x.path}: ${x.message}`);
    }
  };

  it('should accept well-formed references of each task', () => {
    expect(errors(regression, { rows: 10, histograms: { a: { edges: [1, 2], shares: [0.2, 0.5, 0.3] } }, createdAt: '2026-12-01T00:00:00Z' })).toEqual([]);
    expect(errors(multilabel, { rows: 10, labelShares: { a: [0.1, 0.9, 1], b: [0, 0, 0] } })).toEqual([]);
  });

  it('should name the field and the fix for each regression problem', () => {
    expect(errors(regression, { rows: 10, histograms: { c: { edges: [1], shares: [0.5, 0.5] } } })).toEqual([expect.stringMatching(/^reference\.histograms\.c: "c" is not in modalities \[a, b\]; remove it or rerun fusion train$/)]);
    expect(errors(regression, { rows: 10, histograms: { a: { edges: [2, 1], shares: [0.5, 0.2, 0.3] } } })).toEqual(['reference.histograms.a.edges.1: edges must increase strictly (1 follows 2); rerun fusion train']);
    expect(errors(regression, { rows: 10, histograms: { a: { edges: [1, 2], shares: [0.5, 0.5] } } })).toEqual([expect.stringMatching(/^reference\.histograms\.a\.shares: has 2 shares for 2 edges, not one per bin \(edges \+ 1, the first and last bins open-ended\); rerun fusion train$/)]);
    expect(errors(regression, { rows: 10, histograms: { a: { edges: [1], shares: [0.5, 0.6] } } })).toEqual(['reference.histograms.a.shares: shares sum to 1.1000, not 1; rerun fusion train']);
    expect(errors(regression, { rows: 10, histograms: { a: { edges: [1], shares: [0.5, 0.5], bins: 3 } } })).toEqual(['reference.histograms.a.bins: unknown field "bins"; a histogram has only the fields edges, shares; rerun fusion train']);
    expect(errors(regression, { rows: 10, histograms: { a: [1, 2] } })).toEqual(['reference.histograms.a: each modality maps to its histogram {"edges": [...], "shares": [...]}']);
    expect(errors(regression, { rows: 10, histograms: { a: { edges: ['x'], shares: [0.5, 0.5] } } })).toEqual(['reference.histograms.a.edges.0: an edge must be a finite number']);
  });

  it('should refuse another task’s reference, saying which fields this task’s has', () => {
    expect(errors(regression, { rows: 10, shares: { a: [1] } })).toEqual([
      'reference.histograms: histograms must map each modality name to its histogram {"edges": [...], "shares": [...]}; rerun fusion train to write it',
      'reference.shares: unknown field "shares"; the reference of a regression profile has only the fields rows, histograms, createdAt; rerun fusion train to write it',
    ]);
    expect(errors(multilabel, { rows: 10, histograms: {} })).toContain('reference.histograms: unknown field "histograms"; the reference of a multi-label profile has only the fields rows, labelShares, createdAt; rerun fusion train to write it');
  });

  it('should name the field and the fix for each multi-label problem', () => {
    expect(errors(multilabel, { rows: 10, labelShares: { a: [0.1, 0.2] } })).toEqual(['reference.labelShares.a: has 2 shares but there are 3 labels; rerun fusion train']);
    expect(errors(multilabel, { rows: 10, labelShares: { a: [0.1, 2, 0] } })).toEqual([expect.stringMatching(/^reference\.labelShares\.a\.1: a share must be between 0 and 1/)]);
  });

  it('should bound a reference: at most 99 edges a histogram and 1000 shares a modality', () => {
    expect(errors(regression, { rows: 1, histograms: { a: { edges: Array.from({ length: 100 }, (_, i) => i), shares: new Array(101).fill(0) } } }).join()).toMatch(/at most 99 edges.*at most 100 shares/);
    expect(errors(multilabel, { rows: 1, labelShares: { a: new Array(1001).fill(0) } })[0]).toMatch(/^reference\.labelShares\.a: a modality has at most 1000 shares \(one label share each\)/);
  });
});

describe('fusion train stores the reference of a regression or multi-label profile (numpy parity)', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'fusion-drift-'))));
  afterAll(async () => void (dir && (await rm(dir, { recursive: true, force: true }))));
  const cli = async (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { PATH: process.env.PATH } };
    return { code: await main(argv, io), stdout, stderr };
  };
  const data = (name: string) => join(root, 'examples/data', name, 'train.jsonl');
  const profileFile = (name: string) => join(root, 'examples/data', name, 'profile.json');

  it('should write each modality’s decile histogram with --model ridge --profile-out', async () => {
    const out = join(dir, 'diabetes-ridge.json');
    const profileOut = join(dir, 'diabetes.json');
    const r = await cli(['train', '--data', data('diabetes-3view'), '--profile', profileFile('diabetes-3view'), '--model', 'ridge', '--out', out, '--profile-out', profileOut]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`the profile (with its drift reference) to ${profileOut}`);
    const profile = JSON.parse(await readFile(profileOut, 'utf8'));
    expect(profile.model).toEqual({ key: 'models/diabetes-ridge.json' });
    const expected = golden['diabetes-3view'];
    expect(profile.reference.rows).toBe(expected.rows);
    expect(Object.keys(profile.reference.histograms)).toEqual(['body', 'serum', 'bmi']);
    for (const [m, h] of Object.entries(expected.histograms) as [string, { edges: number[]; shares: number[] }][]) {
      const got = profile.reference.histograms[m];
      expect(got.edges).toHaveLength(h.edges.length);
      got.edges.forEach((e: number, i: number) => expect(e, `${m} edge ${i}`).toBeCloseTo(h.edges[i]!, 9));
      got.shares.forEach((s: number, i: number) => expect(s, `${m} share ${i}`).toBeCloseTo(h.shares[i]!, 6));
    }
    expect(checkProfile(profile, profileOut).reference).toEqual(profile.reference);
  });

  it('should write each modality’s positive share per label, at the thresholds it fits with --model thresholds', async () => {
    const out = join(dir, 'tags.json');
    const r = await cli(['train', '--data', data('tags-3view'), '--profile', profileFile('tags-3view'), '--model', 'thresholds', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const profile = JSON.parse(await readFile(out, 'utf8'));
    // The shares follow the fitted thresholds: counted here from the data, as the decision line would log them.
    const lines = (await readFile(data('tags-3view'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l).predictions);
    for (const m of profile.modalities as string[]) {
      const present = lines.filter((p) => p[m]);
      const expected = (profile.labels as string[]).map((l, i) => present.filter((p) => p[m].scores[i] >= profile.thresholds[l]).length / present.length);
      profile.reference.labelShares[m].forEach((s: number, i: number) => expect(s, `${m} ${i}`).toBeCloseTo(expected[i]!, 6));
    }
    expect(checkProfile(profile, out).reference).toEqual(profile.reference);
  });

  it('should write the shares at the profile’s thresholds with --model logistic --profile-out (numpy parity)', async () => {
    const profileOut = join(dir, 'tags-learned.json');
    const r = await cli(['train', '--data', data('tags-3view'), '--profile', profileFile('tags-3view'), '--model', 'logistic', '--out', join(dir, 'tags-logistic.json'), '--profile-out', profileOut]);
    expect(r.code, r.stderr).toBe(0);
    const { reference } = JSON.parse(await readFile(profileOut, 'utf8'));
    const expected = golden['tags-3view'];
    expect(reference.rows).toBe(expected.rows);
    for (const [m, shares] of Object.entries(expected.labelShares) as [string, number[]][]) shares.forEach((s, i) => expect(reference.labelShares[m][i], `${m} ${i}`).toBeCloseTo(s, 6));
  });

  it('should refuse --profile-out with --model thresholds, which writes the profile itself', async () => {
    const r = await cli(['train', '--data', data('tags-3view'), '--profile', profileFile('tags-3view'), '--model', 'thresholds', '--out', join(dir, 'x.json'), '--profile-out', join(dir, 'y.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--profile-out goes only with a model kind (ridge, logistic)');
  });
});

describe('fusion monitor shows PSI for regression and multi-label profiles', () => {
  it('should compute PSI in the monitor’s drift summary and draw it in the report’s drift section', async () => {
    const reference = { rows: 10, histograms: { a: { edges: [1.8, 3.6, 5.4, 7.2], shares: [0.2, 0.2, 0.2, 0.2, 0.2] } } };
    const lines: DecisionLine[] = [0, 0, 0, 0, 0, 2, 4, 6, 8, 8].map((v, i) => regLine(`r${i}`, { a: v, b: v }));
    const { summary } = regressionMonitor(lines, [], { name: 'prices', task: 'regression', modalities: ['a', 'b'], reference });
    expect(summary.drift.a!.psi).toBeCloseTo(0.3 * ln(5), 12);
    expect(summary.drift.b!.psi).toBeUndefined();
    const html = await taskDriftSection(summary);
    expect(html).toContain('<svg');
    expect(html).toMatch(/<th scope="row">a<\/th><td>0\.4828<\/td><td><strong>drift<\/strong><\/td>/);
    expect(html).toMatch(/<th scope="row">b<\/th><td>–<\/td><td>–<\/td>/);
  });

  it('should show each label’s PSI of a multi-label profile, and say how to get a reference when there is none', async () => {
    const lines: DecisionLine[] = Array.from({ length: 10 }, (_, i) => mlLine(`m${i}`, { img: i < 8 ? ['cat'] : [] }));
    const view = { name: 'tags', task: 'multilabel' as const, labels: ['cat', 'dog'], modalities: ['img'] };
    const { summary } = multilabelMonitor(lines, [], { ...view, reference: { rows: 10, labelShares: { img: [0.5, 0] } } });
    expect(summary.drift.img!.labelPsi!.cat).toBeCloseTo(0.3 * ln(4), 12);
    expect(await taskDriftSection(summary)).toContain('PSI of each label');
    const without = await taskDriftSection(multilabelMonitor(lines, [], view).summary);
    expect(without).toContain('The profile has no reference; train it with <code>fusion train</code>');
    expect(without).not.toContain('<svg');
  });
});
