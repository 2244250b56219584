import type { Frame, FrameLocator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_ALL_JS } from '../../src/http/pages-router.js';
import { seriousViolations } from '../support/axe.js';
import {
  type BrowserSession,
  closeAfterTest,
  launchBrowser,
  openPage,
  type PageProblems,
} from '../support/browser.js';
import { FAKE_ALL_JS, JiraHost } from '../support/fake-ap/jira-host.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { sampleFeedConfig, syncNow } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const FEED_NAME = 'Accessible dates';
const DAY_MS = 24 * 60 * 60 * 1000;

let jira: FakeJira;
let host: JiraHost;
let app: TestApp;
let browser: BrowserSession;
let feedId: string;
let current: Opened | null = null;

type Opened = { page: Page; frame: FrameLocator; problems: PageProblems };

beforeAll(async () => {
  jira = await FakeJira.start();
  host = await JiraHost.start(jira);
  app = await startTestApp({ connectKeysUrl: jira.keysUrl, config: { extraFrameAncestors: [host.origin] } });
  host.setApp(app.url);
  expect((await jira.install(app.url)).status).toBe(204);
  browser = await launchBrowser({
    serve: { [CONNECT_ALL_JS]: { contentType: 'application/javascript', body: FAKE_ALL_JS } },
  });
  // A window too short for most issues' dates and a rule on an empty field: the grid has reasons to name.
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
  await closeAfterTest(current, context.task);
  current = null;
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
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

/** axe-core over the app's frame as drawn now: no serious or critical violation. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  expect(await seriousViolations(appFrame(page)), what).toEqual([]);
}

async function finish({ page, problems }: Opened): Promise<void> {
  await page.close();
  expect(problems.list).toEqual([]);
}

describe('every page passes axe-core without a serious or critical violation', () => {
  it('the admin grid with its settings, the editor, the preview and the explainer', async () => {
    const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
    const { page, frame } = opened;
    await frame.getByRole('link', { name: `Edit ${FEED_NAME}` }).waitFor();
    await frame.getByRole('heading', { name: 'Settings' }).waitFor();
    await expectAccessible(page, 'admin grid and settings');

    await frame.getByRole('link', { name: `Edit ${FEED_NAME}` }).click();
    await frame.getByRole('heading', { name: `Edit “${FEED_NAME}”` }).waitFor();
    await frame.getByLabel('Feed name').waitFor();
    await expectAccessible(page, 'editor');

    await frame.getByRole('button', { name: 'Preview', exact: true }).click();
    await expect
      .poll(() => frame.getByTestId('preview-summary').textContent(), { timeout: 15_000 })
      .toMatch(/events? from/);
    await expectAccessible(page, 'preview');

    await frame.getByLabel('Issue key').fill('CAL-3');
    await frame.getByRole('button', { name: 'Explain' }).click();
    await expect.poll(() => frame.getByTestId('explain-answer').textContent()).toMatch(/CAL-3/);
    await expectAccessible(page, 'explainer');
    await finish(opened);
  });

  it('My calendars', async () => {
    const opened = await openAs(SEED_ACCOUNTS.bob, '/pages/my-calendars');
    await opened.frame.getByRole('article').filter({ hasText: FEED_NAME }).first().waitFor();
    await expectAccessible(opened.page, 'My calendars');
    await finish(opened);
  });
});

describe('the admin grid says why events were left out', () => {
  it('names the biggest reasons with counts and links to the explainer', async () => {
    const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
    const { page, frame } = opened;
    const row = frame.getByRole('row').filter({ hasText: FEED_NAME });
    await expect.poll(() => row.getByTestId('omission-reasons').textContent()).toMatch(/^\d+ missing dates/);
    await row.getByRole('link', { name: `Why? Ask the explainer about ${FEED_NAME}` }).click();
    await frame.getByRole('heading', { name: `Edit “${FEED_NAME}”` }).waitFor();
    await expect
      .poll(() => appFrame(page).evaluate<string>('document.activeElement?.id ?? ""'))
      .toMatch(/explain-key/);
    await finish(opened);
  });

  it('names the date window and the issue cap with the other reasons, biggest first', async () => {
    const name = 'Short window, small cap';
    const response = await fetch(`${app.url}/api/feeds`, {
      method: 'POST',
      headers: {
        Authorization: `JWT ${jira.contextToken({ accountId: SEED_ACCOUNTS.alice })}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(
        sampleFeedConfig({
          name,
          access: { mode: 'all' },
          window: { pastDays: 1, futureDays: 1, keepUnresolvedOverdue: false },
          issueCap: 2,
        }),
      ),
    });
    expect(response.status).toBe(201);
    await syncNow(app, jira.clientKey, ((await response.json()) as { id: string }).id);
    const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
    const row = opened.frame.getByRole('row').filter({ hasText: name });
    await expect
      .poll(() => row.getByTestId('omission-reasons').textContent())
      .toMatch(/\d+ outside the date window/);
    const text = (await row.getByTestId('omission-reasons').textContent()) ?? '';
    expect(text).toMatch(/\d+ issues over the cap/);
    const counts = text.split('; ').map((reason) => Number.parseInt(reason.replace(/,/g, ''), 10));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    await row.getByRole('link', { name: `Why? Ask the explainer about ${name}` }).waitFor();
    await finish(opened);
  });
});

describe('My calendars checks that a calendar app subscribed', () => {
  const card = (frame: FrameLocator) => frame.getByRole('article').filter({ hasText: FEED_NAME }).first();

  it('warns about a URL shown over 48 hours ago that no app fetched, then names Google once it fetches', async () => {
    const chloe = SEED_ACCOUNTS.chloe;
    const first = await openAs(chloe, '/pages/my-calendars');
    const url = await card(first.frame).getByLabel('Your personal calendar URL').inputValue();
    expect(await card(first.frame).getByTestId('never-fetched').count()).toBe(0);
    await finish(first);

    await app.db
      .knex('feed_subscriptions')
      .where({ client_key: jira.clientKey, feed_id: feedId, account_id: chloe })
      .whereNull('revoked_at')
      .update({ url_shown_at: new Date(Date.now() - 3 * DAY_MS) });
    const warned = await openAs(chloe, '/pages/my-calendars');
    const warning = card(warned.frame).getByTestId('never-fetched');
    await warning.waitFor();
    expect(await warning.textContent()).toContain(
      'Calendar apps have not fetched this yet; if you imported a file, subscribe by URL instead.',
    );
    expect(await warning.getByRole('listitem').count()).toBe(3);
    await expectAccessible(warned.page, 'My calendars with the warning');
    await finish(warned);

    expect((await fetch(url, { headers: { 'user-agent': 'Google-Calendar-Importer' } })).status).toBe(200);
    await expect
      .poll(() =>
        app.db.knex('feed_subscription_clients').where({ client_key: jira.clientKey, family: 'google' }),
      )
      .toHaveLength(1);
    const fetched = await openAs(chloe, '/pages/my-calendars');
    await expect
      .poll(() => card(fetched.frame).getByTestId('last-fetched').textContent())
      .toMatch(/^Google, last fetched /);
    expect(await card(fetched.frame).getByTestId('never-fetched').count()).toBe(0);
    await finish(fetched);
  });
});

/** In the frame: the focused control, whether it shows focus, and whether Tab reached it before. */
const FOCUSED_CONTROL = `(() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const visible =
    (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  const seen = element.getAttribute('data-tab-seen') === '1';
  element.setAttribute('data-tab-seen', '1');
  const label = element.id ? document.querySelector('label[for="' + CSS.escape(element.id) + '"]') : null;
  const name = element.getAttribute('aria-label') ?? label?.textContent ?? element.textContent ?? '';
  return { name: element.tagName.toLowerCase() + ': ' + name.trim().slice(0, 60), visible, seen };
})()`;

/** In the frame: the controls a mouse could use, not disabled or hidden (one radio button per group). */
const VISIBLE_CONTROLS = `[...document.querySelectorAll('a[href], button, input, select, textarea')]
  .filter((element) => !element.disabled && element.offsetParent !== null)
  .filter((element) => !(element.type === 'radio' && !element.checked))
  .map((element) => element.outerHTML.slice(0, 80))`;

/** Tabs through the page until focus comes back round, noting each control reached and whether it shows focus. */
async function tabThrough(page: Page, limit = 150): Promise<{ name: string; visible: boolean }[]> {
  const reached: { name: string; visible: boolean }[] = [];
  const frame = appFrame(page);
  for (let press = 0; press < limit; press += 1) {
    await page.keyboard.press('Tab');
    const focused = await frame.evaluate<{ name: string; visible: boolean; seen: boolean } | null>(
      FOCUSED_CONTROL,
    );
    if (!focused) continue;
    if (focused.seen) break;
    reached.push({ name: focused.name, visible: focused.visible });
  }
  return reached;
}

/** Every control a mouse could use in the app's frame that is not disabled or hidden. */
const controlsOf = async (page: Page) => appFrame(page).evaluate<string[]>(VISIBLE_CONTROLS);

describe('keyboard only', () => {
  it('reaches every control of the editor with Tab, shows where focus is, and operates them with Enter and Space', async () => {
    const opened = await openAs(SEED_ACCOUNTS.alice, `/pages/admin#edit/${feedId}`);
    const { page, frame } = opened;
    await frame.getByLabel('Feed name').waitFor();
    const controls = await controlsOf(page);
    const reached = await tabThrough(page);
    expect(reached.filter((control) => !control.visible)).toEqual([]);
    expect(reached.length).toBeGreaterThanOrEqual(controls.length);

    const overdue = frame.getByRole('checkbox', { name: /Keep unresolved overdue issues/ });
    const wasChecked = await overdue.isChecked();
    await overdue.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => overdue.isChecked()).toBe(!wasChecked);
    await frame.getByRole('button', { name: 'Preview', exact: true }).focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => frame.getByTestId('preview-summary').textContent(), { timeout: 15_000 })
      .toMatch(/from/);
    const rules = () => frame.getByRole('group', { name: /^Event rule \d+$/ }).count();
    const before = await rules();
    await frame.getByRole('button', { name: '+ Add event rule' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(rules).toBe(before + 1);
    await finish(opened);
  }, 120_000);

  it('reaches every control of My calendars with Tab and regenerates a URL with Enter', async () => {
    const opened = await openAs(SEED_ACCOUNTS.bob, '/pages/my-calendars');
    const { page, frame } = opened;
    const article = frame.getByRole('article').filter({ hasText: FEED_NAME }).first();
    const before = await article.getByLabel('Your personal calendar URL').inputValue();
    const controls = await controlsOf(page);
    const reached = await tabThrough(page);
    expect(reached.filter((control) => !control.visible)).toEqual([]);
    expect(reached.length).toBeGreaterThanOrEqual(controls.length);

    await article.getByRole('button', { name: /^Regenerate URL of/ }).focus();
    await page.keyboard.press('Enter');
    const dialog = frame.getByRole('dialog', { name: 'Regenerate this URL?' });
    await dialog.waitFor();
    await expectAccessible(page, 'My calendars, confirm dialog');
    await dialog.getByRole('button', { name: 'Regenerate' }).focus();
    await page.keyboard.press('Space');
    await expect.poll(() => article.getByLabel('Your personal calendar URL').inputValue()).not.toBe(before);
    await finish(opened);
  });
});
