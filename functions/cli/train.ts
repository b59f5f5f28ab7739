import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidRequestError } from '../fusion/index.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../fusion/calibration/schema.js';
import { type CalibrationReport, MODEL_KINDS, type Metrics, TRAIN_KINDS, type TrainKind, train } from '../fusion/learned/index.js';
import { PREFIX } from '../layout.js';
import { dataMismatch } from './data-summary.js';
import { loadProfileArg } from './profile-arg.js';
import { taskProfile, trainTaskCommand } from './tasks.js';
import { EXIT, type Io, fail, numberOption, readText, usage, parseCommand } from './io.js';

export const help = `Usage: fusion train --data FILE --profile P --model <${TRAIN_KINDS.join('|')}> --out FILE [options]

Fits a learned fusion model (a meta-learner over the modalities' calibrated distributions), the
average rule's weights, each modality's temperature, or each modality's calibrator, from
labelled JSONL data: one {"predictions": {...}, "label": "<class>"} a line. Prints the
training metrics. Every profile it writes carries the drift reference ("reference": each
modality's top-class shares on the data; for a regression profile each modality's value
histogram over bins cut at the data's deciles; for a multi-label profile each modality's
share of rows over each label's threshold), which fusion monitor and the drift summariser
compare production with.

Options:
  -d, --data FILE             labelled JSONL; bad lines are reported with their line number
  -p, --profile P             a profile JSON file, or the name of a stored profile
  -m, --model KIND            logistic | linear-svm | mlp (write a model artifact), or
                              weights | temperature | calibration (write the profile with
                              fitted values)
      --method M              calibration: ${CALIBRATION_METHODS.join(' | ')} (default temperature),
                              stored in the profile's "calibration" and applied before any rule
      --adaptive entropy      weights: fit the base weights of entropy-adaptive weighting and
                              set "adaptiveWeights": "entropy" in the profile
                              a regression profile: ridge; a multi-label profile: logistic
                              (one per label) or thresholds (per-label, max F1)
  -o, --out FILE              where to write the artifact or the updated profile
      --profile-out FILE      with a model kind: also write the profile pointing at the
                              model (model.key models/<out file name>) with the drift reference
      --C N                   inverse L2 strength of logistic and linear-svm (default 1)
      --hidden N[,N]          mlp hidden layer sizes, one or two layers (default 32)
      --alpha N               mlp L2 penalty (default 0.0001); ridge penalty (default 1)
      --seed N                seed of every random choice (default 0)
      --modality-dropout P    train with each modality removed with probability P (default 0)
  -h, --help                  show this help

Example:
  npx fusion train --data examples/data/digits-3view/train.jsonl --profile digits-3view \\
    --model logistic --out digits-logistic.json
  npx fusion train --data examples/data/digits-3view/train.jsonl --profile digits-3view \\
    --model calibration --method isotonic --out digits-isotonic.json
`;

/**
 * A progress callback drawing a cli-progress bar on stderr, only on a terminal and only once
 * the work has taken more than a second. Call `stop()` when done.
 */
export function progressBar(io: Io, label: string): { update: (fraction: number) => void; stop: () => void } {
  const start = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(fraction) {
      if (!io.stderr.isTTY) return;
      if (!bar && Date.now() - start > 1000) {
        bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {percentage}% | {duration}s`, stream: io.stderr as NodeJS.WritableStream, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(100, 0);
      }
      bar?.update(Math.round(fraction * 100));
    },
    stop: () => bar?.stop(),
  };
}

/** Each modality's log loss, Brier and ECE before and after its calibrator. */
export function formatCalibration(rows: CalibrationReport[]): string {
  const head = ['modality', 'rows', 'log loss', '→', 'Brier', '→', 'ECE', '→'];
  const body = rows.map((r) => [r.modality, String(r.rows), ...(['logLoss', 'brier', 'ece'] as const).flatMap((k) => [r.before[k].toFixed(4), r.after[k].toFixed(4)])]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

/** Metrics as aligned lines. */
function formatMetrics(m: Metrics): string {
  return [['accuracy', m.accuracy], ['macro-F1', m.macroF1], ['log loss', m.logLoss], ['Brier', m.brier], ['ECE', m.ece]]
    .map(([k, v]) => `  ${String(k).padEnd(10)} ${(v as number).toFixed(4)}`)
    .join('\n');
}

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(argv, {
    data: { type: 'string', short: 'd' },
    profile: { type: 'string', short: 'p' },
    model: { type: 'string', short: 'm' },
    out: { type: 'string', short: 'o' },
    C: { type: 'string' },
    hidden: { type: 'string' },
    alpha: { type: 'string' },
    seed: { type: 'string' },
    'modality-dropout': { type: 'string' },
    method: { type: 'string' },
    adaptive: { type: 'string' },
    'profile-out': { type: 'string' },
  }, help, io, { required: ['data', 'profile', 'model', 'out'] });
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  if (![...TRAIN_KINDS, 'ridge', 'thresholds'].includes(args.model))
    return usage(`--model must be one of: ${TRAIN_KINDS.join(', ')} (a regression profile: ridge; a multi-label profile: logistic, thresholds).`, help, io);
  try {
    const task = await taskProfile(args.profile, io);
    if (task && args['profile-out'] !== undefined && args.model === 'thresholds')
      return usage('--profile-out goes only with a model kind (ridge, logistic); --model thresholds writes the profile to --out.', help, io);
    if (task) return await trainTaskCommand(args, task.profile, io);
  } catch (e) {
    return fail(e, io);
  }
  if (!(TRAIN_KINDS as readonly string[]).includes(args.model)) return usage(`--model must be one of: ${TRAIN_KINDS.join(', ')}.`, help, io);
  if (args.method !== undefined && args.model !== 'calibration') return usage('--method goes only with --model calibration.', help, io);
  if (args.method !== undefined && !(CALIBRATION_METHODS as readonly string[]).includes(args.method)) return usage(`--method must be one of: ${CALIBRATION_METHODS.join(', ')}.`, help, io);
  if (args['profile-out'] !== undefined && !(MODEL_KINDS as readonly string[]).includes(args.model))
    return usage(`--profile-out goes only with a model kind (${MODEL_KINDS.join(', ')}); the other kinds write the profile to --out.`, help, io);
  if (args.adaptive !== undefined && args.model !== 'weights') return usage('--adaptive goes only with --model weights.', help, io);
  if (args.adaptive !== undefined && args.adaptive !== 'entropy') return usage('--adaptive must be "entropy".', help, io);
  const bar = progressBar(io, `training ${args.model}`);
  try {
    const hidden = args.hidden?.split(',').map((h) => numberOption(h, 'hidden', (n) => Number.isInteger(n) && n >= 1 && n <= 4096, 'one or two whole numbers from 1 to 4096, comma-separated')!);
    if (hidden && hidden.length > 2) throw new InvalidRequestError([{ path: '--hidden', message: '--hidden takes one or two layer sizes, for example 32 or 64,32' }]);
    const options = {
      model: args.model as TrainKind,
      C: numberOption(args.C, 'C', (n) => n > 0, 'a number > 0'),
      hidden,
      alpha: numberOption(args.alpha, 'alpha', (n) => n >= 0, 'a number >= 0'),
      seed: numberOption(args.seed, 'seed', (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32, 'a whole number from 0 to 4294967295'),
      modalityDropout: numberOption(args['modality-dropout'], 'modality-dropout', (n) => n >= 0 && n < 1, 'a probability in [0, 1)'),
      ...(args.method ? { method: args.method as CalibrationMethod } : {}),
      ...(args.adaptive ? { adaptive: 'entropy' as const } : {}),
      onProgress: bar.update,
    };
    const { profile } = await loadProfileArg(args.profile, io);
    const text = await readText(args.data, io);
    const mismatch = dataMismatch(text, profile);
    if (mismatch) io.stderr.write(`fusion train: ${mismatch}\n`);
    const started = Date.now();
    const result = train(text, profile, options);
    bar.stop();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.type === 'model') {
      await writeFile(args.out, `${JSON.stringify(result.artifact, null, 2)}\n`);
      const profileOut = args['profile-out'];
      if (profileOut) await writeFile(profileOut, `${JSON.stringify({ ...profile, model: { key: `${PREFIX.models}${basename(args.out)}` }, reference: result.reference }, null, 2)}\n`);
      io.stdout.write(
        `Trained ${args.model} on ${result.artifact.training.rows} rows in ${seconds} s; wrote ${args.out}${profileOut ? ` and the profile (with its drift reference) to ${profileOut}` : ''}.\nTraining metrics:\n${formatMetrics(result.metrics)}\n`,
      );
    } else if (result.type === 'calibration') {
      await writeFile(args.out, `${JSON.stringify({ ...result.profile, reference: result.reference }, null, 2)}\n`);
      io.stdout.write(
        `Fitted ${options.method ?? 'temperature'} calibrators for ${result.modalities.length} modalities in ${seconds} s; wrote the updated profile to ${args.out}.\n` +
          `Each modality alone on the training data, before → after:\n${formatCalibration(result.modalities)}\n`,
      );
    } else {
      await writeFile(args.out, `${JSON.stringify({ ...result.profile, reference: result.reference }, null, 2)}\n`);
      const fitted = result.profile[args.model === 'weights' ? 'weights' : 'temperatures']!;
      io.stdout.write(
        `Fitted ${args.model === 'weights' ? `average-rule weights${options.adaptive ? ' (entropy-adaptive)' : ''}` : 'temperatures'} in ${seconds} s; wrote the updated profile to ${args.out}.\n` +
          Object.entries(fitted).map(([m, v]) => `  ${m.padEnd(10)} ${v.toFixed(4)}`).join('\n') +
          `\nAverage rule before:\n${formatMetrics(result.before)}\nAverage rule after:\n${formatMetrics(result.metrics)}\n`,
      );
    }
    return EXIT.ok;
  } catch (e) {
    bar.stop();
    return fail(e, io);
  }
}
