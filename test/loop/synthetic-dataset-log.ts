/**
 * Decision logs with their inputs and feedback, for `fusion dataset` on each task, with the
 * known answers worked out by hand.
 *
 * Regression profile "yields" (modalities a, b): y1 relabelled by a second source (a conflict,
 * the latest value 3 wins), y2 logged twice and its feedback sent twice, y3's value arriving a
 * day late, y4 also given a class label (mismatched; its value counts), y5 given only labels
 * (mismatched, so unlabelled), y6 without feedback, y7 logged without inputs, y8 given the same
 * value by two sources (no conflict), a classification decision logged under the name (another
 * task), and a value for a decision the log does not hold (an orphan).
 *
 * Multi-label profile "scenes" (labels cat, dog, sun; modalities img, txt): m1 given the same
 * set by two sources in another order (no conflict), m2 relabelled with another set (a
 * conflict), m3 given the empty set, m4 a repeated label, m5 a value (mismatched), m6 reached
 * through its joinId.
 *
 * Classification profile "moods" (classes neg, pos): c1 given a class and, by another source, a
 * value (mismatched, the class counts), c2 only a value (mismatched, unlabelled).
 */
const DAY = 86_400_000;
export const today = new Date().toISOString().slice(0, 10);
export const yesterday = new Date(Date.now() - DAY).toISOString().slice(0, 10);

export const regressionProfile = { name: 'yields', task: 'regression', modalities: ['a', 'b'] };
export const multilabelProfile = { name: 'scenes', task: 'multilabel', labels: ['cat', 'dog', 'sun'], modalities: ['img', 'txt'] };
export const classificationProfile = { name: 'moods', classes: ['neg', 'pos'], modalities: ['text'] };

const head = (id: string, day: string, task: string, profile: string, extra: Record<string, unknown> = {}) => ({
  type: 'decision', decisionId: id, time: `${day}T12:00:00.000Z`, source: 'http', strategy: 'average', task, profile: { name: profile, version: 'v1' }, latencyMs: 0.2, ...extra,
});

type V = { value: number; std?: number };
function reg(id: string, day: string, a: V, b?: V, withInputs = true) {
  const s = (x: V) => ({ ...x, weight: 1, contribution: 0.5 });
  const inputs = b ? { a, b } : { a };
  return { ...head(id, day, 'regression', 'yields'), missing: b ? [] : ['b'], modalities: b ? { a: s(a), b: s(b) } : { a: s(a) }, ...(withInputs ? { inputs } : {}), output: { value: (a.value + (b?.value ?? a.value)) / 2 } };
}
const cls = (id: string, profile: string, label = 'pos') => ({
  ...head(id, today, 'classification', profile), missing: [], modalities: { text: { label, confidence: 0.8, weight: 1, contribution: 1 } },
  inputs: { text: { label, confidence: 0.8 } }, output: { label, confidence: 0.8 },
});

export const regressionDecisionsYesterday = [
  reg('y1', yesterday, { value: 1, std: 0.5 }, { value: 2 }),
  reg('y2', yesterday, { value: 2 }, { value: 3, std: 1 }),
  reg('y2', yesterday, { value: 2 }, { value: 3, std: 1 }),
  reg('y3', yesterday, { value: 3 }),
];
export const regressionDecisionsToday = [
  reg('y4', today, { value: 4 }, { value: 5 }),
  reg('y5', today, { value: 5 }, { value: 6 }),
  reg('y6', today, { value: 6 }, { value: 6 }),
  reg('y7', today, { value: 1 }, { value: 1 }, false),
  reg('y8', today, { value: 6 }, { value: 7 }),
  cls('yc', 'yields'),
];

function ml(id: string, img: number[], txt?: number[], extra: Record<string, unknown> = {}) {
  const s = (scores: number[]) => ({ labels: ['cat', 'dog', 'sun'].filter((_, i) => scores[i]! >= 0.5), confidence: 0.8, weight: 1, contribution: 0.5 });
  return {
    ...head(id, today, 'multilabel', 'scenes', extra), missing: txt ? [] : ['txt'], modalities: txt ? { img: s(img), txt: s(txt) } : { img: s(img) },
    inputs: txt ? { img: { scores: img }, txt: { scores: txt } } : { img: { scores: img } }, output: { labels: s(img).labels, scores: { cat: img[0], dog: img[1], sun: img[2] } },
  };
}
export const multilabelDecisions = [
  ml('m1', [0.9, 0.1, 0.6], [0.8, 0.2, 0.7]),
  ml('m2', [0.2, 0.8, 0.4], [0.1, 0.9, 0.6]),
  ml('m3', [0.1, 0.2, 0.3]),
  ml('m4', [0.7, 0.3, 0.2], [0.6, 0.4, 0.1]),
  ml('m5', [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
  ml('m6', [0.3, 0.7, 0.2], [0.2, 0.6, 0.3], { source: 'join', joinId: 'j6' }),
];
export const classificationDecisions = [cls('c1', 'moods'), cls('c2', 'moods', 'neg')];

const fb = (id: string, outcome: Record<string, unknown>, source = 'review', at = `${today}T13:00:00.000Z`) => ({ type: 'feedback', ...(id.startsWith('j') ? { joinId: id } : { decisionId: id }), ...outcome, source, receivedAt: at });
/** Feedback stored on the day before (y1's first guess): the rest arrives today. */
export const feedbackYesterday = [fb('y1', { value: 10 }, 'first-guess', `${yesterday}T18:00:00.000Z`)];
export const feedbackToday = [
  fb('y1', { value: 3 }),
  fb('y2', { value: 5 }),
  fb('y2', { value: 5 }),
  fb('y3', { value: 6 }),
  fb('y4', { value: 9 }),
  fb('y4', { label: 'high' }, 'other'),
  fb('y5', { labels: ['x'] }),
  fb('y7', { value: 4 }),
  fb('y8', { value: 11 }),
  fb('y8', { value: 11 }, 'other'),
  fb('yc', { label: 'pos' }),
  fb('ghost', { value: 1 }),
  fb('m1', { labels: ['cat', 'sun'] }),
  fb('m1', { labels: ['sun', 'cat'] }, 'other'),
  fb('m2', { labels: ['dog'] }, 'first-guess', `${today}T10:00:00.000Z`),
  fb('m2', { labels: ['dog', 'sun'] }),
  fb('m3', { labels: [] }),
  fb('m4', { labels: ['cat', 'cat'] }),
  fb('m5', { value: 3 }),
  fb('j6', { labels: ['dog'] }),
  fb('c1', { label: 'pos' }),
  fb('c1', { value: 2 }, 'other'),
  fb('c2', { value: 1 }),
];

export const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/** The known answers (duplicates and orphans are counted over the whole log, as for every profile). */
export const expected = {
  regression: {
    lines: [
      { id: 'y1', predictions: { a: { value: 1, std: 0.5 }, b: { value: 2 } }, value: 3 },
      { id: 'y2', predictions: { a: { value: 2 }, b: { value: 3, std: 1 } }, value: 5 },
      { id: 'y3', predictions: { a: { value: 3 } }, value: 6 },
      { id: 'y4', predictions: { a: { value: 4 }, b: { value: 5 } }, value: 9 },
      { id: 'y8', predictions: { a: { value: 6 }, b: { value: 7 } }, value: 11 },
    ],
    report: { decisions: 9, labelled: 5, unlabelled: 2, withoutInputs: 1, otherTask: 1, orphanLabels: 1, duplicates: 1, conflicts: 1, repeatedDecisions: 1, mismatched: 2 },
  },
  multilabel: {
    lines: [
      { id: 'm1', predictions: { img: { scores: [0.9, 0.1, 0.6] }, txt: { scores: [0.8, 0.2, 0.7] } }, labels: ['cat', 'sun'] },
      { id: 'm2', predictions: { img: { scores: [0.2, 0.8, 0.4] }, txt: { scores: [0.1, 0.9, 0.6] } }, labels: ['dog', 'sun'] },
      { id: 'm3', predictions: { img: { scores: [0.1, 0.2, 0.3] } }, labels: [] },
      { id: 'm4', predictions: { img: { scores: [0.7, 0.3, 0.2] }, txt: { scores: [0.6, 0.4, 0.1] } }, labels: ['cat'] },
      { id: 'm6', predictions: { img: { scores: [0.3, 0.7, 0.2] }, txt: { scores: [0.2, 0.6, 0.3] } }, labels: ['dog'] },
    ],
    report: { decisions: 6, labelled: 5, unlabelled: 1, withoutInputs: 0, otherTask: 0, orphanLabels: 1, duplicates: 1, conflicts: 1, repeatedDecisions: 0, mismatched: 1 },
  },
  classification: {
    lines: [{ id: 'c1', predictions: { text: { label: 'pos', confidence: 0.8 } }, label: 'pos' }],
    report: { decisions: 2, labelled: 1, unlabelled: 1, withoutInputs: 0, otherTask: 0, orphanLabels: 1, duplicates: 1, conflicts: 0, repeatedDecisions: 0, mismatched: 2 },
  },
};
