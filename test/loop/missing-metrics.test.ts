/**
 * The label-free metrics as the EMF records a request writes: one per {profile, modality}, then
 * the service-wide totals of ModalityDecisions and ModalityMissing that the fast missing-rate
 * alarm divides (infra/lib/loop.ts).
 */
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

import { fuseAny } from '../../functions/fusion/fuse.js';
import { average } from '../../functions/fusion/rules/average.js';
import { type Decision, assignDecisionIds, collector, recordDecisions } from '../../functions/loop/record.js';
import type { EmfRecord } from '../../functions/observability.js';

const PROFILE = { name: 'p', classes: ['neg', 'pos'], modalities: ['text', 'audio', 'video'] };

function decided(input: unknown): Decision[] {
  const { observe, decided } = collector();
  fuseAny(average, input, () => ({ profile: PROFILE, version: 'v1' }), {}, observe);
  return assignDecisionIds('r', input, decided);
}

/** The EMF records written while recording `decisions`. */
function emf(decisions: Decision[]): EmfRecord[] {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  try {
    recordDecisions(decisions, { source: 'http', latencyMs: 1 }, { sample: 1, payloads: false, stdout: false });
  } finally {
    spy.mockRestore();
  }
  return out.split('\n').filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as EmfRecord);
}

const dimensionsOf = (r: EmfRecord) => r._aws.CloudWatchMetrics[0]!.Dimensions[0];

describe('service-wide missing-modality totals', () => {
  it('should follow the per-modality records with one record, dimension service only, summing decisions and missing over them', () => {
    // Three decisions of a three-modality profile: 1 + 2 + 0 modalities missing of 9 expected.
    const records = emf(
      decided({
        profile: 'p',
        items: [
          { predictions: { text: { probabilities: [0.2, 0.8] }, audio: { label: 'neg', confidence: 0.9 } } },
          { predictions: { text: { probabilities: [0.4, 0.6] } } },
          { predictions: { text: { label: 'pos' }, audio: { label: 'pos' }, video: { label: 'neg' } } },
        ],
      }),
    );
    expect(records.map(dimensionsOf)).toEqual([...Array(3).fill(['service', 'profile', 'modality']), ['service']]);
    const total = records.at(-1)!;
    expect(total._aws.CloudWatchMetrics[0]!.Metrics).toEqual([
      { Name: 'ModalityDecisions', Unit: 'Count' },
      { Name: 'ModalityMissing', Unit: 'Count' },
    ]);
    expect([total.ModalityDecisions, total.ModalityMissing, total.profile, total.modality]).toEqual([9, 3, undefined, undefined]);
    const perModality = records.slice(0, -1);
    expect(perModality.reduce((s, r) => s + (r.ModalityDecisions as number), 0)).toBe(total.ModalityDecisions);
    expect(perModality.reduce((s, r) => s + (r.ModalityMissing as number), 0)).toBe(total.ModalityMissing);
  });

  it('should write no totals for decisions that name no profile', () => {
    expect(emf(decided({ classes: ['a', 'b'], predictions: { t: { label: 'a' } } }))).toEqual([]);
  });
});
