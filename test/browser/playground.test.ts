import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRATEGY_NAMES, type FusionResponse, type ResolvedProfile, fuseOne, getStrategy } from '../../functions/fusion/index.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';
import { buildPlayground } from '../../functions/playground/build.js';
import { type TestBrowser, axeViolations, launch, overflowX, screenshot } from './browser.js';

let server: LocalServer;
let chrome: TestBrowser;
const requests: string[] = [];
const RULES = STRATEGY_NAMES.filter((s) => s !== 'learned');

beforeAll(async () => {
  await buildPlayground();
  [server, chrome] = await Promise.all([startServer({ port: 0 }), launch()]);
});
afterAll(async () => {
  await chrome?.close();
  await server?.close();
});

async function open(hash = '', width = 1280): Promise<Page> {
  const page = await chrome.browser.newPage({ viewport: { width, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.url}/${hash}`);
  await page.getByTestId('fused-average-no').waitFor();
  return page;
}

const text = (page: Page, id: string) => page.getByTestId(id).textContent();

/** Every fused probability and label on the page, by test id. */
async function shown(page: Page): Promise<Record<string, string>> {
  return page.evaluate(`Object.fromEntries([...document.querySelectorAll('[data-testid^="fused-"], [data-testid^="label-"]')]
    .map((e) => [e.getAttribute('data-testid'), e.getAttribute('data-value') ?? e.textContent]))`);
}

/** Checks that every rule's card shows what the core computes for `request`. */
async function expectCore(page: Page, request: unknown, lookup?: (name: string) => ResolvedProfile | undefined, names: string[] = RULES): Promise<void> {
  const on = await shown(page);
  for (const name of names) {
    const r = fuseOne(getStrategy(name), request, lookup) as FusionResponse;
    expect(on[`label-${name}`], name).toBe(r.label);
    for (const [c, p] of Object.entries(r.probabilities)) expect(Number(on[`fused-${name}-${c}`]), `${name} ${c}`).toBeCloseTo(p, 12);
  }
}

describe('the playground at GET /', () => {
  it('should show each worked example: 0.65, 0.66, A by 2 votes to 1, and the sentiment case', async () => {
    const page = await open();
    await page.getByTestId('preset-average-two').click();
    expect(await text(page, 'fused-average-yes')).toBe('0.65');
    expect(await text(page, 'label-average')).toBe('yes');
    await page.getByTestId('preset-weighted-two').click();
    expect(await text(page, 'fused-average-yes')).toBe('0.66');
    await page.getByTestId('preset-vote-three').click();
    expect(await text(page, 'label-vote')).toBe('A');
    expect(await text(page, 'votes-vote')).toBe('A 2, B 1');
    expect(await text(page, 'fused-vote-A')).toBe('0.667');
    await page.getByTestId('preset-sentiment').click();
    expect(await text(page, 'label-average')).toBe('positive');
    expect(await text(page, 'fused-average-positive')).toBe('0.56');
    const predictions = { text: { probabilities: [0.1, 0.2, 0.7] }, video: { probabilities: [0.2, 0.5, 0.3] }, audio: { label: 'positive', confidence: 0.6 } };
    const sentiment = JSON.parse(await readFile('examples/profiles/sentiment.json', 'utf8'));
    await expectCore(page, { profile: 'sentiment', predictions }, () => ({ profile: sentiment }));
    await screenshot(page, 'playground-desktop.png');
    await page.close();
  });

  it('should move a slider with the keyboard, keep the probabilities normalised and show what the core computes', async () => {
    const page = await open();
    const slider = page.getByTestId('value-image-yes');
    await slider.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    expect(await slider.inputValue()).toBe('0.75');
    expect(Number(await page.getByTestId('value-image-no').inputValue())).toBeCloseTo(0.25, 12);
    await expectCore(page, { classes: ['no', 'yes'], predictions: { image: { probabilities: [0.25, 0.75] }, audio: { probabilities: [0.4, 0.6] } } });
    await page.getByTestId('weight-audio').fill('2');
    await page.getByTestId('temperature-image').fill('2');
    const request = { classes: ['no', 'yes'], predictions: { image: { probabilities: [0.25, 0.75] }, audio: { probabilities: [0.4, 0.6] } }, weights: { image: 1, audio: 2 }, options: { temperatures: { image: 2 } } };
    await expectCore(page, request);
    expect(await text(page, 'weights-average')).toBe('image 0.333, audio 0.667');
    await page.close();
  });

  it('should renormalise over the modalities left when one is marked missing', async () => {
    const page = await open();
    await page.getByTestId('preset-weighted-two').click();
    await page.getByTestId('missing-audio').check();
    expect(await text(page, 'fused-average-yes')).toBe('0.70');
    expect(await text(page, 'weights-average')).toBe('image 1.00');
    expect(await text(page, 'missing-average')).toBe('audio');
    await expectCore(page, { classes: ['no', 'yes'], modalities: ['image', 'audio'], predictions: { image: { probabilities: [0.3, 0.7] } }, weights: { image: 0.6, audio: 0.4 } });
    await page.close();
  });

  it('should reproduce a case from its link', async () => {
    const page = await open();
    await page.getByTestId('preset-sentiment').click();
    await page.getByTestId('kind-video').selectOption('logits');
    await page.getByTestId('value-video-negative').fill('2.5');
    await page.getByTestId('missing-text').check();
    const before = await shown(page);
    const link = page.url();
    expect(link).toContain('#state=');
    const again = await chrome.browser.newPage();
    again.on('request', (r) => requests.push(r.url()));
    await again.goto(link);
    await again.getByTestId('fused-average-no').or(again.getByTestId('fused-average-negative')).waitFor();
    expect(await shown(again)).toEqual(before);
    expect(await again.getByTestId('value-video-negative').inputValue()).toBe('2.5');
    expect(await again.getByTestId('missing-text').isChecked()).toBe(true);
    await page.close();
    await again.close();
  });

  it('should name an unusable link and fall back to the first preset', async () => {
    const page = await open('#state=%7B%22classes%22%3A%5B%5D%7D');
    expect(await page.locator('#status').textContent()).toMatch(/the state in the link is invalid at ".*"/);
    expect(await text(page, 'fused-average-yes')).toBe('0.65');
    await page.close();
  });

  it('should fuse with a learned model from an embedded profile, and with a stored profile fetched from the server', async () => {
    const page = await open();
    await page.locator('#profile').selectOption('embedded:digits-learned');
    await page.getByTestId('label-learned').waitFor();
    const artifact = JSON.parse(await readFile('examples/profiles/models/digits-logistic.json', 'utf8'));
    const profile = JSON.parse(await readFile('examples/profiles/digits-learned.json', 'utf8'));
    const lookup = () => ({ profile, model: artifact });
    await page.getByTestId('value-top-7').fill('0.9');
    const request = { profile: 'digits-learned', predictions: Object.fromEntries(['top', 'bottom', 'profile'].map((m) => [m, { probabilities: m === 'top' ? [...Array(10)].map((_, c) => (c === 7 ? 0.9 : 0.1 / 9)) : new Array(10).fill(0.1) }])) };
    await expectCore(page, request, lookup, ['average', 'learned']);
    await page.locator('#profile').selectOption('stored:sentiment');
    await page.getByTestId('fused-average-positive').waitFor();
    expect(await page.getByTestId('weight-text').inputValue()).toBe('0.5');
    await page.close();
  });

  it('should be usable with the keyboard alone: Tab to a preset, Enter', async () => {
    const page = await open();
    for (let i = 0; i < 10 && (await page.evaluate(`document.activeElement?.getAttribute('data-testid')`)) !== 'preset-weighted-two'; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await text(page, 'fused-average-yes')).toBe('0.66');
    await page.close();
  });

  it('should pass axe-core with no serious or critical violations, and fit a phone without sideways scrolling', async () => {
    for (const [preset, width] of [['sentiment', 1280], ['vote-three', 390]] as const) {
      const page = await open('', width);
      await page.getByTestId(`preset-${preset}`).click();
      const violations = await axeViolations(page);
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), preset).toEqual([]);
      expect(await overflowX(page)).toBe(0);
      if (width < 500) await screenshot(page, 'playground-phone.png');
      await page.close();
    }
  });

  it('should serve the page with a policy allowing only its own origin, and name a bad or unknown profile', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    expect(((await (await fetch(`${server.url}/playground/profiles`)).json()) as { names: string[] }).names).toContain('sentiment');
    for (const [path, detail] of [['/playground/profiles/a%20b', /1 to 128 letters/], ['/playground/profiles/nope', /nope/]] as const) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(((await res.json()) as { detail: string }).detail).toMatch(detail);
    }
  });

  it('should have made no request outside the local server', () => {
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith('data:'))).toEqual([]);
  });
});
