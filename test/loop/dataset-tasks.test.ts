/**
 * `fusion dataset` for every task: the join on a synthetic log with known answers, and the CLI
 * end to end on a local store, its output fed to `fusion train` (ridge for regression, one
 * logistic regression per label for multi-label) as written.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { DataLine } from '../../functions/fusion/learned/data.js';
import { parseTaskData } from '../../functions/fusion/learned/task-data.js';
import { buildDataset } from '../../functions/fusion/loop/dataset.js';
import { type DecisionLine } from '../../functions/fusion/loop/decision-log.js';
import type { FeedbackLine } from '../../functions/fusion/loop/feedback.js';
import type { Profile } from '../../functions/fusion/schemas.js';
import * as log from './synthetic-dataset-log.js';

const decisions = [...log.regressionDecisionsYesterday, ...log.regressionDecisionsToday, ...log.multilabelDecisions, ...log.classificationDecisions] as unknown as DecisionLine[];
const feedback = [...log.feedbackYesterday, ...log.feedbackToday] as unknown as FeedbackLine[];

describe('the dataset join, per task, with known answers', () => {
  it('should write regression lines {id, predictions, value}: duplicates, late, orphan, conflicting, mismatched and other-task feedback counted', () => {
    const built = buildDataset(decisions, feedback, 'yields');
    expect(built.task).toBe('regression');
    expect(built.lines).toEqual(log.expected.regression.lines);
    expect(built.report).toEqual(log.expected.regression.report);
    // What fusion train and retraining read: every line accepted, the targets as written.
    const data = parseTaskData(built.lines.map((l) => JSON.stringify(l)).join('\n'), log.regressionProfile as unknown as Profile);
    expect(data.targets).toEqual([3, 5, 6, 9, 11]);
  });

  it('should write multi-label lines {id, predictions, labels}: label sets compared as sets, repeats once, joins through joinId', () => {
    const built = buildDataset(decisions, feedback, 'scenes');
    expect(built.task).toBe('multilabel');
    expect(built.lines).toEqual(log.expected.multilabel.lines);
    expect(built.report).toEqual(log.expected.multilabel.report);
    const data = parseTaskData(built.lines.map((l) => JSON.stringify(l)).join('\n'), log.multilabelProfile as unknown as Profile);
    expect(data.targets.map((y) => Array.from(y as Uint8Array))).toEqual([[1, 0, 1], [0, 1, 1], [0, 0, 0], [1, 0, 0], [0, 1, 0]]);
  });

  it('should never write feedback of another task’s kind: a value for a classification decision is mismatched', () => {
    const built = buildDataset(decisions, feedback, 'moods');
    expect(built.task).toBe('classification');
    expect(built.lines).toEqual(log.expected.classification.lines);
    expect(built.report).toEqual(log.expected.classification.report);
    for (const l of built.lines) expect(DataLine.safeParse(l).success).toBe(true);
  });

  it('should keep every decision in exactly one of labelled, unlabelled, without inputs or another task', () => {
    for (const p of ['yields', 'scenes', 'moods']) {
      const { report } = buildDataset(decisions, feedback, p);
      expect(report.labelled + report.unlabelled + report.withoutInputs + report.otherTask).toBe(report.decisions);
    }
  });

  it('should use the given task: the profile’s decisions of the other tasks are skipped, never mixed in', () => {
    const built = buildDataset(decisions, feedback, 'yields', 'classification');
    expect(built.lines).toEqual([{ id: 'yc', predictions: { text: { label: 'pos', confidence: 0.8 } }, label: 'pos' }]);
    expect(built.report).toMatchObject({ decisions: 9, labelled: 1, otherTask: 8, mismatched: 0 });
    expect(buildDataset([], feedback, 'yields')).toMatchObject({ task: undefined, lines: [], report: { decisions: 0, orphanLabels: 17 } });
  });
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-dataset-tasks-'));
  const put = async (kind: string, day: string, rows: unknown[]) => {
    await mkdir(join(dir, kind, `dt=${day}`), { recursive: true });
    await writeFile(join(dir, kind, `dt=${day}`, 'local.jsonl'), log.jsonl(rows));
  };
  await put('decisions', log.yesterday, log.regressionDecisionsYesterday);
  await put('decisions', log.today, [...log.regressionDecisionsToday, ...log.multilabelDecisions, ...log.classificationDecisions]);
  await put('feedback', log.yesterday, log.feedbackYesterday);
  await put('feedback', log.today, log.feedbackToday);
  await writeFile(join(dir, 'yields.json'), JSON.stringify(log.regressionProfile));
  await writeFile(join(dir, 'scenes.json'), JSON.stringify(log.multilabelProfile));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { PATH: process.env.PATH, FUSION_STORE_DIR: dir } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('fusion dataset end to end on the local store, then fusion train', () => {
  it('should write a regression profile’s lines that fusion train --model ridge fits', async () => {
    const out = join(dir, 'yields.jsonl');
    const r = await cli(['dataset', '--profile', 'yields', '--since', '7d', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stderr)).toMatchObject({ profile: 'yields', task: 'regression', ...log.expected.regression.report, unreadableLines: 0, files: 4 });
    const text = await readFile(out, 'utf8');
    expect(text.trim().split('\n').map((l) => JSON.parse(l))).toEqual(log.expected.regression.lines);
    const trained = await cli(['train', '--data', out, '--profile', join(dir, 'yields.json'), '--model', 'ridge', '--out', join(dir, 'ridge.json')]);
    expect(trained.code, trained.stderr).toBe(0);
    const model = JSON.parse(await readFile(join(dir, 'ridge.json'), 'utf8'));
    expect(model).toMatchObject({ kind: 'ridge', training: { rows: 5 } });
  });

  it('should write a multi-label profile’s lines that fusion train --model logistic fits', async () => {
    const out = join(dir, 'scenes.jsonl');
    const r = await cli(['dataset', '--profile', 'scenes', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stderr)).toMatchObject({ task: 'multilabel', ...log.expected.multilabel.report });
    const trained = await cli(['train', '--data', out, '--profile', join(dir, 'scenes.json'), '--model', 'logistic', '--out', join(dir, 'logistic.json')]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'logistic.json'), 'utf8')).training.rows).toBe(5);
  });

  it('should take --task, and refuse an unknown one with a usage error', async () => {
    const r = await cli(['dataset', '-p', 'yields', '--task', 'classification']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['yc']);
    const bad = await cli(['dataset', '-p', 'yields', '--task', 'ranking']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--task must be one of classification, regression, multilabel');
  });
});
