/** One modality's prediction as a calibrated distribution, with the checks that need the class list. */
import { f64 } from './buffers.js';
import { softmax, temper } from './calibrate.js';
import { type FieldError, joinPath } from './errors.js';
import { LIMITS, type Prediction } from './schemas.js';

const hasOwn = Object.hasOwn;

const indexes = new WeakMap<string[], Map<string, number>>();

/** Position of a class name in `classes`, or -1; a map for long class lists, a scan for short ones. */
export function classIndex(classes: string[], name: string): number {
  if (classes.length <= 32) return classes.indexOf(name);
  let index = indexes.get(classes);
  if (!index) {
    index = new Map();
    for (let c = classes.length - 1; c >= 0; c--) index.set(classes[c]!, c);
    indexes.set(classes, index);
  }
  return index.get(name) ?? -1;
}

/**
 * One prediction as a calibrated distribution over `classes` (temperature `t`), or undefined
 * after adding what is wrong to `errors` (paths under `at`, modality `m`).
 */
export function distribution(pred: Prediction, classes: string[], t: number, errors: FieldError[], at: string, m: string): Float64Array | undefined {
  const given = +(pred.probabilities !== undefined) + +(pred.logits !== undefined) + +(pred.label !== undefined);
  if (given !== 1) {
    const fields = (['probabilities', 'logits', 'label'] as const).filter((f) => pred[f] !== undefined);
    errors.push({ path: where(at, m, ''), message: given ? `give exactly one of probabilities, logits or label, not ${fields.join(' and ')}` : 'give one of probabilities, logits or label' });
    return undefined;
  }
  const C = classes.length;
  if (pred.label !== undefined) {
    const c = classIndex(classes, pred.label);
    if (c < 0) return fail(errors, where(at, m, '.label'), `label "${preview([pred.label])}" is not a class; expected one of: ${preview(classes)}`);
    const conf = pred.confidence ?? 1;
    const d = f64(C);
    const rest = (1 - conf) / (C - 1);
    for (let j = 0; j < C; j++) d[j] = j === c ? conf : rest;
    return temper(d, t);
  }
  if (pred.confidence !== undefined)
    return fail(errors, where(at, m, '.confidence'), 'confidence goes only with "label"; with probabilities or logits the confidence is the largest probability');
  if (pred.logits !== undefined) {
    if (pred.logits.length !== C) return fail(errors, where(at, m, '.logits'), `logits has ${pred.logits.length} values but there are ${C} classes; give one logit per class, in the order of classes`);
    return softmax(pred.logits, t);
  }
  const d = probabilities(pred.probabilities!, classes, errors, at, m);
  return d && temper(d, t);
}

/** Probabilities as given (array or object keyed by class), checked and renormalised exactly. */
function probabilities(p: number[] | Record<string, number>, classes: string[], errors: FieldError[], at: string, m: string): Float64Array | undefined {
  const C = classes.length;
  const out = f64(C);
  if (Array.isArray(p)) {
    if (p.length !== C) return fail(errors, where(at, m, '.probabilities'), `probabilities has ${p.length} values but there are ${C} classes; give one per class, in the order of classes`);
    for (let c = 0; c < C; c++) out[c] = p[c]!;
  } else {
    let ok = true;
    let unknown = 0;
    for (const key of Object.keys(p)) {
      if (classIndex(classes, key) >= 0) continue;
      ok = false;
      // Each listed key costs a message; past the problem's 20 entries only the count is useful.
      if (++unknown <= 20) errors.push({ path: `${where(at, m, '.probabilities')}.${key}`, message: `"${preview([key])}" is not a class; expected keys: ${preview(classes)}` });
    }
    if (unknown > 20) errors.push({ path: where(at, m, '.probabilities'), message: `${unknown - 20} more keys are not classes; use only the class names as keys` });
    for (let c = 0; c < C; c++) {
      if (hasOwn(p, classes[c]!)) out[c] = p[classes[c]!]!;
      else (errors.push({ path: where(at, m, '.probabilities'), message: `missing the probability of class "${classes[c]}"; give every class a value` }), (ok = false));
    }
    if (!ok) return undefined;
  }
  let sum = 0;
  for (let c = 0; c < C; c++) {
    if (out[c]! < 0) return fail(errors, where(at, m, '.probabilities'), `probability of class "${classes[c]}" is ${out[c]}; probabilities must be >= 0`);
    sum += out[c]!;
  }
  if (Math.abs(sum - 1) > LIMITS.sumTolerance)
    return fail(errors, where(at, m, '.probabilities'), `probabilities sum to ${+sum.toPrecision(6)} but must sum to 1 (within ${LIMITS.sumTolerance}); send unnormalised scores as "logits" instead`);
  for (let c = 0; c < C; c++) out[c]! /= sum;
  return out;
}

/** The path of modality m's field `sub`, built only when an error needs it. */
function where(at: string, m: string, sub: string): string {
  return `${joinPath(at, `predictions.${m}`)}${sub}`;
}

function fail(errors: FieldError[], path: string, message: string): undefined {
  errors.push({ path, message });
  return undefined;
}

const PREVIEW_ITEMS = 10;
const PREVIEW_CHARS = 40;

/** A list quoted in a message: at most 10 names of at most 40 characters, then "... and N more". */
export function preview(list: readonly string[]): string {
  const shown = list.slice(0, PREVIEW_ITEMS).map((n) => (n.length <= PREVIEW_CHARS ? n : `${n.slice(0, PREVIEW_CHARS - 1)}…`));
  return list.length <= PREVIEW_ITEMS ? shown.join(', ') : `${shown.join(', ')}, ... and ${list.length - PREVIEW_ITEMS} more`;
}
