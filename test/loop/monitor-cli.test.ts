import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { decisionsToday, decisionsYesterday, expected, feedback, jsonl, profile, today, yesterday } from './synthetic-log.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-monitor-'));
  for (const [prefix, day, rows] of [['decisions', yesterday, decisionsYesterday], ['decisions', today, decisionsToday], ['feedback', today, feedback]] as const) {
    await mkdir(join(dir, prefix, `dt=${day}`), { recursive: true });
    await writeFile(join(dir, prefix, `dt=${day}`, 'local.jsonl'), `${jsonl(rows)}${prefix === 'decisions' && day === today ? 'not json\n' : ''}`);
  }
  // The local store keeps profiles at its root (profiles/<name>.json in a bucket).
  await writeFile(join(dir, 'moods.json'), JSON.stringify(profile));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { PATH: process.env.PATH, FUSION_STORE_DIR: dir, ...env } };
  return { code: await main(argv, io), stdout, stderr };
}

describe('fusion monitor', () => {
  it('should score the logged decisions against their feedback with the known answers', async () => {
    const r = await cli(['monitor', '--profile', 'moods', '--since', '2d']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ profile: 'moods', decisions: expected.decisions, labelled: expected.labelled, unknownLabels: expected.unknownLabels, unreadableLines: 1, truncated: [] });
    expect(s.byStrategy.average.rows).toBe(6);
    expect(s.byStrategy.average.accuracy).toBeCloseTo(expected.average.accuracy, 12);
    expect(s.byStrategy.average.logLoss).toBeCloseTo(expected.average.logLoss, 12);
    expect(s.byStrategy.average.ece).toBeCloseTo(expected.average.ece, 12);
    expect(s.byModality.text).toMatchObject({ rows: 6 });
    expect(s.byModality.text.accuracy).toBeCloseTo(expected.text.accuracy, 12);
    expect(s.byModality.audio.accuracy).toBeCloseTo(expected.audio.accuracy, 12);
    expect(s.byVariant.primary).toMatchObject({ decisions: 6, rows: 4, accuracy: 0.75 });
    expect(s.byVariant.canary).toMatchObject({ decisions: 2, rows: 2, accuracy: 0.5 });
    expect(s.shadows.product).toMatchObject({ decisions: 3, failures: 1, agreement: 0.5, rows: 2, accuracy: 1 });
    expect(s.shadows.product.logLoss).toBeCloseTo(expected.product.logLoss, 12);
    expect(s.missingByDay).toEqual(expected.missing);
    expect(s.drift.text.psi).toBeCloseTo(expected.textPsi, 6);
    expect(s.drift.text.drift).toBe(true);
    expect(s.drift.audio.psi).toBeCloseTo(0, 6);
    expect(s.drift.audio.drift).toBe(false);
    expect(s.drift.audio.missingRate).toBe(0.25);
  });

  it('should leave out what was logged before the period', async () => {
    const s = JSON.parse((await cli(['monitor', '--profile', 'moods', '--since', today])).stdout);
    expect(s.decisions).toBe(4);
    expect(s.missingByDay.map((d: { day: string }) => d.day)).toEqual([today]);
  });

  it('should report truncation when the read bounds cut it short', async () => {
    const r = await cli(['monitor', '--profile', 'moods', '--since', '2d'], { FUSION_LOOP_MAX_OBJECTS: '1' });
    const s = JSON.parse(r.stdout);
    expect(s.decisions).toBe(4);
    expect(s.truncated).toEqual([expect.stringMatching(/^decisions\/: more than 1 objects; the rest were not read/)]);
    const lines = JSON.parse((await cli(['monitor', '--profile', 'moods', '--since', '2d'], { FUSION_LOOP_MAX_LINES: '3' })).stdout);
    expect(lines.decisions).toBe(3);
    expect(lines.truncated[0]).toMatch(/^decisions: more than 3 lines/);
    const bad = await cli(['monitor', '--profile', 'moods'], { FUSION_LOOP_MAX_LINES: 'lots' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('FUSION_LOOP_MAX_LINES must be a whole number >= 1');
  });

  it('should write the report and the summary with --report', async () => {
    const out = join(dir, 'report');
    const r = await cli(['monitor', '--profile', 'moods', '--since', '2d', '--report', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(8 decisions, 6 labelled)');
    const html = await readFile(join(out, 'index.html'), 'utf8');
    for (const id of ['metrics', 'reliability', 'online', 'missing', 'drift', 'variants', 'shadows']) expect(html, id).toContain(`<section id="${id}">`);
    expect(JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')).labelled).toBe(6);
  });

  it('should say what is wrong with its arguments', async () => {
    expect((await cli(['monitor'])).stderr).toContain('Give --profile P');
    expect((await cli(['monitor', '--profile', 'moods', '--since', 'last week'])).stderr).toContain('--since must be like 7d');
    const missing = await cli(['monitor', '--profile', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope/);
  });
});
