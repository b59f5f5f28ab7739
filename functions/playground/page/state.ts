/**
 * The playground's state: what the page shows, how it travels in the URL, and the fusion request
 * it stands for. Pure (no DOM), so the tests run it in Node as well as in the browser.
 */
import * as z from 'zod/mini';
import { LIMITS } from '../../fusion/schemas.js';
import type { FusionRequest, Profile } from '../../fusion/schemas.js';

/** How a modality's prediction is given. */
export const KINDS = ['probabilities', 'logits', 'label'] as const;

/** Largest classes and modalities the playground edits (a page of sliders stays usable). */
export const PLAYGROUND_LIMITS = { classes: 12, modalities: 8 } as const;

const name = (what: string, max: number) =>
  z.string().check(z.minLength(1, `${what} must not be empty`), z.maxLength(max, `${what} must be at most ${max} characters`));
const finite = z.number().check(z.refine(Number.isFinite, 'must be a finite number'));

export const ModalityState = z.strictObject({
  name: name('a modality name', LIMITS.maxModalityName),
  kind: z.enum(KINDS),
  /** Probabilities (kept normalised) or logits, one per class. */
  values: z.array(finite).check(z.maxLength(PLAYGROUND_LIMITS.classes)),
  /** The class index of a label prediction. */
  label: z.int().check(z.minimum(0)),
  confidence: finite.check(z.minimum(0), z.maximum(1)),
  weight: finite.check(z.minimum(0), z.maximum(1000)),
  temperature: finite.check(z.positive(), z.maximum(100)),
  missing: z.boolean(),
});
export type ModalityState = z.infer<typeof ModalityState>;

/** The whole page: the source of the setup, its classes and modalities, and the rule options. */
export const PlaygroundState = z
  .strictObject({
    /** A profile, `embedded` in the page or `stored` in the server's store; absent for a hand-made setup. */
    profile: z.optional(z.strictObject({ name: name('a profile name', 128), source: z.enum(['embedded', 'stored']) })),
    classes: z.array(name('a class name', 256)).check(z.minLength(2, 'give at least 2 classes'), z.maxLength(PLAYGROUND_LIMITS.classes, `the playground edits at most ${PLAYGROUND_LIMITS.classes} classes`)),
    modalities: z.array(ModalityState).check(z.minLength(1, 'give at least 1 modality'), z.maxLength(PLAYGROUND_LIMITS.modalities, `the playground edits at most ${PLAYGROUND_LIMITS.modalities} modalities`)),
    mode: z.enum(['hard', 'confidence']),
    tieBreak: z.enum(['first', 'average']),
  })
  .check(
    z.refine((s) => s.modalities.every((m) => m.values.length === s.classes.length && m.label < s.classes.length), 'every modality needs one value per class and a label among the classes'),
    z.refine((s) => new Set(s.modalities.map((m) => m.name)).size === s.modalities.length, 'modality names must be unique'),
    z.refine((s) => new Set(s.classes).size === s.classes.length, 'class names must be unique'),
  );
export type PlaygroundState = z.infer<typeof PlaygroundState>;

/** A modality with every field at its default: uniform probabilities, weight 1, temperature 1. */
export function modality(name: string, classes: number, values?: number[]): ModalityState {
  return { name, kind: 'probabilities', values: values ?? uniform(classes), label: 0, confidence: 1, weight: 1, temperature: 1, missing: false };
}

const uniform = (n: number) => new Array<number>(n).fill(1 / n);

function custom(classes: string[], modalities: ModalityState[]): PlaygroundState {
  return { classes, modalities, mode: 'hard', tieBreak: 'first' };
}

const labelled = (m: ModalityState, label: number, confidence: number): ModalityState => ({ ...m, kind: 'label', label, confidence });

/** The worked examples, one button each. */
export const PRESETS: Record<string, PlaygroundState> = {
  'average-two': custom(['no', 'yes'], [modality('image', 2, [0.3, 0.7]), modality('audio', 2, [0.4, 0.6])]),
  'weighted-two': custom(['no', 'yes'], [{ ...modality('image', 2, [0.3, 0.7]), weight: 0.6 }, { ...modality('audio', 2, [0.4, 0.6]), weight: 0.4 }]),
  'vote-three': custom(['A', 'B'], [labelled(modality('image', 2), 0, 0.9), labelled(modality('audio', 2), 0, 0.7), labelled(modality('text', 2), 1, 0.8)]),
  sentiment: {
    ...custom(['negative', 'neutral', 'positive'], [
      { ...modality('text', 3, [0.1, 0.2, 0.7]), weight: 0.5 },
      { ...modality('video', 3, [0.2, 0.5, 0.3]), weight: 0.3 },
      { ...labelled(modality('audio', 3), 2, 0.6), weight: 0.2 },
    ]),
    profile: { name: 'sentiment', source: 'embedded' },
  },
};

/** A profile's setup: its classes and modalities, its weights and temperatures, uniform predictions. */
export function fromProfile(profile: Profile, source: 'embedded' | 'stored'): PlaygroundState {
  const C = profile.classes.length;
  if (C > PLAYGROUND_LIMITS.classes || profile.modalities.length > PLAYGROUND_LIMITS.modalities)
    throw new Error(`profile "${profile.name}" has ${C} classes and ${profile.modalities.length} modalities; the playground edits at most ${PLAYGROUND_LIMITS.classes} and ${PLAYGROUND_LIMITS.modalities}`);
  return {
    profile: { name: profile.name, source },
    classes: [...profile.classes],
    modalities: profile.modalities.map((m) => ({ ...modality(m, C), weight: profile.weights?.[m] ?? 1, temperature: profile.temperatures?.[m] ?? 1 })),
    mode: profile.mode ?? 'hard',
    tieBreak: profile.tieBreak ?? 'first',
  };
}

/**
 * Sets probability `c` of `values` to `v` and scales the others so the sum stays 1 (shared
 * equally when they were all 0).
 */
export function setProbability(values: number[], c: number, v: number): number[] {
  const x = Math.min(1, Math.max(0, v));
  const rest = values.reduce((s, p, i) => (i === c ? s : s + p), 0);
  const n = values.length - 1;
  return values.map((p, i) => (i === c ? x : rest > 0 ? (p * (1 - x)) / rest : (1 - x) / n));
}

/** Converts a modality's prediction to another kind, keeping what it says as far as the kind can. */
export function convert(m: ModalityState, kind: ModalityState['kind']): ModalityState {
  if (kind === m.kind) return m;
  const probs = m.kind === 'logits' ? softmaxOf(m.values) : m.kind === 'label' ? labelProbs(m) : m.values;
  if (kind === 'probabilities') return { ...m, kind, values: probs };
  if (kind === 'logits') return { ...m, kind, values: probs.map((p) => round(Math.log(Math.max(p, 1e-3)), 2)) };
  const top = probs.indexOf(Math.max(...probs));
  return { ...m, kind, label: top, confidence: round(probs[top]!, 2) };
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

function softmaxOf(z: number[]): number[] {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function labelProbs(m: ModalityState): number[] {
  const n = m.values.length;
  return m.values.map((_, i) => (i === m.label ? m.confidence : (1 - m.confidence) / (n - 1)));
}

/** The fusion request the page stands for (what "copy as JSON" gives and every strategy card fuses). */
export function toRequest(s: PlaygroundState): FusionRequest {
  const present = s.modalities.filter((m) => !m.missing);
  const predictions: FusionRequest['predictions'] = {};
  for (const m of present) {
    if (m.kind === 'label') predictions[m.name] = { label: s.classes[m.label]!, confidence: m.confidence };
    else predictions[m.name] = { [m.kind]: m.values };
  }
  const weights = Object.fromEntries(s.modalities.map((m) => [m.name, m.weight]));
  const temperatures = Object.fromEntries(s.modalities.filter((m) => m.temperature !== 1).map((m) => [m.name, m.temperature]));
  const options: NonNullable<FusionRequest['options']> = { mode: s.mode, tieBreak: s.tieBreak };
  if (Object.keys(temperatures).length) options.temperatures = temperatures;
  const where = s.profile ? { profile: s.profile.name } : { classes: s.classes, modalities: s.modalities.map((m) => m.name) };
  return { ...where, predictions, weights, options };
}

/** The URL fragment holding `s` (without `#`). */
export function encodeState(s: PlaygroundState): string {
  return `state=${encodeURIComponent(JSON.stringify(s))}`;
}

/** Reads the state from a URL fragment: the state, nothing (no state in it) or the reason it is unusable. */
export function decodeState(hash: string): PlaygroundState | undefined | { error: string } {
  const text = new URLSearchParams(hash.replace(/^#/, '')).get('state');
  if (text === null) return undefined;
  if (text.length > 20_000) return { error: 'the state in the link is over 20,000 characters' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'the state in the link is not valid JSON' };
  }
  const parsed = PlaygroundState.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return { error: `the state in the link is invalid at "${issue.path.join('.') || '(top)'}": ${issue.message}` };
}

/** A number as a decimal with at least two places and at most three (0.65, 0.667). */
export function formatNumber(v: number): string {
  const s = v.toFixed(3);
  return s.endsWith('0') ? v.toFixed(2) : s;
}
