/**
 * Population stability index between a reference distribution (the class shares a modality
 * predicted on the training data) and the shares it predicts in production:
 * PSI = Σ_c (a_c − e_c) · ln(a_c / e_c), with both sides floored at `epsilon` so that an empty
 * bin does not make it infinite. Siddiqi, Credit Risk Scorecards, Wiley 2006: below 0.1 no
 * shift, 0.1 to 0.2 a moderate one, above 0.2 a significant one.
 */
export const PSI_ALERT = 0.2;

/** PSI of `actual` against `expected`; both are shares or counts over the same bins (normalised here). */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = 1e-4): number {
  if (expected.length !== actual.length) throw new RangeError(`psi needs bins of the same length (${expected.length} and ${actual.length})`);
  const e = shares(expected);
  const a = shares(actual);
  let sum = 0;
  for (let i = 0; i < e.length; i++) {
    const ei = Math.max(e[i]!, epsilon);
    const ai = Math.max(a[i]!, epsilon);
    sum += (ai - ei) * Math.log(ai / ei);
  }
  return sum;
}

/** Counts (or weights) as shares summing to 1; all zeros stay zeros. */
export function shares(counts: readonly number[]): number[] {
  let total = 0;
  for (const c of counts) total += c;
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/** How often each class index in `labels` occurs, over `C` classes. */
export function histogram(labels: Iterable<number>, C: number): number[] {
  const out = new Array<number>(C).fill(0);
  for (const l of labels) if (l >= 0 && l < C) out[l]!++;
  return out;
}
