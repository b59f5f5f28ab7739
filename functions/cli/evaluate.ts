import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Evaluation, evaluate, parseDataset } from '../fusion/learned/index.js';
import { type ReportModel, renderReport } from '../report/index.js';
import { EXIT, type Io, fail, numberOption, parseJson, readText, parseCommand } from './io.js';
import { dataMismatch } from './data-summary.js';
import { loadProfileArg } from './profile-arg.js';
import { formatCalibration, progressBar } from './train.js';

export const help = `Usage: fusion evaluate --data FILE --profile P [--model FILE ...] [--cv K] [--json] [--report DIR]

Scores every fixed rule, every given model (or, with --cv K, every learned kind trained on
K−1 folds and scored on the held-out fold) and each modality alone on labelled JSONL data:
accuracy, macro-F1, log loss, Brier score, expected calibration error (15 bins), rows used.
With a profile holding per-modality calibration (fusion train --model calibration), also each
modality's log loss, Brier score and ECE before and after its calibrator.

Options:
  -d, --data FILE      labelled JSONL, one {"predictions": {...}, "label": "<class>"} a line
  -p, --profile P      a profile JSON file, or the name of a stored profile
  -m, --model FILE     a trained model artifact (repeatable)
      --cv K           cross-validate logistic, linear-svm and mlp with K folds (2..20)
      --seed N         seed of the cross-validated learners (default 0)
      --json           print the table as JSON
      --report DIR     write DIR/index.html, self-contained: every metric with a bootstrap 95%
                       interval (1,000 resamples, seeded by --seed), per-class precision,
                       recall and F1, confusion matrices and reliability diagrams of every
                       strategy, the modality ablation and diversity, and the run's metadata
  -h, --help           show this help

Example:
  npx fusion evaluate --data examples/data/digits-3view/test.jsonl --profile digits-3view \\
    --model digits-logistic.json --report reports/digits
`;

/** The evaluation as an aligned text table. */
function formatTable(ev: Evaluation): string {
  const head = ['strategy', 'kind', 'accuracy', 'macro-F1', 'log loss', 'Brier', 'ECE', 'rows'];
  const body = ev.entries.map((e) => [
    e.name + (e.name === ev.best && e.kind !== 'modality' ? ' *' : ''),
    e.kind,
    ...[e.metrics.accuracy, e.metrics.macroF1, e.metrics.logLoss, e.metrics.brier, e.metrics.ece].map((v) => v.toFixed(4)),
    String(e.rows),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  const refused = ev.entries.filter((e) => e.undecided).map((e) => `${e.name} refused ${e.undecided} rows (total conflict), scored as uniform.`);
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), '', `* lowest log loss. ${ev.rows} examples.`, ...refused].join('\n');
}

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(argv, {
    data: { type: 'string', short: 'd' },
    profile: { type: 'string', short: 'p' },
    model: { type: 'string', short: 'm', multiple: true },
    cv: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
    report: { type: 'string' },
  }, help, io, { required: ['data', 'profile'] });
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  const bar = progressBar(io, 'cross-validating');
  try {
    const cv = numberOption(args.cv, 'cv', (n) => Number.isInteger(n) && n >= 2 && n <= 20, 'a whole number of folds from 2 to 20');
    const seed = numberOption(args.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'a whole number >= 0') ?? 0;
    const { profile } = await loadProfileArg(args.profile, io);
    const text = await readText(args.data, io);
    const mismatch = dataMismatch(text, profile);
    if (mismatch) io.stderr.write(`fusion evaluate: ${mismatch}\n`);
    const data = parseDataset(text, profile);
    const uncalibrated = profile.calibration ? parseDataset(text, profile, { calibration: false }) : undefined;
    const models = [];
    for (const file of args.model ?? []) models.push({ name: basename(file).replace(/\.json$/, ''), artifact: parseJson(await readText(file, io), `model ${file}`) });
    const analysis = args.report ? { analysis: { resamples: 1000, seed } } : {};
    const ev = evaluate(data, profile, { models, ...(cv ? { cv } : {}), ...(uncalibrated ? { uncalibrated } : {}), train: { seed }, onProgress: bar.update, ...analysis });
    bar.stop();
    if (args.json) {
      const table = ev.entries.map(({ name, kind, rows, metrics, undecided }) => ({ name, kind, rows, ...metrics, ...(undecided ? { undecided } : {}) }));
      const calibration = ev.calibration ? { calibration: ev.calibration } : {};
      io.stdout.write(`${JSON.stringify({ profile: ev.profile, rows: ev.rows, best: ev.best, table, ...calibration }, null, 2)}\n`);
    } else {
      io.stdout.write(`${formatTable(ev)}\n`);
      if (ev.calibration) io.stdout.write(`\nEach modality alone, before → after its calibrator:\n${formatCalibration(ev.calibration)}\n`);
    }
    if (args.report) {
      await mkdir(args.report, { recursive: true });
      const file = join(args.report, 'index.html');
      const described: ReportModel[] = models.map(({ name, artifact }) => {
        const a = artifact as { kind?: string; training?: { createdAt?: string; dataSha256?: string; options?: Record<string, unknown> } };
        return { name, kind: a.kind, createdAt: a.training?.createdAt, dataSha256: a.training?.dataSha256, options: a.training?.options };
      });
      const dataSha256 = createHash('sha256').update(text).digest('hex');
      await writeFile(file, await renderReport(ev, { source: args.data, dataSha256, models: described, options: { ...(cv ? { cv } : {}), seed } }));
      io.stderr.write(`Wrote ${file}\n`);
    }
    return EXIT.ok;
  } catch (e) {
    bar.stop();
    return fail(e, io);
  }
}
