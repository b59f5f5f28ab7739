/**
 * `fusion train` and `fusion evaluate` for regression and multi-label profiles: the commands
 * load the profile, and a profile whose `task` is not classification comes here.
 */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Profile, profileTask } from '../fusion/index.js';
import { parseTaskData } from '../fusion/learned/task-data.js';
import { type TaskEvalEntry, evaluateTask, trainTask } from '../fusion/learned/task-train.js';
import { PREFIX } from '../layout.js';
import { EXIT, type Io, numberOption, parseJson, readText } from './io.js';
import { loadProfileArg } from './profile-arg.js';

const fmt = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(4));
const lines = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `  ${k.padEnd(10)} ${fmt(v)}`).join('\n');

/** The profile of `--profile`, when it is a regression or multi-label one. */
export async function taskProfile(ref: string, io: Io): Promise<{ profile: Profile } | undefined> {
  const resolved = await loadProfileArg(ref, io);
  return profileTask(resolved.profile) === 'classification' ? undefined : resolved;
}

/** `fusion train` on a regression (`--model ridge`) or multi-label (`--model logistic|thresholds`) profile. */
export async function trainTaskCommand(
  args: { data: string; model: string; out: string; alpha?: string | undefined; C?: string | undefined; 'profile-out'?: string | undefined },
  profile: Profile,
  io: Io,
): Promise<number> {
  const options = {
    model: args.model,
    alpha: numberOption(args.alpha, 'alpha', (n) => n >= 0, 'a number >= 0'),
    C: numberOption(args.C, 'C', (n) => n > 0, 'a number > 0'),
  };
  const started = Date.now();
  const result = trainTask(await readText(args.data, io), profile, options);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.type === 'model') {
    await writeFile(args.out, `${JSON.stringify(result.artifact, null, 2)}\n`);
    const profileOut = args['profile-out'];
    if (profileOut) await writeFile(profileOut, `${JSON.stringify({ ...profile, model: { key: `${PREFIX.models}${basename(args.out)}` }, reference: result.reference }, null, 2)}\n`);
    io.stdout.write(
      `Trained ${result.artifact.kind} on ${result.artifact.training.rows} rows in ${seconds} s; wrote ${args.out}${profileOut ? ` and the profile (with its drift reference) to ${profileOut}` : ''}.\nTraining metrics:\n${lines(result.metrics)}\n`,
    );
  } else {
    await writeFile(args.out, `${JSON.stringify({ ...result.profile, reference: result.reference }, null, 2)}\n`);
    const thresholds = (result.profile as unknown as { thresholds: Record<string, number> }).thresholds;
    io.stdout.write(
      `Fitted per-label thresholds (max F1 of the average rule) in ${seconds} s; wrote the updated profile to ${args.out}.\n` +
        Object.entries(thresholds).map(([l, t]) => `  ${l.padEnd(10)} ${t.toFixed(4)}`).join('\n') +
        `\nAverage rule before:\n${lines(result.before)}\nAverage rule after:\n${lines(result.metrics)}\n`,
    );
  }
  return EXIT.ok;
}

function table(entries: TaskEvalEntry[], rows: number): string {
  const keys = Object.keys(entries[0]!.metrics);
  const labels = Object.keys(entries[0]!.averagePrecision ?? {});
  const head = ['strategy', 'kind', ...keys, ...labels.map((l) => `AP ${l}`)];
  const body = entries.map((e) => [e.name, e.kind, ...keys.map((k) => fmt(e.metrics[k]!)), ...labels.map((l) => fmt(e.averagePrecision![l]!))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), '', `${rows} examples.`].join('\n');
}

/** `fusion evaluate` on regression (RMSE, MAE, R²) or multi-label data (micro/macro-F1, Hamming loss, per-label AP). */
export async function evaluateTaskCommand(args: { data: string; model?: string[] | undefined; json: boolean }, profile: Profile, io: Io): Promise<number> {
  const data = parseTaskData(await readText(args.data, io), profile);
  const models = [];
  for (const file of args.model ?? []) models.push({ name: basename(file).replace(/\.json$/, ''), artifact: parseJson(await readText(file, io), `model ${file}`) });
  const entries = evaluateTask(data, models);
  if (args.json) {
    const out = entries.map(({ name, kind, metrics, averagePrecision }) => ({ name, kind, ...metrics, ...(averagePrecision ? { averagePrecision: Object.fromEntries(Object.entries(averagePrecision).map(([l, v]) => [l, Number.isNaN(v) ? null : v])) } : {}) }));
    io.stdout.write(`${JSON.stringify({ profile: profile.name, task: data.task, rows: data.rows.length, table: out }, null, 2)}\n`);
  } else io.stdout.write(`${table(entries, data.rows.length)}\n`);
  return EXIT.ok;
}
