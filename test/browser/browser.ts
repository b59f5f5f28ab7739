/**
 * The system Chromium (Debian's `chromium` package, installed by `.ci/run`) driven by
 * playwright-core: nothing is downloaded. Each launch gets a fresh profile directory
 * (playwright passes Chromium a new temporary `--user-data-dir` and removes it on close).
 */
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
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true }).catch(() => undefined);
}

/** The page's horizontal overflow in CSS pixels (0 when nothing scrolls sideways). */
export function overflowX(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
