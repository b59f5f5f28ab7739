import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.js';
import { captureIo } from '../learned/helpers.js';
import { decisionsToday, decisionsYesterday, feedback, jsonl, profile, today, yesterday } from '../loop/synthetic-log.js';
import { type TestBrowser, axeViolations, launch, overflowX, screenshot } from './browser.js';

let dir: string;
let chrome: TestBrowser;
let page: Page;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-monitor-report-'));
  for (const [prefix, day, rows] of [['decisions', yesterday, decisionsYesterday], ['decisions', today, decisionsToday], ['feedback', today, feedback]] as const) {
    await mkdir(join(dir, prefix, `dt=${day}`), { recursive: true });
    await writeFile(join(dir, prefix, `dt=${day}`, 'local.jsonl'), jsonl(rows));
  }
  await writeFile(join(dir, 'moods.json'), JSON.stringify(profile));
  const io = captureIo();
  const code = await main(['monitor', '--profile', 'moods', '--since', '2d', '--report', join(dir, 'report')], { ...io.io, env: { PATH: process.env.PATH, FUSION_STORE_DIR: dir } });
  if (code !== 0) throw new Error(io.stderr());
  chrome = await launch();
  page = await chrome.browser.newPage({ viewport: { width: 1000, height: 900 } });
  await page.goto(pathToFileURL(join(dir, 'report', 'index.html')).href);
});
afterAll(async () => {
  await chrome?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const section = (id: string) => page.locator(`#${id}`);

describe('the monitoring report (fusion monitor --report)', () => {
  it('should fit 1,000 px without horizontal scrolling', async () => {
    expect(await overflowX(page)).toBe(0);
    await screenshot(page, 'monitor-desktop.png');
  });

  it('should score the strategy, the variants, the shadow and each modality alone', async () => {
    expect(await section('metrics').locator('tbody th').allTextContents()).toEqual(['average', 'variant primary', 'variant canary', 'shadow product', 'text', 'audio']);
    const reliability = await section('reliability').locator('svg').textContent();
    for (const name of ['average', 'text (alone)', 'audio (alone)']) expect(reliability).toContain(name);
  });

  it('should chart the missing rate per day and the drift against the reference', async () => {
    expect(await section('missing').locator('svg').count()).toBe(1);
    expect(await section('missing').locator('tbody tr').allTextContents()).toEqual([`${yesterday}40.0000.000`, `${today}40.0000.500`]);
    expect(await section('drift').locator('svg').textContent()).toMatch(/PSI/);
    const rows = await section('drift').locator('tbody tr').allTextContents();
    expect(rows[0]).toMatch(/^text1\.\d{4}drift/);
    expect(rows[1]).toMatch(/^audio0\.0000stable/);
  });

  it('should compare primary with canary and show the shadow’s failures and agreement', async () => {
    expect(await section('variants').locator('tbody th').allTextContents()).toEqual(['primary', 'canary']);
    expect(await section('shadows').locator('tbody tr').first().textContent()).toBe('product310.50021.00000.30810.2500');
  });

  it('should pass axe-core with no serious or critical violations, and fit a phone', async () => {
    const violations = await axeViolations(page);
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await overflowX(page)).toBe(0);
    await screenshot(page, 'monitor-phone.png');
  });
});
