/**
 * The system Chromium (Debian's `chromium` package, installed by `.ci/run`) driven by
 * playwright-core: nothing is downloaded. Each launch gets a fresh profile directory
 * (playwright passes Chromium a new temporary `--user-data-dir` and removes it on close).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

/** Where Debian installs Chromium (override with CHROMIUM_PATH). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A running browser and how to stop it (and remove its profile). */
export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launch(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
  return { browser, close: () => browser.close() };
}

/** Where screenshots for the closing note go (not committed); FUSION_SCREENSHOTS overrides. */
export const SCREENSHOTS = process.env.FUSION_SCREENSHOTS ?? '/work/artifacts';

/** Saves a full-page screenshot when the screenshot directory exists (never fails a test). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (existsSync(SCREENSHOTS)) await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true }).catch(() => undefined);
}

/** The page's horizontal overflow in CSS pixels (0 when nothing scrolls sideways). */
export function overflowX(page: Page): Promise<number> {
  // Expressions as strings: the tests type-check without the DOM library.
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}

/** One axe-core rule the page breaks, how badly and on how many elements. */
export interface Violation {
  id: string;
  impact: string;
  nodes: number;
}

/** Runs axe-core (WCAG 2.1 A and AA, and best practices) in the page. */
export async function axeViolations(page: Page): Promise<Violation[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  return page.evaluate(`axe.run({ runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))`);
}
