/**
 * The playground page: edits a fusion case and fuses it with every strategy of the registry,
 * in the browser, with the production core. The state lives in the URL fragment.
 */
import { FusionRequest, STRATEGIES, STRATEGY_NAMES, type FusionResponse, type Profile, type ResolvedProfile, type Strategy, fuseOne, parseWith, prepare } from '../../fusion/index.js';
import digitsLearned from '../../../examples/profiles/digits-learned.json';
import digits3view from '../../../examples/profiles/digits-3view.json';
import digitsModel from '../../../examples/profiles/models/digits-logistic.json';
import sentiment from '../../../examples/profiles/sentiment.json';
import { type ModalityState, type PlaygroundState, PRESETS, convert, decodeState, encodeState, formatNumber, fromProfile, modality, setProbability, toRequest } from './state.js';
import { type CardExtras, card, h, modalityControls } from './view.js';

/** The example profiles, built into the page (the same files `npm start` serves). */
const EMBEDDED: Record<string, ResolvedProfile> = {
  sentiment: { profile: sentiment as Profile },
  'digits-3view': { profile: digits3view as Profile },
  'digits-learned': { profile: digitsLearned as Profile, model: digitsModel },
};
/** Profiles loaded from the server's store (`GET /playground/profiles/<name>`). */
const STORED = new Map<string, ResolvedProfile>();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let state: PlaygroundState = structuredClone(PRESETS['average-two']!);

function resolved(s: PlaygroundState): ResolvedProfile | undefined {
  return s.profile && (s.profile.source === 'embedded' ? EMBEDDED[s.profile.name] : STORED.get(s.profile.name));
}

function say(text: string): void {
  $('status').textContent = text;
}

/** Rebuilds every control from the state (after a preset, a profile or a structural edit). */
function renderSetup(): void {
  const editable = !state.profile;
  const classes = $<HTMLInputElement>('classes');
  classes.value = state.classes.join(', ');
  classes.disabled = !editable;
  $<HTMLSelectElement>('profile').value = state.profile ? `${state.profile.source}:${state.profile.name}` : '';
  $<HTMLSelectElement>('mode').value = state.mode;
  $<HTMLSelectElement>('tie-break').value = state.tieBreak;
  $<HTMLButtonElement>('add-modality').hidden = !editable;
  $('modalities').replaceChildren(...state.modalities.map((m, i) => modalityControls(m, i, state.classes, editable)));
  update();
}

/** Fuses with every strategy and redraws the results, the request text and the URL. */
function update(): void {
  const lookup = (name: string) => resolved(state)?.profile.name === name ? resolved(state) : undefined;
  const request = toRequest(state);
  let effective: number[] | undefined;
  let present: string[] = [];
  try {
    const p = prepare(parseWith(FusionRequest, request), lookup);
    effective = p.normWeights;
    present = p.modalities;
  } catch {
    // every card shows the same error below
  }
  const hasModel = resolved(state)?.model !== undefined;
  const cards = STRATEGY_NAMES.filter((n) => n !== 'learned' || hasModel).map((name) => {
    const strategy: Strategy = STRATEGIES[name];
    let result: FusionResponse | Error;
    try {
      result = fuseOne(strategy, request, lookup);
    } catch (e) {
      result = e as Error;
    }
    const extras: CardExtras = {};
    if (effective && strategy.weighted)
      Object.assign(extras, name === 'product'
        ? { weights: Object.fromEntries(present.map((m) => [m, request.weights?.[m] ?? 1])), weightsTitle: 'Exponents w' }
        : { weights: Object.fromEntries(present.map((m, k) => [m, effective[k]!])), weightsTitle: 'Effective weights ŵ' });
    return card(name, strategy.description, result, extras);
  });
  $('cards').replaceChildren(...cards);
  $('learned-note').hidden = hasModel;
  $('request-text').textContent = requestText();
  history.replaceState(null, '', `#${encodeState(state)}`);
}

function requestText(format: 'curl' | 'json' = 'curl'): string {
  const body = JSON.stringify(toRequest(state));
  if (format === 'json') return JSON.stringify(toRequest(state), null, 2);
  const strategy = $<HTMLSelectElement>('request-strategy').value;
  return `curl -s ${location.origin}/v1/fuse/${strategy} -H 'content-type: application/json' \\\n  -d '${body.replace(/'/g, `'\\''`)}'`;
}

/** Applies one control's change to modality `i`. Returns whether the controls must be rebuilt. */
function edit(i: number, target: HTMLInputElement | HTMLSelectElement): boolean {
  const m = state.modalities[i]!;
  const id = target.id.slice(`m${i}-`.length);
  const v = target.value;
  const set = (next: ModalityState) => (state.modalities[i] = next);
  if (id === 'kind') return set(convert(m, v as ModalityState['kind'])), true;
  if (id === 'missing') return set({ ...m, missing: (target as HTMLInputElement).checked }), true;
  if (id === 'name') {
    if (!v || state.modalities.some((o, j) => j !== i && o.name === v)) return say(`Modality names must be unique and not empty; "${v}" is kept as "${m.name}".`), true;
    return set({ ...m, name: v }), true;
  }
  if (id === 'label') return set({ ...m, label: Number(v) }), false;
  if (id === 'confidence' || id === 'weight' || id === 'temperature') return set({ ...m, [id]: Number(v) }), false;
  const c = Number(id.slice(1));
  if (m.kind === 'logits') set({ ...m, values: m.values.map((x, j) => (j === c ? Number(v) : x)) });
  else {
    set({ ...m, values: setProbability(m.values, c, Number(v)) });
    // The other sliders move to keep the sum at 1.
    state.modalities[i]!.values.forEach((p, j) => {
      const slider = $<HTMLInputElement>(`m${i}-v${j}`);
      if (j !== c) slider.value = String(p);
    });
  }
  return false;
}

function showValues(fs: Element, i: number): void {
  const m = state.modalities[i]!;
  for (const out of fs.querySelectorAll('output')) {
    const id = out.htmlFor.value.slice(`m${i}-`.length);
    const v = id.startsWith('v') ? m.values[Number(id.slice(1))]! : (m[id as 'weight'] as number);
    out.textContent = formatNumber(v);
  }
}

function onModalityInput(event: Event): void {
  const target = event.target as HTMLInputElement | HTMLSelectElement;
  const fs = target.closest('fieldset');
  if (!fs || !target.id) return;
  const i = Number(fs.getAttribute('data-modality'));
  // Text fields apply on change (not on every key), the rest as they move.
  if (event.type === 'input' && target.getAttribute('data-field') === 'name') return;
  if (edit(i, target)) return renderSetup();
  showValues(fs, i);
  update();
}

function setClasses(text: string): void {
  const classes = [...new Set(text.split(',').map((c) => c.trim()).filter(Boolean))];
  if (classes.length < 2 || classes.length > 12) return say('Give 2 to 12 distinct class names, separated by commas.');
  state = { ...state, classes, modalities: state.modalities.map((m) => ({ ...modality(m.name, classes.length), weight: m.weight, temperature: m.temperature, missing: m.missing })) };
  say('');
  renderSetup();
}

async function loadStored(name: string): Promise<ResolvedProfile> {
  const cached = STORED.get(name);
  if (cached) return cached;
  const res = await fetch(`/playground/profiles/${encodeURIComponent(name)}`);
  if (!res.ok) throw new Error(`profile "${name}" could not be loaded from the store (HTTP ${res.status})`);
  const found = (await res.json()) as ResolvedProfile;
  STORED.set(name, found);
  return found;
}

async function chooseProfile(value: string): Promise<void> {
  if (!value) {
    state = { ...state, profile: undefined };
    return renderSetup();
  }
  const [source, name] = [value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1)] as ['embedded' | 'stored', string];
  try {
    const r = source === 'embedded' ? EMBEDDED[name]! : await loadStored(name);
    state = fromProfile(r.profile, source);
    say(`Profile ${name}: ${r.profile.description ?? ''}`);
  } catch (e) {
    say((e as Error).message);
  }
  renderSetup();
}

async function listStored(): Promise<void> {
  const res = await fetch('/playground/profiles').catch(() => undefined);
  if (!res?.ok) return;
  const { names } = (await res.json()) as { names: string[] };
  if (names.length) $('profile').append(h('optgroup', { label: 'stored (server)' }, ...names.map((n) => h('option', { value: `stored:${n}` }, n))));
}

/** Reads the URL fragment; an unusable one is named and replaced by the first preset. */
async function fromUrl(): Promise<void> {
  const decoded = decodeState(location.hash);
  if (decoded && 'error' in decoded) say(`${decoded.error}; showing the average-two preset instead.`);
  else if (decoded) {
    if (decoded.profile?.source === 'stored') await loadStored(decoded.profile.name).catch((e: Error) => say(e.message));
    if (!decoded.profile || resolved(decoded)) state = decoded;
  }
  renderSetup();
}

async function copy(format: 'curl' | 'json'): Promise<void> {
  const text = requestText(format);
  $('request-text').textContent = text;
  try {
    await navigator.clipboard.writeText(text);
    say(`Copied the request as ${format === 'json' ? 'JSON' : 'curl'}.`);
  } catch {
    getSelection()?.selectAllChildren($('request-text'));
    say('The clipboard is not available here: the request is selected, copy it with Ctrl+C.');
  }
}

function start(): void {
  $('profile').append(h('optgroup', { label: 'embedded' }, ...Object.keys(EMBEDDED).map((n) => h('option', { value: `embedded:${n}` }, n))));
  for (const [name, preset] of Object.entries(PRESETS)) {
    const button = h('button', { type: 'button', 'data-testid': `preset-${name}` }, name);
    button.addEventListener('click', () => ((state = structuredClone(preset)), say(`Preset ${name}.`), renderSetup()));
    $('presets').append(button);
  }
  $('modalities').addEventListener('input', onModalityInput);
  $('modalities').addEventListener('change', onModalityInput);
  $('modalities').addEventListener('click', (e) => {
    const button = (e.target as Element).closest('[data-action="remove"]');
    if (!button || state.modalities.length < 2) return;
    state.modalities.splice(Number(button.closest('fieldset')!.getAttribute('data-modality')), 1);
    renderSetup();
  });
  $('add-modality').addEventListener('click', () => {
    if (state.modalities.length >= 8) return say('The playground edits at most 8 modalities.');
    let n = state.modalities.length + 1;
    while (state.modalities.some((m) => m.name === `modality${n}`)) n++;
    state.modalities.push(modality(`modality${n}`, state.classes.length));
    renderSetup();
  });
  $<HTMLInputElement>('classes').addEventListener('change', (e) => setClasses((e.target as HTMLInputElement).value));
  $('profile').addEventListener('change', (e) => void chooseProfile((e.target as HTMLSelectElement).value));
  $('mode').addEventListener('change', (e) => ((state.mode = (e.target as HTMLSelectElement).value as 'hard'), update()));
  $('tie-break').addEventListener('change', (e) => ((state.tieBreak = (e.target as HTMLSelectElement).value as 'first'), update()));
  $('request-strategy').append(...STRATEGY_NAMES.map((n) => h('option', { value: n }, n)));
  $('request-strategy').addEventListener('change', () => ($('request-text').textContent = requestText()));
  $('copy-curl').addEventListener('click', () => void copy('curl'));
  $('copy-json').addEventListener('click', () => void copy('json'));
  window.addEventListener('hashchange', () => {
    if (location.hash.slice(1) !== encodeState(state)) void fromUrl();
  });
  void listStored().finally(fromUrl);
}

start();
