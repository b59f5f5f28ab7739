import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Profile, profileTask } from '../fusion/index.js';
import { type OnlineProfile, onlineMonitor } from '../fusion/loop/online.js';
import type { MultilabelReference, RegressionReference } from '../fusion/loop/reference.js';
import { collect, loopLimits } from '../loop/collect.js';
import { sinceDate } from '../loop/logs.js';
import { renderMonitorReport } from '../report/monitor.js';
import { EXIT, type Io, fail, parseCommand, usage } from './io.js';
import { logSource } from './log-source.js';
import { loadProfileArg } from './profile-arg.js';

export const help = `Usage: fusion monitor --profile P [--since 7d] [--bucket B] [--report DIR]

How a deployed profile is doing, from the decision log and the label feedback, for every task:
online scores per strategy and per modality alone (classification: accuracy, log loss and
calibration; regression: MAE, RMSE, R², bias, 90% interval coverage and Gaussian NLL where a
std is logged; multi-label: micro- and macro-F1, Hamming loss, Brier score, log loss and each
label's F1 and calibration), missing-modality rates per day, drift (PSI of each modality
against the profile's training reference, which fusion train stores: its predicted-class
shares, its value histogram (regression) or its positive share per label (multi-label); and
label-free statistics), primary against canary, and each shadow's
agreement, failures and (classification) online scores. Lines of another task and feedback
that does not fit its decision's task are counted (otherTasks, mismatchedFeedback), never
scored. Decisions are read from decisions/dt=YYYY-MM-DD/ and feedback from
feedback/dt=YYYY-MM-DD/ of the bucket (gzipped by Firehose) or of the local store
(.fusion/store/, or FUSION_STORE_DIR) where "npm start" writes them. At most
FUSION_LOOP_MAX_OBJECTS objects (default 2000) per prefix and FUSION_LOOP_MAX_LINES lines
(default 500000) are read; "truncated" says when the bounds cut the read short.

Options:
  -p, --profile P  the profile: a stored profile's name or a profile JSON file (required)
  -s, --since S    the period: 7d, 12h or a date (2026-11-24); default 7d
  -b, --bucket B   the bucket (default: FUSION_BUCKET); without either, the local store
  -r, --report DIR write DIR/index.html (the evaluation report's charts on the logged
                   decisions, and the loop's sections) and DIR/summary.json
  -h, --help       show this help

Without --report the summary is printed as JSON. Exit codes: 0 done (even with no decision);
2 usage or an invalid profile; 1 the store failed.

Example:
  npx fusion monitor --profile sentiment --since 7d --report reports/monitor
`;

/** What the online evaluation needs of a profile of any task. */
function onlineProfile(profile: Profile): OnlineProfile {
  const task = profileTask(profile);
  const p = profile as unknown as { name: string; modalities: string[]; labels?: string[]; reference?: RegressionReference & MultilabelReference };
  const reference = p.reference ? { reference: p.reference } : {};
  if (task === 'regression') return { name: p.name, task, modalities: p.modalities, ...reference };
  if (task === 'multilabel') return { name: p.name, task, labels: p.labels ?? [], modalities: p.modalities, ...reference };
  return { name: profile.name, classes: profile.classes, modalities: profile.modalities, reference: profile.reference?.shares };
}

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(
    argv,
    { profile: { type: 'string', short: 'p' }, since: { type: 'string', short: 's', default: '7d' }, bucket: { type: 'string', short: 'b' }, report: { type: 'string', short: 'r' } },
    help,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  if (!args.profile) return usage('Give --profile P: the profile whose decisions to monitor.', help, io);
  const since = sinceDate(args.since);
  if (!since) return usage(`--since must be like 7d, 12h or 2026-11-24 (got "${args.since}").`, help, io);
  const bucket = args.bucket ?? io.env.FUSION_BUCKET;
  const env = bucket ? { ...io.env, FUSION_BUCKET: bucket } : io.env;
  const { source, where } = logSource(env, bucket);
  try {
    const { profile } = await loadProfileArg(args.profile, { ...io, env });
    const read = await collect(source, since, loopLimits(env), (d) => d.profile?.name === profile.name);
    const result = onlineMonitor(read.decisions, read.feedback, onlineProfile(profile));
    const { summary } = result;
    const out = { since: since.toISOString(), source: where, files: read.files, unreadableLines: read.unreadableLines, truncated: read.truncated, ...summary };
    if (!args.report) {
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return EXIT.ok;
    }
    await mkdir(args.report, { recursive: true });
    const file = join(args.report, 'index.html');
    await writeFile(join(args.report, 'summary.json'), `${JSON.stringify(out, null, 2)}\n`);
    await writeFile(file, await renderMonitorReport(result, { source: `${where}decisions/`, since: args.since }));
    io.stdout.write(`Wrote ${file} (${summary.decisions} decisions, ${summary.labelled} labelled${read.truncated.length ? `; truncated: ${read.truncated.join('; ')}` : ''})\n`);
    return EXIT.ok;
  } catch (e) {
    return fail(e, io);
  }
}
