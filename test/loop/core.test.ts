import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClassificationTrainingLine, buildDataset } from '../../functions/fusion/loop/dataset.js';
import { type ClassificationDecision, DecisionLine, decisionLine } from '../../functions/fusion/loop/decision-log.js';
import { Feedback, type FeedbackLine, feedbackLine } from '../../functions/fusion/loop/feedback.js';
import { PSI_ALERT, histogram, psi } from '../../functions/fusion/loop/psi.js';
import { chooseVariant, unitHash } from '../../functions/fusion/loop/variant.js';
import { decide } from '../../functions/fusion/fuse.js';
import { prepare } from '../../functions/fusion/prepare.js';
import { average } from '../../functions/fusion/rules/average.js';

describe('population stability index', () => {
  it('should match a worked example: (0.5, 0.3, 0.2) against (0.3, 0.3, 0.4)', () => {
    // (0.3-0.5) ln(0.3/0.5) + 0 + (0.4-0.2) ln(0.4/0.2) = 0.2·0.5108 + 0.2·0.6931 = 0.24079
    expect(psi([0.5, 0.3, 0.2], [0.3, 0.3, 0.4])).toBeCloseTo(0.240795, 5);
    expect(psi([0.5, 0.3, 0.2], [0.3, 0.3, 0.4])).toBeGreaterThan(PSI_ALERT);
  });

  it('should be 0 for the same shares, symmetric, and accept counts', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 10 }), fc.integer({ min: 1, max: 50 }), (counts, scale) => {
        expect(psi(counts, counts.map((c) => c * scale))).toBeCloseTo(0, 12);
        const other = [...counts].reverse();
        expect(psi(counts, other)).toBeCloseTo(psi(other, counts), 12);
        expect(psi(counts, other)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('should stay finite for an empty bin and count labels into bins', () => {
    expect(Number.isFinite(psi([1, 0], [0, 1]))).toBe(true);
    expect(histogram([0, 2, 2, 5, -1], 3)).toEqual([1, 0, 2]);
  });
});

describe('canary variant', () => {
  it('should give the same variant for the same id, every time', () => {
    fc.assert(fc.property(fc.string(), fc.double({ min: 0, max: 1, noNaN: true }), (id, f) => chooseVariant(id, f) === chooseVariant(id, f)));
  });

  it('should send a share of 10,000 ids to the canary within binomial bounds (4 sigma)', () => {
    for (const fraction of [0.01, 0.1, 0.5]) {
      let canary = 0;
      for (let i = 0; i < 10_000; i++) if (chooseVariant(`decision-${i}`, fraction) === 'canary') canary++;
      const sd = Math.sqrt(10_000 * fraction * (1 - fraction));
      expect(Math.abs(canary - 10_000 * fraction)).toBeLessThan(4 * sd);
    }
    expect(chooseVariant('x', 0)).toBe('primary');
    expect(chooseVariant('x', 1)).toBe('canary');
    expect(unitHash('a')).not.toBe(unitHash('b'));
  });
});

const classes = ['neg', 'pos'];
function decision(id: string, extra: Partial<ClassificationDecision> = {}): ClassificationDecision {
  const p = prepare({ profile: 'p', predictions: { text: { probabilities: [0.2, 0.8] }, audio: { label: 'neg', confidence: 0.9 } } }, () => ({
    profile: { name: 'p', classes, modalities: ['text', 'audio', 'video'] },
    version: 'v1',
  }));
  return { ...(decisionLine({ decisionId: id, source: 'http', latencyMs: 0.12345, payloads: true, time: new Date(0) }, p, decide(average, p)) as ClassificationDecision), ...extra };
}
const fb = (f: Partial<FeedbackLine>): FeedbackLine => ({ type: 'feedback', source: 'default', receivedAt: '2026-12-01T00:00:00.000Z', ...f });

describe('decision log line', () => {
  it('should carry summaries always and inputs only with payloads, and match its schema', () => {
    const line = decision('d1');
    expect(DecisionLine.safeParse(line).success).toBe(true);
    expect(line.modalities).toEqual({
      text: { label: 'pos', confidence: 0.8, weight: 1, contribution: expect.any(Number) },
      audio: { label: 'neg', confidence: 0.9, weight: 1, contribution: expect.any(Number) },
    });
    expect(line.missing).toEqual(['video']);
    expect(line.profile).toEqual({ name: 'p', version: 'v1' });
    expect(line.latencyMs).toBe(0.123);
    expect(line.inputs).toBeDefined();
    const p = prepare({ classes, predictions: { text: { probabilities: [0.2, 0.8] } } });
    expect(decisionLine({ decisionId: 'x', source: 'sqs', latencyMs: 1, payloads: false }, p, decide(average, p)).inputs).toBeUndefined();
  });
});

describe('feedback', () => {
  it('should need exactly one id and one outcome, naming the field', () => {
    expect(Feedback.safeParse({ decisionId: 'a', label: 'pos' }).success).toBe(true);
    const both = Feedback.safeParse({ decisionId: 'a', joinId: 'b', label: 'pos' });
    expect(both.success).toBe(false);
    expect(both.error!.issues[0]!.message).toMatch(/exactly one of decisionId or joinId/);
    expect(Feedback.safeParse({ decisionId: 'a', label: 'pos', value: 1 }).error!.issues[0]!.message).toMatch(/exactly one outcome/);
    expect(Feedback.safeParse({ decisionId: 'a b', label: 'pos' }).success).toBe(false);
    expect(feedbackLine({ joinId: 'j', label: 'x' }, new Date(0))).toEqual({ type: 'feedback', joinId: 'j', label: 'x', source: 'default', receivedAt: '1970-01-01T00:00:00.000Z' });
  });
});

describe('dataset from decisions and feedback', () => {
  it('should join with known answers: duplicates, late, orphan and conflicting labels, joins, missing inputs', () => {
    const decisions = [
      decision('d1'),
      decision('d2'),
      decision('d3'),
      decision('d4', { inputs: undefined }),
      decision('d5', { joinId: 'j5' }),
      decision('d1'),
      decision('d6', { profile: { name: 'other', version: 'v' } }),
    ];
    const feedback = [
      fb({ decisionId: 'd1', label: 'neg' }),
      fb({ decisionId: 'd1', label: 'pos', receivedAt: '2026-12-02T00:00:00.000Z' }), // a later correction: wins
      fb({ decisionId: 'd2', label: 'pos', source: 'a' }),
      fb({ decisionId: 'd2', label: 'neg', source: 'b', receivedAt: '2026-12-03T00:00:00.000Z' }), // conflict: latest wins
      fb({ decisionId: 'd4', label: 'neg' }),
      fb({ joinId: 'j5', label: 'neg' }),
      fb({ decisionId: 'nope', label: 'pos' }), // orphan
      fb({ decisionId: 'd6', label: 'pos' }), // another profile's: neither used nor orphan
    ];
    const { task, lines, report } = buildDataset(decisions, feedback, 'p');
    expect(task).toBe('classification');
    expect((lines as ClassificationTrainingLine[]).map((l) => [l.id, l.label])).toEqual([
      ['d1', 'pos'],
      ['d2', 'neg'],
      ['d5', 'neg'],
    ]);
    expect(lines[0]!.predictions).toEqual({ text: { probabilities: [0.2, 0.8] }, audio: { label: 'neg', confidence: 0.9 } });
    expect(report).toEqual({ decisions: 5, labelled: 3, unlabelled: 1, orphanLabels: 1, withoutInputs: 1, duplicates: 1, conflicts: 1, repeatedDecisions: 1, mismatched: 0, otherTask: 0 });
  });
});

describe('label-free monitoring', () => {
  it('should count missing, confidence, disagreement, contribution and drift per modality', async () => {
    const { modalityStats, referenceShares } = await import('../../functions/fusion/loop/monitor.js');
    const lines = [decision('x1'), decision('x2'), { ...decision('x3'), modalities: { text: { label: 'pos', confidence: 0.6, weight: 1, contribution: 1 } } }];
    const stats = modalityStats(lines, ['text', 'audio', 'video'], classes, { text: [0.5, 0.5], audio: [0.5, 0.5] });
    // Each decision: text says pos at 0.8 (0.6 in x3), audio neg at 0.9 (absent in x3); the average picks neg.
    expect(lines[0]!.output.label).toBe('neg');
    expect(stats.text).toMatchObject({ decisions: 3, missingRate: 0, disagreementRate: 1, classShares: [0, 1] });
    expect(stats.text!.meanConfidence).toBeCloseTo((0.8 + 0.8 + 0.6) / 3, 12);
    expect(stats.audio).toMatchObject({ missingRate: 1 / 3, disagreementRate: 0, meanConfidence: 0.9, classShares: [1, 0] });
    expect(stats.video).toMatchObject({ missingRate: 1, meanConfidence: null });
    expect(stats.text!.drift).toBe(true);
    expect(stats.text!.psi).toBeCloseTo(psi([0.5, 0.5], [0, 1]), 12);
    expect(referenceShares([[Float64Array.of(0.2, 0.8), undefined], [Float64Array.of(0.9, 0.1), Float64Array.of(0.4, 0.6)]], ['a', 'b'], 2)).toEqual({ a: [0.5, 0.5], b: [0, 1] });
  });
});
