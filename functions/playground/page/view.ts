/** DOM builders of the playground: one modality's controls and one strategy's result card. */
import type { FusionResponse } from '../../fusion/schemas.js';
import { type ModalityState, KINDS, formatNumber } from './state.js';

type Attrs = Record<string, string | number | boolean | undefined>;

/** An element with attributes (`false`/`undefined` left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== false) el.setAttribute(k, v === true ? '' : String(v));
  el.append(...children);
  return el;
}

/** Each rule's formula, shown beside its result (the definitions of docs/core.md). */
export const FORMULAS: Record<string, string> = {
  average: 'f_c = Σ_k ŵ_k · p_kc   (ŵ: weights normalised over present modalities)',
  product: 'f_c ∝ Π_k max(p_kc, ε)^w_k   (w: weights as exponents)',
  max: 'f_c ∝ max_k max(p_kc, ε)',
  min: 'f_c ∝ min_k max(p_kc, ε)',
  median: 'f_c ∝ median_k max(p_kc, ε)',
  vote: 'f_c ∝ Σ_k ŵ_k · [top_k = c]   (× confidence_k in confidence mode)',
  borda: 'f_c ∝ Σ_k ŵ_k · points_k(c)   (C−1 for a modality’s top class … 0)',
  learned: 'f = model(p_1 … p_K)   (an absent modality gets its training mean)',
};

/** A labelled slider with its value shown beside it. */
function slider(id: string, label: string, value: number, min: number, max: number, step: number, testid: string): HTMLElement {
  const input = h('input', { type: 'range', id, min, max, step, value, 'data-testid': testid });
  const out = h('output', { for: id, id: `${id}-out` }, formatNumber(value));
  return h('div', { class: 'slider' }, h('label', { for: id }, label), input, out);
}

/** The controls of modality `i`: kind, one slider per class (or label and confidence), weight, temperature, missing. */
export function modalityControls(m: ModalityState, i: number, classes: string[], editable: boolean): HTMLElement {
  const id = (s: string) => `m${i}-${s}`;
  const fs = h('fieldset', { 'data-modality': i, class: m.missing ? 'missing' : undefined }, h('legend', {}, m.name));
  if (editable)
    fs.append(h('div', { class: 'row' }, h('label', { for: id('name') }, 'Name'), h('input', { id: id('name'), 'data-field': 'name', value: m.name, maxlength: 128 })));
  const kind = h('select', { id: id('kind'), 'data-field': 'kind', 'data-testid': `kind-${m.name}` }, ...KINDS.map((k) => h('option', { value: k, selected: k === m.kind }, k)));
  fs.append(h('div', { class: 'row' }, h('label', { for: id('kind') }, 'Given as'), kind));
  if (m.kind === 'label') {
    const select = h('select', { id: id('label'), 'data-field': 'label', 'data-testid': `label-of-${m.name}` }, ...classes.map((c, j) => h('option', { value: j, selected: j === m.label }, c)));
    fs.append(h('div', { class: 'row' }, h('label', { for: id('label') }, 'Label'), select));
    fs.append(slider(id('confidence'), 'Confidence', m.confidence, 0, 1, 0.01, `confidence-of-${m.name}`));
  } else {
    const [min, max, step] = m.kind === 'logits' ? [-6, 6, 0.1] : [0, 1, 0.01];
    const group = h('div', { role: 'group', 'aria-label': `${m.name} ${m.kind}`, class: 'values' });
    classes.forEach((c, j) => group.append(slider(id(`v${j}`), c, m.values[j]!, min, max, step, `value-${m.name}-${c}`)));
    fs.append(group);
  }
  fs.append(slider(id('weight'), 'Weight', m.weight, 0, 3, 0.05, `weight-${m.name}`));
  fs.append(slider(id('temperature'), 'Temperature', m.temperature, 0.1, 5, 0.1, `temperature-${m.name}`));
  const missing = h('input', { type: 'checkbox', id: id('missing'), 'data-field': 'missing', checked: m.missing, 'data-testid': `missing-${m.name}` });
  fs.append(h('div', { class: 'row' }, missing, h('label', { for: id('missing') }, 'Missing (leave out of the request)')));
  if (editable) fs.append(h('button', { type: 'button', 'data-action': 'remove', 'aria-label': `Remove modality ${m.name}` }, 'Remove'));
  return fs;
}

/** What a card shows besides the response: the rule's weights after normalisation. */
export interface CardExtras {
  /** Modality → weight as the rule uses it (normalised, or exponents for product). */
  weights?: Record<string, number>;
  weightsTitle?: string;
}

const pairs = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${formatNumber(v)}`).join(', ');

/** One strategy's result: label and confidence, the fused distribution as bars, contributions, votes, weights, formula. */
export function card(name: string, description: string, result: FusionResponse | Error, extras: CardExtras = {}): HTMLElement {
  const head = h('h3', { id: `card-${name}` }, name);
  const el = h('section', { class: 'card', 'aria-labelledby': `card-${name}` }, head, h('p', { class: 'formula' }, h('code', {}, FORMULAS[name] ?? description)));
  if (result instanceof Error) {
    el.append(h('p', { class: 'error', 'data-testid': `error-${name}` }, result.message));
    return el;
  }
  el.append(
    h('p', { class: 'decision' }, 'Decision: ', h('strong', { 'data-testid': `label-${name}` }, result.label), ' at ', h('span', { 'data-testid': `confidence-${name}` }, formatNumber(result.confidence))),
  );
  const bars = h('ul', { class: 'bars', 'aria-label': `${name}: fused probabilities` });
  for (const [c, p] of Object.entries(result.probabilities)) {
    const fill = h('span', { class: 'fill' });
    fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
    const value = h('span', { class: 'value', 'data-testid': `fused-${name}-${c}`, 'data-value': p }, formatNumber(p));
    bars.append(h('li', { class: c === result.label ? 'top' : undefined }, h('span', { class: 'class' }, c), h('span', { class: 'bar', 'aria-hidden': 'true' }, fill), value));
  }
  el.append(bars);
  const facts = h('dl', {});
  const fact = (term: string, value: string, testid: string) => facts.append(h('dt', {}, term), h('dd', { 'data-testid': testid }, value));
  fact('Contributions', pairs(result.contributions), `contributions-${name}`);
  if (result.votes) fact('Votes', Object.entries(result.votes).map(([c, n]) => `${c} ${n}`).join(', '), `votes-${name}`);
  if (extras.weights) fact(extras.weightsTitle ?? 'Weights', pairs(extras.weights), `weights-${name}`);
  if (result.modalities.missing.length) fact('Missing', result.modalities.missing.join(', '), `missing-${name}`);
  el.append(facts);
  return el;
}
