import type { ResolvedProfile } from '../../functions/fusion/prepare.js';
import type { JoinContext } from '../../functions/fusion/join/reducer.js';
import type { Profile } from '../../functions/fusion/schemas.js';

/** The test profile: three modalities, a quorum of 2 and a 30 s window. */
export const PROFILE: Profile = {
  name: 'sentiment',
  classes: ['negative', 'neutral', 'positive'],
  modalities: ['text', 'video', 'audio'],
  weights: { text: 0.5, video: 0.3, audio: 0.2 },
  join: { strategy: 'average', quorum: 2, windowSeconds: 30 },
};

export const RESOLVED: ResolvedProfile = { profile: PROFILE, version: 'v1' };

export function context(joinId = 'item-1', join: Partial<NonNullable<Profile['join']>> = {}): JoinContext {
  const profile = { ...PROFILE, join: { ...PROFILE.join!, ...join } };
  return { profile: { profile, version: 'v1' }, join: profile.join, joinId };
}

/** A valid prediction for 3 classes from three numbers (normalised). */
export function prediction(a: number, b: number, c: number): { probabilities: number[] } {
  const s = a + b + c;
  return { probabilities: [a / s, b / s, c / s] };
}
