import { writeFile } from 'node:fs/promises';
import { buildDataset } from '../fusion/loop/dataset.js';
import { TASKS, type Task } from '../fusion/tasks/task.js';
import { type ReadStats, readDecisions, readFeedback, sinceDate } from '../loop/logs.js';
import { EXIT, type Io, fail, parseCommand, usage } from './io.js';
import { logSource } from './log-source.js';

export const help = `Usage: fusion dataset --profile P [--since 7d] [--bucket B] [--task T] [--out FILE]

Joins the decision log with outcome feedback into the training format "fusion train" (and
retraining) reads for the decisions' task, one line per decision of profile P that got an
outcome of its task's kind:
  classification  {"id", "predictions", "label"}   from feedback's "label"
  regression      {"id", "predictions", "value"}   from feedback's "value"
  multilabel      {"id", "predictions", "labels"}  from feedback's "labels"
Decisions are read from decisions/dt=YYYY-MM-DD/ and feedback from feedback/dt=YYYY-MM-DD/ of
the bucket (gzipped by Firehose) or of the local store (.fusion/store/, or FUSION_STORE_DIR)
where "npm start" writes them. A decision only becomes training data if its inputs were logged
(FUSION_LOG_PAYLOADS=true). Repeated feedback of one source counts once (its latest); when
sources disagree, the latest outcome wins. A summary goes to standard error: the task,
decisions, labelled, unlabelled, labels without a decision (orphanLabels), decisions logged
without inputs, duplicate and conflicting feedback, feedback of another task's kind
(mismatched: a "value" for a classification decision; never written), the profile's decisions
of another task (otherTask), and unreadable lines.

Options:
  -p, --profile P  the profile whose decisions to use (required)
  -s, --since S    the period: 7d, 12h or a date (2026-11-24); default 7d
  -b, --bucket B   the bucket (default: FUSION_BUCKET); without either, the local store
  -t, --task T     classification, regression or multilabel: the decisions to use (default:
                   the task most of the profile's decisions have)
  -o, --out FILE   where to write the lines (default: standard output)
  -h, --help       show this help

Exit codes: 0 done (even with no labelled decision); 2 usage; 1 the store failed.
`;

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(
    argv,
    { profile: { type: 'string', short: 'p' }, since: { type: 'string', short: 's', default: '7d' }, bucket: { type: 'string', short: 'b' }, task: { type: 'string', short: 't' }, out: { type: 'string', short: 'o' } },
    help,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  if (!args.profile) return usage('Give --profile P: the profile whose decisions become training data.', help, io);
  const since = sinceDate(args.since);
  if (!since) return usage(`--since must be like 7d, 12h or 2026-11-24 (got "${args.since}").`, help, io);
  const task = args.task as Task | undefined;
  if (task !== undefined && !TASKS.includes(task)) return usage(`--task must be one of ${TASKS.join(', ')} (got "${args.task}").`, help, io);
  const bucket = args.bucket ?? io.env.FUSION_BUCKET;
  const { source } = logSource(io.env, bucket);
  try {
    const stats: ReadStats = { files: 0, lines: 0, invalid: 0 };
    const decisions = [];
    for await (const d of readDecisions(source, since, stats)) decisions.push(d);
    const feedback = [];
    for await (const f of readFeedback(source, since, stats)) feedback.push(f);
    const built = buildDataset(decisions, feedback, args.profile, task);
    const text = built.lines.map((l) => `${JSON.stringify(l)}\n`).join('');
    if (args.out) await writeFile(args.out, text);
    else io.stdout.write(text);
    io.stderr.write(`${JSON.stringify({ profile: args.profile, since: since.toISOString(), task: built.task ?? null, ...built.report, files: stats.files, unreadableLines: stats.invalid })}\n`);
    return EXIT.ok;
  } catch (e) {
    return fail(e, io);
  }
}
