import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.js';
import { STRATEGY_NAMES } from '../../functions/fusion/index.js';
import { captureIo, head, load } from '../learned/helpers.js';
import { type TestBrowser, axeViolations, launch, overflowX, screenshot } from './browser.js';

const missing = load('digits-3view-missing');
const RULES = STRATEGY_NAMES.filter((s) => s !== 'learned');
let dir: string;
let chrome: TestBrowser;
let page: Page;
let data: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-report-'));
  data = join(dir, 'test.jsonl');
  await writeFile(data, head(missing.testText, 300));
  const io = captureIo();
  const code = await main(['evaluate', '--data', data, '--profile', join(missing.dir, 'profile.json'), '--model', 'examples/profiles/models/digits-logistic.json', '--report', dir], io.io);
  if (code !== 0) throw new Error(io.stderr());
  chrome = await launch();
  page = await chrome.browser.newPage({ viewport: { width: 1000, height: 900 } });
  await page.goto(pathToFileURL(join(dir, 'index.html')).href);
});
afterAll(async () => {
  await chrome?.close();
  await rm(dir, { recursive: true, force: true });
});

const section = (id: string) => page.locator(`#${id}`);
const ENTRIES = [...RULES, 'digits-logistic', 'top (alone)', 'bottom (alone)', 'profile (alone)'];

describe('the evaluation report (fusion evaluate --report)', () => {
  it('should fit 1,000 px without horizontal scrolling', async () => {
    expect(await overflowX(page)).toBe(0);
    await screenshot(page, 'report-desktop.png');
  });

  it('should give every entry its five metrics, each with a bootstrap 95% interval', async () => {
    const rows = section('metrics').locator('tbody tr');
    expect(await rows.count()).toBe(ENTRIES.length);
    for (let i = 0; i < ENTRIES.length; i++) {
      const intervals = await rows.nth(i).locator('small').allTextContents();
      expect(intervals).toHaveLength(5);
      for (const text of intervals) {
        const [low, high] = text.split('–').map(Number);
        expect(low).toBeLessThanOrEqual(high!);
      }
    }
    expect(await section('metrics').textContent()).toMatch(/1000 resamples, seed 0/);
  });

  it('should chart each metric on an axis zoomed to the data, log loss on a log scale', async () => {
    expect(await section('comparison').locator('svg').count()).toBe(5);
    const ticks = await section('comparison').locator('figure').nth(0).locator('text').allTextContents();
    // Accuracy's axis does not start at 0.
    expect(ticks.filter((t) => /^0\.\d+$/.test(t)).map(Number).every((v) => v > 0.3)).toBe(true);
  });

  it('should show per-class precision, recall and F1 for every entry', async () => {
    expect(await section('per-class').locator('details').count()).toBe(ENTRIES.length);
    const first = section('per-class').locator('details').first();
    await first.locator('summary').click();
    expect(await first.locator('tbody tr').count()).toBe(10);
    expect(await first.locator('thead').textContent()).toBe('classprecisionrecallF1support');
  });

  it('should draw a confusion matrix and a reliability diagram with bin counts for every entry', async () => {
    for (const id of ['confusion', 'reliability']) {
      const text = await section(id).locator('svg').textContent();
      for (const name of ENTRIES) expect(text, `${id} ${name}`).toContain(name);
    }
    expect(await section('reliability').textContent()).toMatch(/the number is the rows in the bin/);
  });

  it('should ablate each modality from every strategy and the model, and keep each alone', async () => {
    const head = await section('ablation').locator('thead').textContent();
    for (const m of ['top', 'bottom', 'profile']) expect(head).toContain(`without ${m}`), expect(head).toContain(`only ${m}`);
    expect(await section('ablation').locator('tbody th').allTextContents()).toEqual([...RULES, 'digits-logistic']);
  });

  it('should say why diversity matters above the pairwise matrices', async () => {
    expect(await section('diversity').locator('p').textContent()).toMatch(/^Late fusion only helps when the modalities err differently/);
    expect(await section('diversity').locator('svg').textContent()).toMatch(/error correlation.*disagreement/);
  });

  it("should record the model, its training options, the data file's hash and the date", async () => {
    const text = (await section('metadata').textContent())!;
    const sha = createHash('sha256').update(await readFile(data, 'utf8')).digest('hex');
    expect(text).toContain(sha);
    expect(text).toMatch(/model digits-logistic\s*logistic, trained \d{4}-\d\d-\d\dT/);
    expect(text).toMatch(/options \{.*\}/);
    expect(text).toMatch(/generated\s*\d{4}-\d\d-\d\dT/);
  });

  it('should pass axe-core with no serious or critical violations', async () => {
    const violations = await axeViolations(page);
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, 'report-phone.png');
  });
});
