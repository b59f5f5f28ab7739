import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.js';
import { captureIo } from '../learned/helpers.js';
import * as log from '../loop/synthetic-task-log.js';
import { type TestBrowser, axeViolations, launch, overflowX, screenshot } from './browser.js';

let dir: string;
let chrome: TestBrowser;
let page: Page;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-monitor-tasks-report-'));
  const decisions = [...log.regressionDecisions, ...log.multilabelDecisions];
  for (const day of [log.yesterday, log.today]) {
    await mkdir(join(dir, 'decisions', `dt=${day}`), { recursive: true });
    await writeFile(join(dir, 'decisions', `dt=${day}`, 'local.jsonl'), log.jsonl(decisions.filter((d) => d.time.startsWith(day))));
  }
  await mkdir(join(dir, 'feedback', `dt=${log.today}`), { recursive: true });
  await writeFile(join(dir, 'feedback', `dt=${log.today}`, 'local.jsonl'), log.jsonl([...log.regressionFeedback, ...log.multilabelFeedback]));
  // Drift references: a's values (9, 4, 18, 1, 7) fall as in training; b's (11, 6, −1, 7) give
  // shares 0.25, 0.5, 0.25 against 0.5, 0.25, 0.25: PSI 0.5·ln 2. img's label shares are as in training.
  const histogram = (shares: number[]) => ({ edges: [5, 10], shares });
  await writeFile(join(dir, 'prices.json'), JSON.stringify({ ...log.regressionProfile, reference: { rows: 10, histograms: { a: histogram([0.4, 0.4, 0.2]), b: histogram([0.5, 0.25, 0.25]) } } }));
  await writeFile(join(dir, 'tags.json'), JSON.stringify({ ...log.multilabelProfile, reference: { rows: 10, labelShares: { img: [0.6, 0.2, 0.2] } } }));
  for (const name of ['prices', 'tags']) {
    const io = captureIo();
    const code = await main(['monitor', '--profile', name, '--since', '2d', '--report', join(dir, name)], { ...io.io, env: { PATH: process.env.PATH, FUSION_STORE_DIR: dir } });
    if (code !== 0) throw new Error(io.stderr());
  }
  chrome = await launch();
  page = await chrome.browser.newPage({ viewport: { width: 1000, height: 900 } });
});
afterAll(async () => {
  await chrome?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const open = (name: string) => page.goto(pathToFileURL(join(dir, name, 'index.html')).href);
const section = (id: string) => page.locator(`#${id}`);

async function accessibleAndFitting(name: string): Promise<void> {
  await page.setViewportSize({ width: 1000, height: 900 });
  expect(await overflowX(page)).toBe(0);
  await screenshot(page, `monitor-${name}-desktop.png`);
  const violations = await axeViolations(page);
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  await page.setViewportSize({ width: 390, height: 800 });
  expect(await overflowX(page)).toBe(0);
}

describe('the monitoring report of a regression profile', () => {
  it('should list the strategy, the variants and each modality alone with their MAE and RMSE', async () => {
    await open('prices');
    expect(await section('metrics').locator('tbody th').allTextContents()).toEqual(['average', 'variant primary', 'variant canary', 'a (alone)', 'b (alone)']);
    expect(await section('metrics').locator('tbody tr').first().textContent()).toBe(`averagerule1.5000${Math.sqrt(3.5).toFixed(4)}${(1 - 14 / 152.75).toFixed(4)}0.00000.6667${(1.7522721).toFixed(4)}34`);
    expect(await section('metrics').locator('tr.best th').textContent()).toBe('average');
    // One labelled row: R² is undefined, shown as a dash.
    expect(await section('metrics').locator('tbody tr').nth(2).locator('td').nth(3).textContent()).toBe('–');
  });

  it('should chart predicted against actual per source, and the comparison of each metric', async () => {
    expect(await section('residuals').locator('svg').getAttribute('aria-label')).toMatch(/Predicted against actual/);
    expect(await section('comparison').locator('svg').count()).toBe(5);
    expect(await section('online').textContent()).toContain('1 classification decisions logged under this profile name');
  });

  it('should chart PSI per modality against the training reference and flag the drifted one', async () => {
    await open('prices');
    expect(await section('drift').locator('figure svg').count()).toBe(1);
    const cells = async (m: string) => (await section('drift').locator('tbody tr', { has: page.locator(`th:text-is("${m}")`) }).first().locator('td').allTextContents()).slice(0, 2);
    expect(await cells('a')).toEqual(['0.0000', 'stable']);
    expect(await cells('b')).toEqual([(0.5 * Math.log(2)).toFixed(4), 'drift']);
  });

  it('should pass axe-core with no serious or critical violations, and fit 1,000 px and a phone', () => accessibleAndFitting('regression'));
});

describe('the monitoring report of a multi-label profile', () => {
  it('should list micro- and macro-F1 of the strategy and each modality alone, and F1 per label', async () => {
    await open('tags');
    expect(await section('metrics').locator('tbody th').allTextContents()).toEqual(['average', 'img (alone)', 'txt (alone)']);
    expect(await section('per-label').locator('svg').getAttribute('aria-label')).toBe('F1 per label');
    expect(await section('per-label').locator('details summary').allTextContents()).toEqual(['average', 'img (alone)', 'txt (alone)']);
  });

  it('should draw each label’s reliability and its calibration error', async () => {
    const svg = await section('reliability').locator('svg').textContent();
    for (const panel of ['average: cat', 'average: dog', 'average: sun']) expect(svg).toContain(panel);
    expect(await section('reliability').locator('tbody tr').first().textContent()).toBe('average0.1670.3000.467') // cat (0.1 + 0.1 + 0.3) / 3, dog (0.2 + 0.3 + 0.4) / 3, sun (0.6 + 0.6 + 0.2) / 3;
  });

  it('should show PSI for a modality with a reference and a dash for one without', async () => {
    await open('tags');
    const first = async (m: string) => (await section('drift').locator('tbody tr', { has: page.locator(`th:text-is("${m}")`) }).first().locator('td').allTextContents()).slice(0, 2);
    expect(await first('img')).toEqual(['0.0000', 'stable']);
    expect(await first('txt')).toEqual(['–', '–']);
  });

  it('should pass axe-core with no serious or critical violations, and fit 1,000 px and a phone', () => accessibleAndFitting('multilabel'));
});
