import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ResolvedProfile, fuseOne, getStrategy } from '../functions/fusion/index.js';
import { knownStrategy } from '../functions/fusion/registry.js';
import { variantsHook } from '../functions/loop/variants.js';
import { checkProfile } from '../functions/store/index.js';
const ROOT = '/work/wt-shadow';
const raw = JSON.parse(readFileSync(join(ROOT, 'examples/profiles/digits-learned.json'), 'utf8'));
const model = JSON.parse(readFileSync(join(ROOT, 'examples/profiles/models/digits-logistic.json'), 'utf8'));
const shadowed: ResolvedProfile = {
  profile: checkProfile({ ...raw, shadow: [{ strategy: 'learned', model: { key: 'models/digits-shadow.json' } }] }, 'bench'),
  model, shadowModels: [{ model: structuredClone(model) }],
};
const requests = readFileSync(join(ROOT, 'examples/data/digits-3view/test.jsonl'), 'utf8').trim().split('\n')
  .map((l) => ({ profile: raw.name, predictions: JSON.parse(l).predictions }));
const learned = getStrategy('learned');
const ls = () => shadowed;
const t = performance.now();
for (let i = 0; i < 1_500_000; i++) { const h = variantsHook(knownStrategy, () => `b-${i}`); fuseOne(learned, requests[i % requests.length], ls, { decide: h.decide }); }
console.log((performance.now() - t) / 1.5, 'ns/call');
