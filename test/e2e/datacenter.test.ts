import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserSession,
  closeAfterTest,
  launchBrowser,
  openPage,
  type PageProblems,
  saveScreenshot,
} from '../support/browser.js';
import { seriousViolations } from '../support/axe.js';
import { startDataCenterApp } from '../support/datacenter.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { FakeJiraDc } from '../support/fake-jira-dc/fake-jira-dc.js';
import type { TestApp } from '../support/test-app.js';

/**
 * The Data Center edition in a real browser: pages served on their own (no Jira frame), sign-in through the
 * fake Jira DC's own login and consent pages, a feed created in the admin page, and My calendars.
 */
const SYNC_TIMEOUT_MS = 20_000;
const FEED_NAME = 'Data Center team dates';

let jira: FakeJira;
let dc: FakeJiraDc;
let app: TestApp;
let browsers: BrowserSession[] = [];
let current: { page: Page; problems: PageProblems } | null = null;

beforeAll(async () => {
  jira = await FakeJira.start();
  dc = await FakeJiraDc.start({ data: jira.data });
  ({ app } = await startDataCenterApp(dc, { worker: true }));
});
afterEach(async (context) => {
  await closeAfterTest(current, context.task, 'FAILED-datacenter');
  current = null;
});
afterAll(async () => {
  for (const browser of browsers) await browser.close();
  browsers = [];
  await app?.stop();
  await dc?.stop();
  await jira?.stop();
});

/**
 * A person's own browser opening a page of the app: not signed in yet, so the page sends them through
 * Jira's login and consent pages and they come back to it.
 */
async function signedInAt(accountId: string, path: string) {
  const browser = await launchBrowser();
  browsers.push(browser);
  current = await openPage(browser);
  const { page, problems } = current;
  // The page's first API call is refused (no session yet); that refusal is what starts the sign-in.
  problems.allow(/status of 401/);
  await page.goto(`${app.url}${path}`);
  const login = page.getByLabel('Username');
  await login.waitFor();
  expect(new URL(page.url()).origin).toBe(dc.baseUrl);
  await login.fill(dc.userName(accountId));
  await page.getByLabel('Password').fill(dc.passwordOf(accountId));
  await page.locator('#login-submit').click();
  await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
  expect(await page.textContent('body')).toContain('READ');
  await page.locator('#approve').click();
  await page.waitForURL((url) => url.origin === app.url && url.pathname === path);
  return current;
}

describe('the Data Center edition in a browser', () => {
  it('signs an administrator in through Jira, creates a feed in the admin page and syncs it to OK', async () => {
    const { page, problems } = await signedInAt(SEED_ACCOUNTS.alice, '/pages/admin');
    // Never framed, and no Connect script on a standalone page.
    expect(
      await page.evaluate(() => {
        const frame = globalThis as unknown as { top: unknown; self: unknown; AP?: unknown };
        return frame.top === frame.self && frame.AP === undefined;
      }),
    ).toBe(true);
    await page.getByText('No feeds yet').waitFor();
    expect(await seriousViolations(page), 'Data Center admin page after sign-in').toEqual([]);
    await page.getByRole('link', { name: 'Create feed' }).first().click();
    await page.getByRole('heading', { name: 'Create a feed' }).waitFor();
    await page.getByLabel('Feed name').fill(FEED_NAME);
    await page.getByLabel('JQL query', { exact: true }).fill('project = CAL');
    await expect
      .poll(() => page.getByTestId('jql-status').textContent())
      .toMatch(/Jira accepts this query: \d+ matching issues?/);
    await page.getByLabel('Days in the past').fill('3650');
    await page.getByLabel('Days ahead').fill('3650');
    await page.getByLabel('Everyone on this Jira site').check();
    await page.getByRole('button', { name: 'Create feed' }).click();
    const row = page.getByRole('row', { name: new RegExp(FEED_NAME) });
    await row.waitFor();
    await expect
      .poll(() => row.getByTestId('feed-status').textContent(), { timeout: SYNC_TIMEOUT_MS })
      .toBe('OK');
    await saveScreenshot(page, 'datacenter-admin');
    expect(problems.list).toEqual([]);
  });

  it('shows another signed-in user the feed on My calendars, with a URL that serves it', async () => {
    const { page, problems } = await signedInAt(SEED_ACCOUNTS.bob, '/pages/my-calendars');
    const card = page.getByRole('article').filter({ hasText: FEED_NAME }).first();
    await card.waitFor({ timeout: SYNC_TIMEOUT_MS });
    expect(await seriousViolations(page), 'Data Center My calendars after sign-in').toEqual([]);
    const url = await card.getByLabel('Your personal calendar URL').inputValue();
    expect(url).toMatch(new RegExp(`^${app.url}/ical/.+\\.ics$`));
    const served = await fetch(url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^text\/calendar/);
    expect(await served.text()).toContain('BEGIN:VEVENT');
    await saveScreenshot(page, 'datacenter-my-calendars');
    expect(problems.list).toEqual([]);
  });
  it('tells an administrator editing someone else’s feed that saving moves it to their Jira rights', async () => {
    jira.data.groups.find((group) => group.name === 'site-admins')?.members.push(SEED_ACCOUNTS.farah);
    const { page, problems } = await signedInAt(SEED_ACCOUNTS.farah, '/pages/admin');
    await page.getByRole('link', { name: `Edit ${FEED_NAME}` }).click();
    await page.getByRole('heading', { name: `Edit “${FEED_NAME}”` }).waitFor();
    const notice = page.getByTestId('rights-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(
      new RegExp(
        `rights of ${dc.userKey(SEED_ACCOUNTS.alice)}.*When you save your changes it reads with yours`,
      ),
    );
    await page.getByRole('button', { name: 'Save changes' }).click();
    const row = page.getByRole('row', { name: new RegExp(FEED_NAME) });
    await row.waitFor();
    await page.getByRole('link', { name: `Edit ${FEED_NAME}` }).click();
    await page.getByRole('heading', { name: `Edit “${FEED_NAME}”` }).waitFor();
    // Now the feed reads with Farah's rights: nothing to warn her about.
    await page.getByRole('button', { name: 'Save changes' }).waitFor();
    expect(await page.getByTestId('rights-notice').count()).toBe(0);
    expect(problems.list).toEqual([]);
  });
});
