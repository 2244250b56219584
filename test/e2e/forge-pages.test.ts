import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildForgeResources } from '../../scripts/forge-build.js';
import {
  type BrowserSession,
  closeAfterTest,
  launchBrowser,
  openPage,
  type PageProblems,
  saveScreenshot,
} from '../support/browser.js';
import { FakeForge, type FakeForgeInstallation } from '../support/fake-forge/fake-forge.js';
import { MANIFEST_PATH } from '../support/fake-forge/forge-manifest.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { checkIcs } from '../support/ics-check.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const SYNC_TIMEOUT_MS = 15_000;
const FEED_NAME = 'Forge <i>dates</i>';

let appDir: string;
let jira: FakeJira;
let forge: FakeForge;
let app: TestApp;
let installation: FakeForgeInstallation;
let browser: BrowserSession;
let current: { page: Page; problems: PageProblems } | null = null;
/** Every URL the browser asked for: a Custom UI page reaches the app only through the Forge bridge. */
let requested: string[] = [];

beforeAll(async () => {
  // The Custom UI resources exactly as `npm run forge:build` lays them out for `forge deploy`.
  appDir = await mkdtemp(path.join(tmpdir(), 'calsync-forge-ui-'));
  await copyFile(MANIFEST_PATH, path.join(appDir, 'manifest.yml'));
  await buildForgeResources(appDir);
  jira = await FakeJira.start();
  forge = await FakeForge.start({ retryDelayMs: 20, appDir });
  app = await startTestApp({
    connectKeysUrl: jira.keysUrl,
    config: { forge: forge.appConfig },
    worker: true,
  });
  installation = await forge.install(app.url, jira);
  browser = await launchBrowser();
});

afterEach(async (context) => {
  await closeAfterTest(current, context.task, 'FAILED-forge');
  current = null;
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await forge?.stop();
  await jira?.stop();
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

async function openModule(
  accountId: string,
  moduleKey: string,
): Promise<{ page: Page; frame: FrameLocator; problems: PageProblems }> {
  const { page, problems } = await openPage(browser);
  current = { page, problems };
  requested = [];
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(forge.pageUrl(installation, accountId, moduleKey));
  return { page, problems, frame: page.frameLocator('#app-frame') };
}

async function finish(page: Page, problems: PageProblems): Promise<void> {
  await page.close();
  expect(problems.list).toEqual([]);
  expect(browser.blocked).toEqual([]);
  expect(requested.length).toBeGreaterThan(0);
  expect(requested.filter((url) => url.startsWith(app.url))).toEqual([]);
}

const flag = (frame: FrameLocator, title: RegExp) => frame.locator('#flags .flag__title', { hasText: title });

describe('the Custom UI pages inside a Forge frame', () => {
  it('lets an administrator create a feed through invokeRemote, see it sync to OK, and get its URL', async () => {
    const { page, frame, problems } = await openModule(SEED_ACCOUNTS.alice, 'calsync-admin');
    await frame.getByText('No feeds yet').waitFor();
    await frame.getByRole('link', { name: 'Create feed' }).first().click();
    await frame.getByLabel('Feed name').fill(FEED_NAME);
    await frame.getByLabel('JQL query', { exact: true }).fill('project = CAL');
    await expect
      .poll(() => frame.getByTestId('jql-status').textContent())
      .toMatch(/Jira accepts this query: \d+ matching issues?/);
    await frame.getByLabel('Days in the past').fill('3650');
    await frame.getByLabel('Days ahead').fill('3650');
    await frame.getByLabel('Everyone on this Jira site').check();
    await frame.getByRole('button', { name: 'Preview', exact: true }).click();
    await expect
      .poll(() => frame.getByTestId('preview-summary').textContent(), { timeout: SYNC_TIMEOUT_MS })
      .toMatch(/^[1-9]\d* events? from [1-9]\d* issues?/);
    await frame.getByRole('button', { name: 'Create feed' }).click();
    await flag(frame, /Feed created/).waitFor();
    const row = frame.getByRole('row', { name: /Forge <i>dates<\/i>/ });
    await expect
      .poll(() => row.getByTestId('feed-status').textContent(), { timeout: SYNC_TIMEOUT_MS })
      .toBe('OK');
    expect(await frame.locator('table.grid i').count()).toBe(0);
    await saveScreenshot(page, 'forge-admin-feeds');

    const [stored] = await app.services.feedRepository.list(installation.installationId);
    expect(stored?.name).toBe(FEED_NAME);
    const url = await app.services.subscriptions.sharedUrl(installation.installationId, stored!.id);
    const ics = await (await fetch(url!)).text();
    expect(checkIcs(ics)).toEqual([]);
    expect(ics).toContain('BEGIN:VEVENT');
    await finish(page, problems);
  });

  it('gives a user their personal URL on the My calendars global page', async () => {
    const { page, frame, problems } = await openModule(SEED_ACCOUNTS.bob, 'calsync-my-calendars');
    const card = frame.getByRole('article').filter({ hasText: FEED_NAME }).first();
    await card.waitFor();
    const url = await card.getByLabel('Your personal calendar URL').inputValue();
    expect(url).toMatch(new RegExp(`^${app.url}/ical/.+\\.ics$`));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(checkIcs(await response.text())).toEqual([]);
    await saveScreenshot(page, 'forge-my-calendars');
    await finish(page, problems);
  });

  it('tells a user who is not a Jira administrator that only administrators manage feeds', async () => {
    const { page, frame, problems } = await openModule(SEED_ACCOUNTS.bob, 'calsync-admin');
    problems.allow(/status of 403/);
    await frame
      .getByText(/Only Jira administrators/)
      .first()
      .waitFor();
    await finish(page, problems);
  });
});
