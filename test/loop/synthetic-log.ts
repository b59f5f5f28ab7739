/**
 * A small decision log with known answers (profile "moods": classes neg, pos; modalities text,
 * audio), written as the local store or the bucket lays it out. Two days: yesterday d1–d4 with
 * every modality, today d5–d8 with audio missing from d7 and d8; d5 and d6 answered by the
 * canary; a "product" shadow on d5, d6 (agreeing once) and d8 (failed). Feedback labels d1–d6,
 * gives d7 a label that is not a class, names a decision that does not exist, and relabels d3
 * (the latest label, neg, wins). d1 is logged twice.
 */
const DAY = 86_400_000;
export const today = new Date().toISOString().slice(0, 10);
export const yesterday = new Date(Date.now() - DAY).toISOString().slice(0, 10);

export const profile = {
  name: 'moods',
  classes: ['neg', 'pos'],
  modalities: ['text', 'audio'],
  reference: { rows: 100, shares: { text: [0.9, 0.1], audio: [0.5, 0.5] } },
};

type M = [label: string, confidence: number];
function decision(id: string, day: string, out: M, text: M, audio?: M, extra: Record<string, unknown> = {}) {
  const s = ([label, confidence]: M, contribution: number) => ({ label, confidence, weight: 1, contribution });
  return {
    type: 'decision',
    decisionId: id,
    time: `${day}T12:00:00.000Z`,
    source: 'http',
    strategy: 'average',
    task: 'classification',
    profile: { name: 'moods', version: 'v1' },
    modalities: audio ? { text: s(text, 0.5), audio: s(audio, 0.5) } : { text: s(text, 1) },
    missing: audio ? [] : ['audio'],
    inputs: { text: { label: text[0], confidence: text[1] }, ...(audio ? { audio: { label: audio[0], confidence: audio[1] } } : {}) },
    output: { label: out[0], confidence: out[1] },
    latencyMs: 0.2,
    ...extra,
  };
}

export const decisionsYesterday = [
  decision('d1', yesterday, ['pos', 0.8], ['pos', 0.9], ['pos', 0.6]),
  decision('d2', yesterday, ['neg', 0.7], ['neg', 0.8], ['pos', 0.6]),
  decision('d3', yesterday, ['pos', 0.6], ['pos', 0.7], ['neg', 0.9]),
  decision('d4', yesterday, ['neg', 0.9], ['neg', 0.9], ['neg', 0.8]),
  decision('d1', yesterday, ['pos', 0.8], ['pos', 0.9], ['pos', 0.6]),
  // Another profile's decision: never counted for moods.
  { ...decision('x1', yesterday, ['pos', 0.8], ['pos', 0.9], ['pos', 0.6]), profile: { name: 'other', version: 'v1' } },
];
export const decisionsToday = [
  decision('d5', today, ['pos', 0.8], ['pos', 0.8], ['pos', 0.7], { variant: 'canary', shadows: [{ name: 'product', label: 'pos', confidence: 0.9, agree: true }] }),
  decision('d6', today, ['pos', 0.7], ['pos', 0.6], ['neg', 0.6], { variant: 'canary', shadows: [{ name: 'product', label: 'neg', confidence: 0.6, agree: false }] }),
  decision('d7', today, ['neg', 0.6], ['neg', 0.6], undefined, { variant: 'primary' }),
  decision('d8', today, ['pos', 0.9], ['pos', 0.9], undefined, { shadows: [{ name: 'product', error: 'model failed' }] }),
];

const fb = (decisionId: string, label: string, source = 'review', at = `${today}T13:00:00.000Z`) => ({ type: 'feedback', decisionId, label, source, receivedAt: at });
export const feedback = [
  fb('d1', 'pos'),
  fb('d2', 'neg'),
  fb('d3', 'pos', 'first-guess', `${today}T10:00:00.000Z`),
  fb('d3', 'neg'),
  fb('d4', 'neg'),
  fb('d5', 'pos'),
  fb('d6', 'neg'),
  fb('d7', 'maybe'),
  fb('nobody', 'pos'),
];

export const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/** The known answers. */
const ln = Math.log;
export const expected = {
  decisions: 8,
  labelled: 6,
  unknownLabels: 1,
  average: { rows: 6, accuracy: 4 / 6, logLoss: -(ln(0.8) + ln(0.7) + ln(0.4) + ln(0.9) + ln(0.8) + ln(0.3)) / 6, ece: (2 * 0.2 + 2 * 0.2 + 0.6 + 0.1) / 6 },
  text: { rows: 6, accuracy: 4 / 6 },
  audio: { rows: 6, accuracy: 5 / 6 },
  primary: { decisions: 6, rows: 4, accuracy: 3 / 4 },
  canary: { decisions: 2, rows: 2, accuracy: 1 / 2 },
  product: { decisions: 3, failures: 1, agreement: 0.5, rows: 2, accuracy: 1, logLoss: -(ln(0.9) + ln(0.6)) / 2 },
  missing: [
    { day: yesterday, decisions: 4, missingRate: { text: 0, audio: 0 } },
    { day: today, decisions: 4, missingRate: { text: 0, audio: 0.5 } },
  ],
  // text predicted neg 3 times and pos 5 times out of 8, against the reference (0.9, 0.1).
  textPsi: (0.375 - 0.9) * ln(0.375 / 0.9) + (0.625 - 0.1) * ln(0.625 / 0.1),
  audioPsi: 0,
};
