import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../../scripts/demo-app.js';
import {
  type BrowserSession,
  closeAfterTest,
  launchBrowser,
  openPage,
  type PageProblems,
  saveScreenshot,
} from '../support/browser.js';
import { seriousViolations } from '../support/axe.js';
import { checkIcs } from '../support/ics-check.js';

const SYNC_TIMEOUT_MS = 20_000;

let demo: Demo;
let browser: BrowserSession;
let current: { page: Page; problems: PageProblems } | null = null;

beforeAll(async () => {
  demo = await startDemo({ port: 0, hostPort: 0 });
  // No route is intercepted: the demo must work in a person's own browser as it does here.
  browser = await launchBrowser();
}, 120_000);
afterEach(async (context) => {
  await closeAfterTest(current, context.task, 'FAILED-demo');
  current = null;
});
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('npm run demo, as a person who has never seen Jira uses it', () => {
  it('signs in as the admin, creates a feed, then as a plain user subscribes to its calendar', async () => {
    const { page, problems } = await openPage(browser);
    current = { page, problems };
    await page.goto(demo.hostUrl);
    await page.getByRole('heading', { name: /Signed in as Alice/ }).waitFor();
    expect(await seriousViolations(page), 'demo host page').toEqual([]);
    await saveScreenshot(page, 'demo-home');

    await page.getByRole('link', { name: /Calendar Sync feeds \(Connect\)/ }).click();
    const frame = page.frameLocator('#app-frame');
    await frame.getByRole('row', { name: /Demo \(connect\)/ }).waitFor();
    await frame.getByRole('link', { name: 'Create feed' }).first().click();
    await frame.getByLabel('Feed name').fill('My first feed');
    await frame.getByLabel('JQL query', { exact: true }).fill('project = CAL');
    await frame.getByLabel('Days in the past').fill('3650');
    await frame.getByLabel('Days ahead').fill('3650');
    await frame.getByLabel('Everyone on this Jira site').check();
    await frame.getByRole('button', { name: 'Create feed' }).click();
    const row = frame.getByRole('row', { name: /My first feed/ });
    await expect
      .poll(() => row.getByTestId('feed-status').textContent(), { timeout: SYNC_TIMEOUT_MS })
      .toBe('OK');
    await saveScreenshot(page, 'demo-admin');

    await page.getByRole('link', { name: 'Fake Jira' }).click();
    await page.getByRole('link', { name: /^Bob/ }).click();
    await page.getByRole('heading', { name: /Signed in as Bob/ }).waitFor();
    await page.getByRole('link', { name: /My calendars \(Connect\)/ }).click();
    const card = page
      .frameLocator('#app-frame')
      .getByRole('article')
      .filter({ hasText: 'My first feed' })
      .first();
    const url = await card.getByLabel('Your personal calendar URL').inputValue();
    expect(url.startsWith(`${demo.appUrl}/ical/`)).toBe(true);
    const ics = await (await fetch(url)).text();
    expect(checkIcs(ics)).toEqual([]);
    expect(ics).toContain('BEGIN:VEVENT');
    await saveScreenshot(page, 'demo-my-calendars');

    expect(problems.list).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });

  it('opens the same pages through the Forge door', async () => {
    const { page, problems } = await openPage(browser);
    current = { page, problems };
    await page.goto(demo.hostUrl);
    await page.getByRole('link', { name: /Calendar Sync feeds \(Forge\)/ }).click();
    await page
      .frameLocator('#app-frame')
      .getByRole('row', { name: /Demo \(forge\)/ })
      .waitFor();
    expect(problems.list).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });

  it('keeps a calendar live in the fake Google, whose page shows what was pushed', async () => {
    const { page, problems } = await openPage(browser);
    current = { page, problems };
    await page.goto(demo.hostUrl);
    await page.getByRole('link', { name: /^Bob/ }).click();
    await page.getByRole('link', { name: /My calendars \(Connect\)/ }).click();
    const card = page
      .frameLocator('#app-frame')
      .getByRole('article')
      .filter({ hasText: 'Demo (connect)' })
      .first();
    const [consent] = await Promise.all([
      browser.context.waitForEvent('page'),
      card.getByRole('button', { name: 'Keep it live in Google Calendar' }).click(),
    ]);
    await consent.getByText('Connected').first().waitFor();
    await consent.close();

    await page.goto(demo.hostUrl);
    await page.getByRole('link', { name: /Fake Google Calendar/ }).click();
    await page.getByRole('heading', { name: 'Fake Google Calendar' }).waitFor();
    // The page reloads itself every few seconds: the events appear once the push has run.
    await expect
      .poll(() => page.locator('tbody tr').count(), { timeout: SYNC_TIMEOUT_MS })
      .toBeGreaterThan(0);
    expect(await seriousViolations(page), 'fake Google Calendar page').toEqual([]);
    await saveScreenshot(page, 'demo-fake-google');
    expect(problems.list).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });
});
