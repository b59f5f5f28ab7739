import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import type { DecisionLine } from '../../functions/fusion/loop/decision-log.js';
import { onlineMonitor } from '../../functions/fusion/loop/online.js';
import { renderMonitorReport } from '../../functions/report/monitor.js';
import * as log from './synthetic-task-log.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-monitor-tasks-'));
  const decisions = [...log.regressionDecisions, ...log.multilabelDecisions];
  const feedback = [...log.regressionFeedback, ...log.multilabelFeedback];
  for (const [prefix, day, rows] of [
    ['decisions', log.yesterday, decisions.filter((d) => d.time.startsWith(log.yesterday))],
    ['decisions', log.today, decisions.filter((d) => d.time.startsWith(log.today))],
    ['feedback', log.today, feedback],
  ] as const) {
    await mkdir(join(dir, prefix, `dt=${day}`), { recursive: true });
    await writeFile(join(dir, prefix, `dt=${day}`, 'local.jsonl'), log.jsonl(rows as unknown[]));
  }
  await writeFile(join(dir, 'prices.json'), JSON.stringify(log.regressionProfile));
  await writeFile(join(dir, 'tags.json'), JSON.stringify(log.multilabelProfile));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { PATH: process.env.PATH, FUSION_STORE_DIR: dir } };
  return { code: await main(argv, io), stdout, stderr };
}

describe('fusion monitor on regression and multi-label profiles', () => {
  it('should print a regression profile’s online MAE, RMSE and interval coverage', async () => {
    const r = await cli(['monitor', '--profile', 'prices', '--since', '2d']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ profile: 'prices', task: 'regression', decisions: 5, labelled: 4, otherTasks: { classification: 1 }, mismatchedFeedback: { 'label for regression': 1, 'labels for regression': 1 } });
    expect(s.byStrategy.average.mae).toBeCloseTo(log.expectedRegression.average.mae, 12);
    expect(s.byStrategy.average.coverage90).toBeCloseTo(2 / 3, 12);
  });

  it('should print a multi-label profile’s online micro- and macro-F1 and Brier score', async () => {
    const r = await cli(['monitor', '--profile', 'tags', '--since', '2d']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ profile: 'tags', task: 'multilabel', decisions: 5, labelled: 3, unknownLabels: 1 });
    expect(s.byStrategy.average.microF1).toBeCloseTo(log.expectedMultilabel.average.microF1, 12);
    expect(s.byStrategy.average.brier).toBeCloseTo(log.expectedMultilabel.average.brier, 12);
  });

  it('should write each task’s report: metrics, comparison and its own charts, then the loop’s sections', async () => {
    for (const [name, ids] of [
      ['prices', ['metrics', 'comparison', 'residuals', 'online', 'missing', 'drift', 'variants']],
      ['tags', ['metrics', 'comparison', 'per-label', 'reliability', 'online', 'missing', 'drift']],
    ] as const) {
      const out = join(dir, `report-${name}`);
      const r = await cli(['monitor', '--profile', name, '--since', '2d', '--report', out]);
      expect(r.code, r.stderr).toBe(0);
      const html = await readFile(join(out, 'index.html'), 'utf8');
      for (const id of ids) expect(html, `${name} ${id}`).toContain(`<section id="${id}">`);
      expect(html).toContain('Not scored:');
    }
  });
});

describe('fusion monitor with nothing to score', () => {
  it('should write the label-free report of a regression or multi-label profile with no feedback, or no decision', async () => {
    const unlabelled = onlineMonitor(log.regressionDecisions as DecisionLine[], [], { name: 'prices', task: 'regression', modalities: ['a', 'b'] });
    const empty = onlineMonitor([], [], { name: 'tags', task: 'multilabel', labels: ['cat'], modalities: ['img'] });
    expect(unlabelled.summary).toMatchObject({ decisions: 5, labelled: 0, byStrategy: {}, byModality: {} });
    expect(empty.summary).toMatchObject({ decisions: 0, labelled: 0, missingByDay: [], drift: { img: { decisions: 0, missingRate: 0, meanConfidence: null } } });
    for (const r of [unlabelled, empty]) {
      const html = await renderMonitorReport(r, { source: 'here/', since: '7d' });
      expect(html).toContain('No decision in the period has feedback yet');
      expect(html).not.toContain('<section id="metrics">');
      expect(html).toContain('<section id="drift">');
    }
  });
});
