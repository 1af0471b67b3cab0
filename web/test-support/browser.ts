import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { ensureWebBuilt } from './build-web.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../test-artifacts', import.meta.url));

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

/**
 * The before and after of a browser suite: builds the page if it is stale, starts a server (with `env`) and a
 * browser, hands both to the suite, and closes them at the end.
 */
export function browserSuite(env: Record<string, string>, started: (fixture: { server: TestServer; browser: Browser }) => void): void {
  const fixture: { server?: TestServer; browser?: Browser } = {};
  before(async () => {
    ensureWebBuilt();
    const server = (fixture.server = await startTestServer(env));
    const browser = (fixture.browser = await launchBrowser());
    started({ server, browser });
  });
  after(async () => {
    await fixture.browser?.close();
    await fixture.server?.close();
  });
}

/** A page whose console errors and uncaught exceptions are collected, so a test can insist there were none. */
export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(url);
  return { page, problems, close: () => context.close() };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** A message whose fenced `script` block drives the scripted model (docs/scripted-model.md). */
export function scripted(text: string, steps: unknown): string {
  return `${text}\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}
