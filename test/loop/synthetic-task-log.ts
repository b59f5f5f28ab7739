/**
 * Small regression and multi-label decision logs with known answers, computed by hand.
 *
 * Regression profile "prices" (modalities a, b): r1–r4 labelled (r1 relabelled later, logged
 * twice), r5 unlabelled but given a class label (mismatched), r4 also given labels (mismatched,
 * its value still counts), answered by the canary; a classification line logged under the name
 * (another task). Errors of the answers: −2, 0, +3, −1; stds 2, 1, none, 0.5.
 *
 * Multi-label profile "tags" (labels cat, dog, sun; modalities img, txt): m1–m3 labelled,
 * m4's feedback names a label the profile lacks, m5's gives a value (mismatched).
 */
const DAY = 86_400_000;
export const today = new Date().toISOString().slice(0, 10);
export const yesterday = new Date(Date.now() - DAY).toISOString().slice(0, 10);

export const regressionProfile = { name: 'prices', task: 'regression', modalities: ['a', 'b'] };
export const multilabelProfile = { name: 'tags', task: 'multilabel', labels: ['cat', 'dog', 'sun'], modalities: ['img', 'txt'], thresholds: { sun: 0.55 } };

const head = (id: string, day: string, task: string, profile: string, missing: string[], extra: Record<string, unknown> = {}) => ({
  type: 'decision', decisionId: id, time: `${day}T12:00:00.000Z`, source: 'http', strategy: 'average', task, profile: { name: profile, version: 'v1' }, missing, latencyMs: 0.2, ...extra,
});
type V = [value: number, std?: number];
const v = ([value, std]: V) => (std === undefined ? { value } : { value, std });
function reg(id: string, day: string, out: V, a: V, b?: V, extra: Record<string, unknown> = {}) {
  const s = (x: V) => ({ ...v(x), weight: 1, contribution: 0.5 });
  return { ...head(id, day, 'regression', 'prices', b ? [] : ['b'], extra), modalities: b ? { a: s(a), b: s(b) } : { a: s(a) }, output: v(out) };
}

export const regressionDecisions = [
  reg('r1', yesterday, [10, 2], [9, 1], [11]),
  reg('r2', yesterday, [5, 1], [4, 1], [6]),
  reg('r1', yesterday, [10, 2], [9, 1], [11]),
  reg('r3', today, [20], [18, 2]),
  reg('r4', today, [0, 0.5], [1, 0.5], [-1], { variant: 'canary' }),
  reg('r5', today, [7, 1], [7, 1], [7]),
  { ...head('c1', today, 'classification', 'prices', []), modalities: {}, output: { label: 'x', confidence: 1 } },
];

const fb = (decisionId: string, outcome: Record<string, unknown>, source = 'review', at = `${today}T13:00:00.000Z`) => ({ type: 'feedback', decisionId, ...outcome, source, receivedAt: at });
export const regressionFeedback = [
  fb('r1', { value: 100 }, 'first-guess', `${today}T10:00:00.000Z`),
  fb('r1', { value: 12 }),
  fb('r2', { value: 5 }),
  fb('r3', { value: 17 }),
  fb('r4', { value: 1 }),
  fb('r4', { labels: ['a'] }, 'other'),
  fb('r5', { label: 'cheap' }),
];

function ml(id: string, labels: string[], scores: number[], img?: string[], txt?: string[]) {
  const s = (l: string[]) => ({ labels: l, confidence: 0.8, weight: 1, contribution: 0.5 });
  const modalities = { ...(img ? { img: s(img) } : {}), ...(txt ? { txt: s(txt) } : {}) };
  return { ...head(id, today, 'multilabel', 'tags', ['img', 'txt'].filter((m) => !(m in modalities))), modalities, output: { labels, scores: { cat: scores[0], dog: scores[1], sun: scores[2] } } };
}

export const multilabelDecisions = [
  ml('m1', ['cat', 'sun'], [0.9, 0.2, 0.6], ['cat'], ['cat', 'sun']),
  ml('m2', ['dog'], [0.1, 0.7, 0.4], ['dog'], ['dog', 'sun']),
  ml('m3', [], [0.3, 0.4, 0.2], ['cat']),
  ml('m4', ['cat', 'dog'], [0.8, 0.6, 0.1], ['cat'], ['dog']),
  ml('m5', ['sun'], [0.2, 0.2, 0.9], ['sun'], ['sun']),
];
export const multilabelFeedback = [fb('m1', { labels: ['cat'] }), fb('m2', { labels: ['dog', 'sun'] }), fb('m3', { labels: [] }), fb('m4', { labels: ['cat', 'bird'] }), fb('m5', { value: 3 })];

/** The known answers. */
const ln = Math.log;
const nll = (e: number, s: number) => 0.5 * ln(2 * Math.PI * s * s) + (e * e) / (2 * s * s);
export const expectedRegression = {
  average: { rows: 4, mae: 1.5, rmse: Math.sqrt(3.5), r2: 1 - 14 / 152.75, bias: 0, withStd: 3, coverage90: 2 / 3, nll: (nll(-2, 2) + nll(0, 1) + nll(-1, 0.5)) / 3 },
  // a: errors −3, −1, +1, 0 with stds 1, 1, 2, 0.5: all but r1 inside ±1.645·std.
  a: { rows: 4, mae: 5 / 4, rmse: Math.sqrt(11 / 4), withStd: 4, coverage90: 3 / 4 },
  // b: errors −1, +1, −2 (r3 has none), no std.
  b: { rows: 3, mae: 4 / 3, rmse: Math.sqrt(6 / 3), withStd: 0, coverage90: null, nll: null },
};
export const expectedMultilabel = {
  average: {
    rows: 3, microF1: 4 / 6, macroF1: 2 / 3, hamming: 2 / 9, subsetAccuracy: 1 / 3,
    brier: (0.41 + 0.46 + 0.29) / 9,
    logLoss: -(ln(0.9) + ln(0.8) + ln(0.4) + ln(0.9) + ln(0.7) + ln(0.4) + ln(0.7) + ln(0.6) + ln(0.8)) / 9,
  },
  img: { rows: 3, microF1: 4 / 6, macroF1: (2 / 3 + 1 + 0) / 3, hamming: 2 / 9, brier: null },
  txt: { rows: 2, microF1: 6 / 7, macroF1: (1 + 1 + 2 / 3) / 3, hamming: 1 / 6 },
};

export const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');
