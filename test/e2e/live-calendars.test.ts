import { randomBytes } from 'node:crypto';
import type { Frame, FrameLocator, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_ALL_JS } from '../../src/http/pages-router.js';
import { seriousViolations } from '../support/axe.js';
import {
  type BrowserSession,
  closeAfterTest,
  launchBrowser,
  openPage,
  type PageProblems,
  saveScreenshot,
} from '../support/browser.js';
import { FAKE_ALL_JS, JiraHost } from '../support/fake-ap/jira-host.js';
import { FakeGoogle } from '../support/fake-google.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { sampleFeedConfig, syncNow } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const FEED_NAME = 'Live in the browser';
const PERSON = SEED_ACCOUNTS.bob;
const GOOGLE_USER = 'bob@google.example';

let jira: FakeJira;
let host: JiraHost;
let google: FakeGoogle;
let app: TestApp;
let browser: BrowserSession;
let feedId: string;
let current: Opened | null = null;

type Opened = { page: Page; frame: FrameLocator; problems: PageProblems };

beforeAll(async () => {
  jira = await FakeJira.start();
  host = await JiraHost.start(jira);
  google = await FakeGoogle.start();
  app = await startTestApp({
    connectKeysUrl: jira.keysUrl,
    worker: true,
    config: {
      extraFrameAncestors: [host.origin],
      google: {
        ...google.client,
        oauthBaseUrl: google.url,
        apiBaseUrl: google.url,
        tokenEncryptionKey: randomBytes(32),
      },
    },
  });
  host.setApp(app.url);
  expect((await jira.install(app.url)).status).toBe(204);
  browser = await launchBrowser({
    serve: { [CONNECT_ALL_JS]: { contentType: 'application/javascript', body: FAKE_ALL_JS } },
  });
  const response = await fetch(`${app.url}/api/feeds`, {
    method: 'POST',
    headers: {
      Authorization: `JWT ${jira.contextToken({ accountId: SEED_ACCOUNTS.alice })}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(sampleFeedConfig({ name: FEED_NAME, access: { mode: 'all' } })),
  });
  expect(response.status).toBe(201);
  feedId = ((await response.json()) as { id: string }).id;
  await syncNow(app, jira.clientKey, feedId);
}, 180_000);

afterEach(async (context) => {
  await closeAfterTest(current, context.task, 'FAILED-live');
  current = null;
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await google?.stop();
  await host?.stop();
  await jira?.stop();
});

async function openAs(accountId: string, appPath: string): Promise<Opened> {
  host.accountId = accountId;
  const { page, problems } = await openPage(browser);
  current = { page, problems, frame: page.frameLocator('#app-frame') };
  await page.goto(host.pageUrl(appPath));
  return current;
}

function appFrame(page: Page): Frame {
  const frame = page.frames().find((candidate) => candidate.url().startsWith(`${app.url}/pages/`));
  if (!frame) throw new Error('the app frame is not loaded');
  return frame;
}

async function finish({ page, problems }: Opened): Promise<void> {
  await page.close();
  expect(problems.list).toEqual([]);
}

const remoteEvents = () => google.calendarsOf(GOOGLE_USER)[0]?.events ?? [];

/** The feed's row in the admin grid, read in a page of its own by the admin; then the person is back. */
async function gridLiveCell(): Promise<string> {
  const previous = current;
  const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
  const row = opened.frame.getByRole('row').filter({ hasText: FEED_NAME });
  await row.waitFor();
  const text = (await row.getByTestId('feed-live').textContent()) ?? '';
  await finish(opened);
  host.accountId = PERSON;
  current = previous;
  return text;
}

describe('a live Google calendar from My calendars', () => {
  it('connects in a new window, shows the connection, counts it in the admin grid, and disconnects', async () => {
    expect(await gridLiveCell()).toBe('None');

    const opened = await openAs(PERSON, '/pages/my-calendars');
    const { page, frame } = opened;
    const card = frame.getByRole('article').filter({ hasText: FEED_NAME }).first();
    await card.waitFor();
    google.oauth.nextUser = GOOGLE_USER;
    const seen: string[] = [];
    const note = (request: Request) => seen.push(request.url());
    browser.context.on('request', note);
    const [popup] = await Promise.all([
      browser.context.waitForEvent('page'),
      card.getByRole('button', { name: 'Keep it live in Google Calendar' }).click(),
    ]);
    // A top-level window: Google refuses to be framed, and the card may sit inside Jira's iframe.
    expect(popup.opener()).not.toBeNull();
    await popup.waitForURL(`${app.url}/live-calendars/google/callback?**`);
    await popup.getByText('Connected').first().waitFor();
    browser.context.off('request', note);
    expect(seen.some((url) => url.startsWith(google.url))).toBe(true);
    expect(popup.frames()).toHaveLength(1);
    await popup.close();

    await waitFor('the calendar filled', async () => {
      if (remoteEvents().length === 0) return false;
      const row = await app.db.knex('calendar_connections').where({ feed_id: feedId }).first();
      return row?.pending_count === 0 && row.last_push_at !== null;
    });
    await page.reload();
    const facts = frame
      .getByRole('article')
      .filter({ hasText: FEED_NAME })
      .first()
      .locator('dl.live-calendar-facts');
    await expect.poll(() => facts.textContent()).toMatch(/Status\s*Connected/);
    expect(await facts.textContent()).toContain(`Events${remoteEvents().length}`);
    expect(await seriousViolations(appFrame(page)), 'the card with a live calendar').toEqual([]);
    await saveScreenshot(page, 'my-calendars-live-google');

    expect(await gridLiveCell()).toBe('Google Calendar: 1');

    const card2 = frame.getByRole('article').filter({ hasText: FEED_NAME }).first();
    await card2.getByRole('button', { name: 'Disconnect Google Calendar' }).click();
    await expect.poll(() => google.calendarsOf(GOOGLE_USER).length).toBe(0);
    await card2.getByRole('button', { name: 'Keep it live in Google Calendar' }).waitFor();
    expect(await card2.locator('dl.live-calendar-facts').count()).toBe(0);
    await finish(opened);

    expect(await gridLiveCell()).toBe('None');
  });
});
