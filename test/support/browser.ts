import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/paths.js';

/** Debian's chromium package; browser tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.join(PROJECT_ROOT, 'test-artifacts', 'e2e');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export type StaticResponse = { contentType: string; body: string };

export type BrowserSession = {
  context: BrowserContext;
  /** Requests to anything but loopback, which were aborted (there is no internet in tests). */
  blocked: string[];
  close: () => Promise<void>;
};

/**
 * Headless Chromium with a fresh profile. `serve` answers exact URLs (query ignored) from memory, such as
 * Connect's all.js; any other request leaving 127.0.0.1 is aborted and recorded in `blocked`.
 */
export async function launchBrowser(
  options: { serve?: Record<string, StaticResponse> } = {},
): Promise<BrowserSession> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'calendar-sync-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/Berlin',
  });
  const blocked: string[] = [];
  const served = new Map(
    Object.entries(options.serve ?? {}).map(([url, response]) => [withoutQuery(url), response]),
  );
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    const fixed = served.get(withoutQuery(url));
    if (fixed) {
      await route.fulfill({ status: 200, contentType: fixed.contentType, body: fixed.body });
      return;
    }
    const { hostname, protocol } = new URL(url);
    if ((protocol === 'http:' || protocol === 'https:') && LOOPBACK_HOSTS.has(hostname)) {
      await route.continue();
      return;
    }
    blocked.push(url);
    await route.abort('blockedbyclient');
  });
  return {
    context,
    blocked,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

function withoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export type PageProblems = {
  /** Console errors and uncaught exceptions from the page and all its frames, minus allowed ones. */
  list: string[];
  /** Ignore console errors matching this pattern from now on (e.g. an expected 403 response). */
  allow: (pattern: RegExp) => void;
};

/** A new page whose console errors and page errors are collected. */
export async function openPage(session: BrowserSession): Promise<{ page: Page; problems: PageProblems }> {
  const page = await session.context.newPage();
  page.setDefaultTimeout(10_000);
  const allowed: RegExp[] = [];
  const list: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = `console error (${message.location().url}): ${message.text()}`;
    if (!allowed.some((pattern) => pattern.test(text))) list.push(text);
  });
  page.on('pageerror', (error) => list.push(`page error: ${error.message}`));
  page.on('crash', () => list.push('page crashed'));
  return { page, problems: { list, allow: (pattern) => allowed.push(pattern) } };
}

/** Saves a full-page PNG to test-artifacts/e2e/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/**
 * After each browser test: a failed test leaves a screenshot and prints what the page complained
 * about; either way the page is closed.
 */
export async function closeAfterTest(
  opened: { page: Page; problems: PageProblems } | null,
  task: { name: string; result?: { state?: string } },
  prefix = 'FAILED',
): Promise<void> {
  if (!opened || opened.page.isClosed()) return;
  if (task.result?.state === 'fail') {
    await saveScreenshot(opened.page, `${prefix}-${task.name.slice(0, 60)}`);
    if (opened.problems.list.length > 0)
      console.error(`browser problems:\n${opened.problems.list.join('\n')}`);
  }
  await opened.page.close();
}
