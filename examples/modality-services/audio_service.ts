/**
 * A toy audio-sentiment service: scores a call's voice from two prosody features (loudness and
 * pitch variation, each 0 to 1) with a fixed linear model, and puts the prediction into a join
 * of the late-fusion API.
 *
 *   npx tsx examples/modality-services/audio_service.ts --join call-1 --energy 0.3 --pitch-var 0.7
 */
import { parseArgs } from 'node:util';
import { FusionClient, FusionProblemError, type Prediction } from '@late-fusion/client';

/** Logits per class (negative, neutral, positive): loud and flat sounds angry; lively and calm sounds happy. */
export function predict(energy: number, pitchVar: number): Prediction {
  return { logits: [2 * energy - 1.5 * pitchVar, 0.4, 2 * pitchVar - energy].map((z) => Math.round(z * 1000) / 1000) };
}

const OPTIONS = {
  join: { type: 'string' },
  profile: { type: 'string', default: 'call-sentiment' },
  endpoint: { type: 'string', default: 'http://127.0.0.1:3000' },
  energy: { type: 'string', default: '0.5' },
  'pitch-var': { type: 'string', default: '0.5' },
  wait: { type: 'boolean', default: false },
  'predict-only': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const USAGE = `Usage: npx tsx examples/modality-services/audio_service.ts --join ID [--energy 0..1] [--pitch-var 0..1]
  [--endpoint URL (default http://127.0.0.1:3000)] [--profile NAME (default call-sentiment)] [--wait] [--predict-only]`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: OPTIONS });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) return console.log(USAGE), 0;
  const [energy, pitchVar] = [Number(values.energy), Number(values['pitch-var'])];
  if (![energy, pitchVar].every((x) => x >= 0 && x <= 1)) {
    console.error('--energy and --pitch-var must be numbers from 0 to 1');
    return 2;
  }
  const prediction = predict(energy, pitchVar);
  if (values['predict-only']) return console.log(JSON.stringify(prediction)), 0;
  if (!values.join) {
    console.error('--join <id> is required: the join id shared by every modality of this call');
    return 2;
  }
  const join = new FusionClient({ endpoint: values.endpoint }).join(values.profile, values.join);
  try {
    let state = await join.put('audio', prediction);
    console.error(`audio: put ${JSON.stringify(prediction.logits)} -> ${state.state}`);
    if (values.wait && state.state === 'pending') state = await join.wait({ timeoutMs: 60_000 });
    console.log(JSON.stringify(state, null, 2));
    return 0;
  } catch (e) {
    if (!(e instanceof FusionProblemError)) throw e;
    console.error(JSON.stringify(e.problem, null, 2));
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
