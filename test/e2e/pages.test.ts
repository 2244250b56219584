import ICAL from 'ical.js';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_ALL_JS } from '../../src/http/pages-router.js';
import {
  type BrowserSession,
  closeAfterTest,
  launchBrowser,
  openPage,
  type PageProblems,
  saveScreenshot,
} from '../support/browser.js';
import { FAKE_ALL_JS, type HostFlag, JiraHost } from '../support/fake-ap/jira-host.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { checkIcs } from '../support/ics-check.js';
import { sampleFeedConfig } from '../support/site.js';
import { FakeMicrosoftGraph } from '../support/fake-microsoft-graph.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const FEED_NAME = 'Platform <b>dates</b> & releases';
const SYNC_TIMEOUT_MS = 15_000;

let jira: FakeJira;
let host: JiraHost;
let app: TestApp;
let browser: BrowserSession;
let graph: FakeMicrosoftGraph;
let current: Opened | null = null;

beforeAll(async () => {
  jira = await FakeJira.start();
  host = await JiraHost.start(jira);
  graph = await new FakeMicrosoftGraph().start();
  app = await startTestApp({
    connectKeysUrl: jira.keysUrl,
    config: {
      extraFrameAncestors: [host.origin],
      microsoft: {
        clientId: graph.clientId,
        clientSecret: graph.clientSecret,
        tenant: 'common',
        oauthBaseUrl: graph.baseUrl,
        graphBaseUrl: graph.graphUrl,
        tokenEncryptionKey: Buffer.alloc(32, 7),
      },
    },
    worker: true,
  });
  graph.registerRedirectUri(`${app.url}/live-calendars/microsoft/callback`);
  host.setApp(app.url);
  expect((await jira.install(app.url)).status).toBe(204);
  browser = await launchBrowser({
    serve: { [CONNECT_ALL_JS]: { contentType: 'application/javascript', body: FAKE_ALL_JS } },
  });
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    const errors = app
      .logs()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    if (errors.length > 0) console.error(`app errors:\n${errors.slice(-5).join('\n')}`);
  }
  await closeAfterTest(current, context.task);
  current = null;
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await graph?.stop();
  await host?.stop();
  await jira?.stop();
});

type Opened = { page: Page; frame: FrameLocator; problems: PageProblems };

async function openAs(
  accountId: string,
  appPath: string,
  viewport?: { width: number; height: number },
): Promise<Opened> {
  host.accountId = accountId;
  const { page, problems } = await openPage(browser);
  if (viewport) await page.setViewportSize(viewport);
  current = { page, problems, frame: page.frameLocator('#app-frame') };
  await page.goto(host.pageUrl(appPath));
  return current;
}

/** Closes the page and fails on any console error, uncaught exception or request that left 127.0.0.1. */
async function finish({ page, problems }: Opened): Promise<void> {
  await page.close();
  expect(problems.list).toEqual([]);
  expect(browser.blocked).toEqual([]);
}

const hostFlags = (page: Page): Promise<HostFlag[]> =>
  page.evaluate(() => (globalThis as unknown as { __flags: HostFlag[] }).__flags);

async function waitForFlag(page: Page, title: RegExp): Promise<HostFlag> {
  await expect
    .poll(async () => (await hostFlags(page)).some((flag) => title.test(flag.titleText)), {
      timeout: SYNC_TIMEOUT_MS,
    })
    .toBe(true);
  return (await hostFlags(page)).find((flag) => title.test(flag.titleText))!;
}

function appFrame(page: Page) {
  const frame = page.frames().find((candidate) => candidate.url().startsWith(`${app.url}/pages/`));
  if (!frame) throw new Error('the app frame is not loaded');
  return frame;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are checked field by field in the tests
type ApiBody = any;

/** Calls the app's API the way the pages do, with a context JWT from the fake Jira; throws unless it succeeds. */
async function apiAs(
  accountId: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: ApiBody }> {
  const response = await fetch(`${app.url}/api/${path}`, {
    method,
    headers: {
      Authorization: `JWT ${jira.contextToken({ accountId })}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = response.status === 204 ? null : await response.json();
  if (!response.ok)
    throw new Error(`${method} /api/${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return { status: response.status, body: answer };
}

function parseEvents(ics: string): { summary: string; uid: string }[] {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  return calendar.getAllSubcomponents('vevent').map((event) => ({
    summary: String(event.getFirstPropertyValue('summary')),
    uid: String(event.getFirstPropertyValue('uid')),
  }));
}

/** Holds the app's answer to `method /api/path` until released; the release resolves once the page has it. */
async function holdApi(page: Page, method: string, path: string): Promise<() => Promise<void>> {
  const url = `${app.url}/api/${path}`;
  const gate: { open?: () => void } = {};
  await page.route(
    (candidate) => candidate.href === url,
    async (route) => {
      if (route.request().method() !== method) return route.fallback();
      await new Promise<void>((resolve) => (gate.open = resolve));
      await route.continue();
    },
  );
  return async () => {
    await expect.poll(() => gate.open !== undefined).toBe(true);
    const answered = page.waitForResponse(
      (response) => response.url() === url && response.request().method() === method,
    );
    gate.open!();
    await answered;
  };
}

/**
 * Counts the page's asks for a Jira token made from the JQL box's code (editor-source.js): every call the
 * page makes to the server starts with one, synchronously, so a check that was sent has been counted.
 */
async function countJqlCheckAsks(page: Page): Promise<() => Promise<number>> {
  type Counted = { AP: { context: { getToken(callback: unknown): unknown } }; __jqlAsks: number };
  await appFrame(page).evaluate(() => {
    const page = globalThis as unknown as Counted;
    const context = page.AP.context;
    const getToken = context.getToken.bind(context);
    page.__jqlAsks = 0;
    context.getToken = (callback) => {
      if (/editor-source\.js/.test(new Error().stack ?? '')) page.__jqlAsks += 1;
      return getToken(callback);
    };
  });
  return () => appFrame(page).evaluate(() => (globalThis as unknown as Counted).__jqlAsks);
}

/**
 * Resolves once the page has read the JSON of an answer from `url` and run everything that reading it
 * set off: each read is noted a task later, after the promise callbacks waiting on it.
 */
async function noteHandledAnswers(page: Page, url: string): Promise<() => Promise<void>> {
  type Noted = {
    Response: { prototype: { json: (this: { url: string }) => Promise<unknown> } };
    __handled: string[];
  };
  await appFrame(page).evaluate(() => {
    const page = globalThis as unknown as Noted & { setTimeout(callback: () => void): void };
    const json = page.Response.prototype.json;
    page.__handled = [];
    page.Response.prototype.json = async function (this: { url: string }) {
      const body: unknown = await json.call(this);
      page.setTimeout(() => page.__handled.push(this.url));
      return body;
    };
  });
  return () =>
    expect
      .poll(() =>
        appFrame(page).evaluate((wanted) => (globalThis as unknown as Noted).__handled.includes(wanted), url),
      )
      .toBe(true);
}

async function noHorizontalOverflow(page: Page): Promise<void> {
  const widths = await appFrame(page).evaluate(() => {
    const root = (
      globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
    ).document.documentElement;
    return { scroll: root.scrollWidth, client: root.clientWidth };
  });
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
}

describe('Calendar Sync pages inside a Jira frame', () => {
  it('lets an administrator build a feed with a preview, save it, and sync it to OK', async () => {
    const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
    const { page, frame } = opened;
    await frame.getByText('No feeds yet').waitFor();
    await saveScreenshot(page, 'admin-empty');

    await frame.getByRole('link', { name: 'Create feed' }).first().click();
    await frame.getByRole('heading', { name: 'Create a feed' }).waitFor();
    await frame.getByLabel('Feed name').fill(FEED_NAME);
    await frame.getByLabel('JQL query', { exact: true }).fill('project = CAL');
    await expect
      .poll(() => frame.getByTestId('jql-status').textContent())
      .toMatch(/Jira accepts this query: \d+ matching issues?/);

    const firstRule = frame.getByRole('group', { name: 'Event rule 1' });
    const dateOptions = await firstRule.getByLabel('Date field').locator('option').allTextContents();
    expect(dateOptions).toEqual(
      expect.arrayContaining([
        'Due date',
        'Start date (customfield_10015)',
        'Go-live at (customfield_10030)',
      ]),
    );
    expect(dateOptions.join('|')).not.toMatch(/Summary|Duration \(minutes\)|Assignee/);
    expect(await firstRule.getByLabel('Date field').inputValue()).toBe('duedate');

    await frame.getByRole('button', { name: '+ Add event rule' }).click();
    const secondRule = frame.getByRole('group', { name: 'Event rule 2' });
    await secondRule.getByLabel('Kind of event').selectOption('timed');
    const startOptions = await secondRule
      .getByLabel('Start (date-time field)')
      .locator('option')
      .allTextContents();
    expect(startOptions).toContain('Go-live at (customfield_10030)');
    expect(startOptions.join('|')).not.toContain('Due date');
    await secondRule.getByLabel('Start (date-time field)').selectOption('customfield_10030');
    await secondRule.getByLabel('Event ends').selectOption('durationField');
    const minuteOptions = await secondRule.getByLabel('Minutes field').locator('option').allTextContents();
    expect(minuteOptions.filter((option) => !option.startsWith('Choose'))).toEqual([
      'Duration (minutes) (customfield_10031)',
    ]);
    await secondRule.getByLabel('Minutes field').selectOption('customfield_10031');

    const title = frame.getByLabel('Event title');
    await title.fill('{key}: {summary} {sumary}');
    await expect
      .poll(() => frame.locator('.field', { has: title }).locator('.field-error').textContent())
      .toContain('Unknown placeholder {sumary}');
    await title.fill('{key}: {summary} ({status})');
    await expect
      .poll(() => frame.getByTestId('summary-example').textContent())
      .toBe('Example: CAL-42: Ship the calendar export (In Progress)');

    await frame.getByLabel('Days in the past').fill('3650');
    await frame.getByLabel('Days ahead').fill('3650');
    await frame.getByLabel('Everyone on this Jira site').check();

    await frame.getByRole('button', { name: 'Preview', exact: true }).click();
    await expect
      .poll(() => frame.getByTestId('preview-summary').textContent(), { timeout: SYNC_TIMEOUT_MS })
      .toMatch(/^[1-9]\d* events? from [1-9]\d* issues?/);
    await expect
      .poll(() => frame.getByTestId('preview-size').textContent())
      .toMatch(/KB of Google Calendar’s ~\d/);
    expect(await frame.locator('.month table td').count()).toBeGreaterThanOrEqual(28);
    await saveScreenshot(page, 'feed-editor-preview');

    await frame.getByRole('button', { name: 'Create feed' }).click();
    const row = frame.getByRole('row', {
      name: new RegExp(FEED_NAME.replace(/[()[\]{}.*+?^$|\\]/g, '\\$&')),
    });
    await row.waitFor();
    // The name is shown as text, never parsed as markup.
    expect(await frame.locator('table.grid b').count()).toBe(0);
    await waitForFlag(page, /Feed created/);
    await waitForFlag(page, /is up to date/);
    await expect
      .poll(() => row.getByTestId('feed-status').textContent(), { timeout: SYNC_TIMEOUT_MS })
      .toBe('OK');
    const shownEvents = Number(
      (await row.getByTestId('feed-events').locator('strong').textContent())?.replace(/\D/g, ''),
    );
    expect(shownEvents).toBeGreaterThan(0);

    const { body: list } = await apiAs(SEED_ACCOUNTS.alice, 'GET', 'feeds');
    expect(list.feeds).toHaveLength(1);
    const feed = list.feeds[0];
    expect(feed.config.rules.map((rule: { kind: string }) => rule.kind)).toEqual(['allDay', 'timed']);
    expect(feed.config.rules[1].end).toEqual({
      type: 'durationField',
      field: 'customfield_10031',
      defaultMinutes: 60,
    });
    expect(feed.config.access.mode).toBe('all');
    const ics = await (await fetch(feed.url)).text();
    expect(checkIcs(ics)).toEqual([]);
    expect(parseEvents(ics)).toHaveLength(shownEvents);

    const flagsBefore = (await hostFlags(page)).length;
    await row.getByRole('button', { name: /^Sync now: / }).click();
    await expect
      .poll(async () => (await hostFlags(page)).slice(flagsBefore).map((flag) => flag.titleText), {
        timeout: SYNC_TIMEOUT_MS,
      })
      .toContainEqual(expect.stringMatching(/is up to date/));
    await expect.poll(() => row.getByTestId('feed-status').textContent()).toBe('OK');
    expect(host.tokensIssued).toBeGreaterThan(5);
    await saveScreenshot(page, 'admin-feeds');

    await page.setViewportSize({ width: 360, height: 780 });
    await noHorizontalOverflow(page);
    await saveScreenshot(page, 'admin-feeds-360px');
    await finish(opened);
  });

  it('answers "why isn’t it there?" for an issue, in words, from the feed as it stands in the form', async () => {
    const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin#new');
    const { frame } = opened;
    await frame.getByLabel('Feed name').fill('Explained');
    await frame.getByLabel('JQL query', { exact: true }).fill('project = CAL');
    await frame.getByLabel('Issue key').fill('CAL-3');
    await frame.getByRole('button', { name: 'Explain' }).click();
    await expect
      .poll(() => frame.getByTestId('explain-answer').textContent())
      .toMatch(/CAL-3 gives no event: .*duedate.* is empty/);
    await frame.getByLabel('Issue key').fill('OPS-2');
    await frame.getByRole('button', { name: 'Explain' }).click();
    await expect
      .poll(() => frame.getByTestId('explain-answer').textContent())
      .toBe("OPS-2 does not match the feed's query.");
    await frame.getByLabel('Issue key').fill('CAL-1');
    await frame.getByRole('button', { name: 'Explain' }).click();
    await expect.poll(() => frame.getByTestId('explain-answer').textContent()).toMatch(/^It is there: /);
    await saveScreenshot(opened.page, 'feed-editor-explainer');
    await finish(opened);
  });

  it('shows Jira’s own message next to the JQL field for a bad query, and the save errors in place', async () => {
    const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin#new');
    opened.problems.allow(/api\/feeds\): Failed to load resource: the server responded with a status of 400/);
    const { page, frame } = opened;
    const jql = frame.getByLabel('JQL query', { exact: true });
    await frame.getByLabel('Feed name').fill('Broken feed');
    await jql.fill('project = CAL AND colour = red');
    const jqlError = frame.locator('.field', { has: jql }).locator('.field-error');
    const jiraMessage = "Field 'colour' does not exist or you do not have permission to view it.";
    await expect.poll(() => jqlError.textContent()).toBe(jiraMessage);
    expect(await jql.getAttribute('aria-invalid')).toBe('true');

    await frame.getByRole('group', { name: 'Event rule 1' }).getByLabel('Rule id').fill('Not An Id');
    await frame.getByRole('button', { name: 'Create feed' }).click();
    await waitForFlag(page, /The feed was not saved/);
    const ruleIdError = frame.locator('.field', { has: frame.getByLabel('Rule id') }).locator('.field-error');
    await expect.poll(() => ruleIdError.textContent()).toMatch(/lowercase letters, digits or dashes/);
    expect(await jqlError.textContent()).toBe(jiraMessage);
    await expect
      .poll(() => frame.getByRole('alert').filter({ hasText: 'to fix before saving' }).count())
      .toBe(1);
    await saveScreenshot(page, 'feed-editor-errors');

    await page.setViewportSize({ width: 360, height: 780 });
    await noHorizontalOverflow(page);
    await saveScreenshot(page, 'feed-editor-360px');
    await page.setViewportSize({ width: 1280, height: 900 });

    await frame.getByRole('group', { name: 'Event rule 1' }).getByLabel('Rule id').fill('due');
    await frame.getByRole('button', { name: 'Create feed' }).click();
    await expect.poll(() => jqlError.textContent()).toBe(jiraMessage);
    // The message was already there: focus moves to the field once the refused save has answered.
    await expect
      .poll(() =>
        jql.evaluate(
          (element) =>
            element === (element.ownerDocument as unknown as { activeElement: unknown }).activeElement,
        ),
      )
      .toBe(true);
    await finish(opened);
  });

  it('gives a user their personal URL on My calendars, which serves the feed, and regenerates it', async () => {
    for (const origin of [app.url, host.origin])
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const opened = await openAs(SEED_ACCOUNTS.bob, '/pages/my-calendars');
    const { page, frame } = opened;
    const card = frame.getByRole('article').filter({ hasText: FEED_NAME }).first();
    await card.waitFor();
    const url = await card.getByLabel('Your personal calendar URL').inputValue();
    expect(url).toMatch(new RegExp(`^${app.url}/ical/.+\\.ics$`));

    await card.getByRole('button', { name: /^Copy the URL/ }).click();
    const copied = await waitForFlag(page, /URL copied|Could not copy/);
    expect(copied.titleText).toBe('URL copied');
    expect(
      await appFrame(page).evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      ),
    ).toBe(url);

    const webcal = url.replace(/^http:/, 'webcal:');
    expect(await card.getByRole('link', { name: 'Add to Google Calendar' }).getAttribute('href')).toBe(
      `https://calendar.google.com/calendar/r?cid=${encodeURIComponent(webcal)}`,
    );
    const outlook = new URL(
      (await card.getByRole('link', { name: 'Add to Outlook on the web' }).getAttribute('href'))!,
    );
    expect(outlook.origin + outlook.pathname).toBe('https://outlook.office.com/calendar/0/addfromweb');
    expect(outlook.searchParams.get('url')).toBe(url);
    expect(outlook.searchParams.get('name')).toContain(FEED_NAME);
    expect(await card.getByRole('link', { name: 'Add to Apple Calendar' }).getAttribute('href')).toBe(webcal);
    expect(await card.textContent()).toContain('every 8 to 24 hours');

    const response = await fetch(url, { headers: { 'User-Agent': 'Google-Calendar-Importer' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/calendar/);
    const events = parseEvents(await response.text());
    expect(events.length).toBeGreaterThan(0);
    expect(
      events.some((event) =>
        /^CAL-\d+: .+ \((To Do|In Progress|In Review|Done|Cancelled)\)$/.test(event.summary),
      ),
    ).toBe(true);
    await saveScreenshot(page, 'my-calendars');

    await page.reload();
    const reloaded = frame.getByRole('article').filter({ hasText: FEED_NAME }).first();
    await expect
      .poll(() => reloaded.locator('dl.facts').textContent())
      .toMatch(/Last fetched\s*Google, last fetched .*Fetches\s*1/);

    await reloaded.getByRole('button', { name: /^Regenerate URL of/ }).click();
    await frame
      .getByRole('dialog', { name: 'Regenerate this URL?' })
      .getByRole('button', { name: 'Regenerate' })
      .click();
    await waitForFlag(page, /New URL ready/);
    await expect.poll(() => reloaded.getByLabel('Your personal calendar URL').inputValue()).not.toBe(url);
    const fresh = await reloaded.getByLabel('Your personal calendar URL').inputValue();
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(fresh)).status).toBe(200);

    await reloaded.getByRole('button', { name: /^Revoke the URL/ }).click();
    await frame
      .getByRole('dialog', { name: 'Revoke this URL?' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await waitForFlag(page, /URL revoked/);
    expect((await fetch(fresh)).status).toBe(404);
    await reloaded.getByRole('button', { name: 'Get a URL' }).click();
    await expect
      .poll(async () => (await reloaded.getByLabel('Your personal calendar URL').count()) > 0)
      .toBe(true);
    const renewed = await reloaded.getByLabel('Your personal calendar URL').inputValue();
    expect(renewed).not.toBe(fresh);
    expect((await fetch(renewed)).status).toBe(200);

    await page.setViewportSize({ width: 360, height: 780 });
    await noHorizontalOverflow(page);
    await saveScreenshot(page, 'my-calendars-360px');
    await finish(opened);
  });

  it('keeps a personal calendar live in Outlook from its card, consenting in a new top-level window', async () => {
    const opened = await openAs(SEED_ACCOUNTS.bob, '/pages/my-calendars');
    const { page, frame } = opened;
    const card = frame.getByRole('article').filter({ hasText: FEED_NAME }).first();
    const button = card.getByRole('button', { name: 'Keep it live in Outlook' });
    await button.waitFor();
    expect(await card.locator('[data-live-consent="microsoft"]').textContent()).toMatch(
      /Calendars\.ReadWrite.*no narrower permission.*only the calendar it creates/,
    );
    const mailbox = graph.addMailbox('bob@contoso.example');
    graph.signInNext({ userId: mailbox.userId, consent: 'grant' });
    const [popup] = await Promise.all([page.context().waitForEvent('page'), button.click()]);
    await popup.waitForURL(/\/live-calendars\/microsoft\/callback/);
    await expect.poll(() => popup.locator('body').textContent()).toContain('Connected');
    expect(
      await popup.evaluate(() => {
        const self = globalThis as unknown as { top: unknown };
        return self.top === globalThis;
      }),
    ).toBe(true);
    await popup.close();
    await expect
      .poll(() => [...mailbox.calendars.values()].some((calendar) => calendar.byApp), {
        timeout: SYNC_TIMEOUT_MS,
      })
      .toBe(true);
    expect(graph.foreignCalls()).toEqual([]);
    await finish(opened);
  });

  it('edits a feed without losing any of its settings, and offers Jira groups for access', async () => {
    const { body: before } = await apiAs(SEED_ACCOUNTS.alice, 'GET', 'feeds');
    const feed = before.feeds.find((candidate: { name: string }) => candidate.name === FEED_NAME);
    const opened = await openAs(SEED_ACCOUNTS.alice, `/pages/admin#edit/${feed.id}`);
    const { page, frame } = opened;
    await frame.getByRole('heading', { name: `Edit “${FEED_NAME}”` }).waitFor();
    expect(
      await frame.getByRole('group', { name: 'Event rule 2' }).getByLabel('Minutes field').inputValue(),
    ).toBe('customfield_10031');

    await frame.getByLabel('Members of chosen groups').check();
    const search = frame.getByRole('searchbox', { name: 'Groups' });
    await search.fill('mark');
    await frame
      .getByRole('list', { name: 'Matching groups' })
      .getByRole('button', { name: 'marketing' })
      .click();
    await frame.getByRole('list', { name: 'Chosen groups' }).getByText('marketing').waitFor();
    await frame.getByLabel('Members of project roles').check();
    const roleNames = await frame
      .getByRole('group', { name: 'Project roles' })
      .locator('label')
      .allTextContents();
    expect(roleNames).toEqual(expect.arrayContaining(['Administrators', 'Developers', 'Viewers']));
    await frame.getByLabel('Members of chosen groups').check();
    await frame.getByRole('group', { name: 'Event rule 1' }).getByLabel("Each subscriber's own day").check();
    expect(await frame.getByLabel('Days to keep them').isVisible()).toBe(false);
    await frame.getByLabel('When an issue leaves the feed').selectOption('cancel');
    await frame.getByLabel('Days to keep them').fill('12');
    await frame.getByRole('button', { name: 'Save changes' }).click();
    await waitForFlag(page, /Feed saved/);
    await frame.getByRole('heading', { name: 'Calendar Sync feeds' }).waitFor();

    const { body: after } = await apiAs(SEED_ACCOUNTS.alice, 'GET', `feeds/${feed.id}`);
    const marketing = jira.data.groups.find((group) => group.name === 'marketing')!;
    expect(after.config.access).toEqual({
      ...feed.config.access,
      mode: 'groups',
      groups: [{ groupId: marketing.groupId, name: 'marketing' }],
    });
    expect(after.config.removedIssues).toEqual({ mode: 'cancel', keepDays: 12 });
    expect(after.config.rules).toEqual([
      { ...feed.config.rules[0], dayIn: 'subscriber' },
      ...feed.config.rules.slice(1),
    ]);
    const rest = { access: null, removedIssues: null, rules: null };
    expect({ ...after.config, ...rest }).toEqual({ ...feed.config, ...rest });

    // Back to what the other tests expect.
    await apiAs(SEED_ACCOUNTS.alice, 'PUT', `feeds/${feed.id}`, feed.config);
    await finish(opened);
  });

  it('tells a user who is not a Jira administrator that only administrators manage feeds', async () => {
    const opened = await openAs(SEED_ACCOUNTS.bob, '/pages/admin?configure=true');
    opened.problems.allow(/status of 403/);
    const { page, frame } = opened;
    await frame.getByTestId('forbidden').waitFor();
    expect(await frame.getByTestId('forbidden').textContent()).toContain(
      'Only Jira administrators can manage feeds',
    );
    expect(await frame.getByRole('link', { name: 'Create feed' }).count()).toBe(0);
    expect(await frame.getByRole('heading', { name: 'Settings' }).count()).toBe(0);
    await saveScreenshot(page, 'admin-forbidden');

    await page.goto(host.pageUrl('/pages/admin#new'));
    await frame.getByTestId('forbidden').waitFor();
    expect(await frame.getByRole('button', { name: 'Create feed' }).count()).toBe(0);
    await finish(opened);
  });

  it('duplicates a feed, deletes the copy after confirmation, and saves the site settings', async () => {
    const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
    const { page, frame } = opened;
    await frame.getByRole('button', { name: `Duplicate ${FEED_NAME}` }).click();
    const copyName = `Copy of ${FEED_NAME}`;
    await frame.getByRole('button', { name: `Delete ${copyName}` }).waitFor();
    expect((await apiAs(SEED_ACCOUNTS.alice, 'GET', 'feeds')).body.feeds).toHaveLength(2);

    await frame.getByRole('button', { name: `Delete ${copyName}` }).click();
    const dialog = frame.getByRole('dialog', { name: `Delete “${copyName}”?` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await apiAs(SEED_ACCOUNTS.alice, 'GET', 'feeds')).body.feeds).toHaveLength(2);
    await frame.getByRole('button', { name: `Delete ${copyName}` }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await waitForFlag(page, /Feed deleted/);
    await expect.poll(() => frame.getByRole('button', { name: `Delete ${copyName}` }).count()).toBe(0);
    expect(
      (await apiAs(SEED_ACCOUNTS.alice, 'GET', 'feeds')).body.feeds.map(
        (feed: { name: string }) => feed.name,
      ),
    ).toEqual([FEED_NAME]);

    const { body: settings } = await apiAs(SEED_ACCOUNTS.alice, 'GET', 'settings');
    await frame.getByText('What a report contains').click();
    const shownReport = JSON.parse((await frame.getByTestId('error-report-preview').textContent())!);
    expect(Object.keys(shownReport).sort()).toEqual(Object.keys(settings.errorReportPreview).sort());
    expect({ ...shownReport, occurredAt: null }).toEqual({
      ...settings.errorReportPreview,
      occurredAt: null,
    });
    const reporting = frame.getByLabel('Send error reports to the Calendar Sync team');
    expect(await reporting.isChecked()).toBe(settings.errorReportingEnabled);
    await reporting.click();
    await waitForFlag(page, /Settings saved/);
    expect((await apiAs(SEED_ACCOUNTS.alice, 'GET', 'settings')).body.errorReportingEnabled).toBe(
      !settings.errorReportingEnabled,
    );
    const personalData = settings.personalDataReporting as {
      accountsErased: number;
      accountsRefreshed: number;
    };
    await frame.getByRole('heading', { name: 'Personal data reporting' }).waitFor();
    expect(await frame.getByTestId('personal-data-outcomes').textContent()).toBe(
      `${personalData.accountsErased} closed accounts erased, ${personalData.accountsRefreshed} changed accounts refreshed from Jira.`,
    );
    expect(await frame.getByTestId('personal-data-last-reported').textContent()).toContain(
      'Last reported to Atlassian',
    );
    await saveScreenshot(page, 'admin-settings');
    await finish(opened);
  });

  it('offers a project role Jira no longer lists only in the editor of the feed that has it', async () => {
    const retired = { id: '10999', name: 'Retired role' };
    const { body: created } = await apiAs(
      SEED_ACCOUNTS.alice,
      'POST',
      'feeds',
      sampleFeedConfig({ name: 'Retired role feed', access: { mode: 'roles', roles: [retired] } }),
    );
    try {
      const opened = await openAs(SEED_ACCOUNTS.alice, `/pages/admin#edit/${created.id}`);
      const { frame } = opened;
      const roleNames = () =>
        frame.getByRole('group', { name: 'Project roles' }).locator('label').allTextContents();
      await frame.getByRole('heading', { name: 'Edit “Retired role feed”' }).waitFor();
      expect(await roleNames()).toContain('Retired role');

      // Back to the list and into another feed: the page keeps Jira's roles from the first editor.
      await frame.getByRole('link', { name: '← All feeds' }).click();
      await frame.getByRole('link', { name: `Edit ${FEED_NAME}` }).click();
      await frame.getByRole('heading', { name: `Edit “${FEED_NAME}”` }).waitFor();
      await frame.getByLabel('Members of project roles').check();
      expect(await roleNames()).toEqual(expect.arrayContaining(['Administrators', 'Developers']));
      expect(await roleNames()).not.toContain('Retired role');
      await finish(opened);
    } finally {
      await apiAs(SEED_ACCOUNTS.alice, 'DELETE', `feeds/${created.id}`);
    }
  });

  it('draws only the view the hash names when the one before it finishes loading late', async () => {
    const { body: created } = await apiAs(
      SEED_ACCOUNTS.alice,
      'POST',
      'feeds',
      sampleFeedConfig({ name: 'Slow to open' }),
    );
    try {
      const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
      const { page, frame } = opened;
      const release = async (answer: () => Promise<void>, path: string) => {
        const handled = await noteHandledAnswers(page, `${app.url}/api/${path}`);
        await answer();
        // Whatever the late answer would draw is drawn once the page has read it and run what it set off.
        await handled();
      };
      await frame.getByRole('heading', { name: 'Settings' }).waitFor();
      // "Create feed" is there while the list loads.
      const feedsAnswer = await holdApi(page, 'GET', 'feeds');
      await page.reload();
      await frame.getByRole('link', { name: 'Create feed' }).click();
      await frame.getByRole('heading', { name: 'Create a feed' }).waitFor();
      let settingsRequests = 0;
      page.on('request', (request) => {
        if (request.url() === `${app.url}/api/settings`) settingsRequests += 1;
      });
      await release(feedsAnswer, 'feeds');
      expect(await frame.getByRole('heading', { name: 'Settings' }).count()).toBe(0);
      expect(settingsRequests).toBe(0);
      await page.unrouteAll();

      // Back to the list (the browser's Back button) while the editor loads.
      const feedAnswer = await holdApi(page, 'GET', `feeds/${created.id}`);
      await frame.getByRole('link', { name: '← All feeds' }).click();
      await frame.getByRole('link', { name: 'Edit Slow to open' }).click();
      await frame.getByText('Loading the editor…').waitFor();
      await appFrame(page).evaluate(() => {
        (globalThis as unknown as { location: { hash: string } }).location.hash = '';
      });
      await frame.getByRole('link', { name: 'Edit Slow to open' }).waitFor();
      await release(feedAnswer, `feeds/${created.id}`);
      expect(await frame.getByRole('heading', { name: 'Edit “Slow to open”' }).count()).toBe(0);
      expect(await frame.getByRole('heading', { name: 'Calendar Sync feeds' }).count()).toBe(1);
      await page.unrouteAll();
      await finish(opened);
    } finally {
      await apiAs(SEED_ACCOUNTS.alice, 'DELETE', `feeds/${created.id}`);
    }
  });

  it('keeps the keyboard on a settings switch while it is saved', async () => {
    const { body: settings } = await apiAs(SEED_ACCOUNTS.alice, 'GET', 'settings');
    try {
      const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
      const { page, frame } = opened;
      const reporting = frame.getByLabel('Send error reports to the Calendar Sync team');
      await reporting.waitFor();
      const answer = await holdApi(page, 'PUT', 'settings');
      await reporting.focus();
      await page.keyboard.press('Space');
      await expect.poll(() => reporting.isDisabled()).toBe(true);
      // The page renders a few frames with the switch disabled, as it does over a real network.
      await appFrame(page).evaluate(async () => {
        const frames = globalThis as unknown as { requestAnimationFrame(callback: () => void): void };
        for (let frame = 0; frame < 3; frame += 1)
          await new Promise<void>((resolve) => frames.requestAnimationFrame(() => resolve()));
      });
      await answer();
      await waitForFlag(page, /Settings saved/);
      await expect.poll(() => reporting.isEnabled()).toBe(true);
      expect(
        await reporting.evaluate(
          (element) =>
            element === (element.ownerDocument as unknown as { activeElement: unknown }).activeElement,
        ),
      ).toBe(true);
      await page.unrouteAll();
      await finish(opened);
    } finally {
      await apiAs(SEED_ACCOUNTS.alice, 'PUT', 'settings', {
        errorReportingEnabled: settings.errorReportingEnabled,
        exportsEnabled: settings.exportsEnabled,
      });
    }
  });

  it('sends no JQL check for a query typed just before the admin left the editor', async () => {
    // The check waits for the admin to stop typing: this browser's clock says when that is.
    const clocked = await launchBrowser({
      serve: { [CONNECT_ALL_JS]: { contentType: 'application/javascript', body: FAKE_ALL_JS } },
    });
    try {
      await clocked.context.clock.install();
      host.accountId = SEED_ACCOUNTS.alice;
      const { page, problems } = await openPage(clocked);
      const opened = (current = { page, problems, frame: page.frameLocator('#app-frame') });
      const { frame } = opened;
      await page.goto(host.pageUrl('/pages/admin#new'));
      await frame.getByRole('heading', { name: 'Create a feed' }).waitFor();
      await page.clock.pauseAt(Date.now() + 60_000);
      const jqlAsks = await countJqlCheckAsks(page);
      const jql = frame.getByLabel('JQL query', { exact: true });

      await jql.fill('project = CAL');
      await page.clock.runFor(1000);
      await expect.poll(() => frame.getByTestId('jql-status').textContent()).toMatch(/Jira accepts/);
      expect(await jqlAsks()).toBe(1);

      await jql.fill('project = OPS');
      await frame.getByRole('link', { name: '← All feeds' }).click();
      await frame.getByRole('heading', { name: 'Calendar Sync feeds' }).waitFor();
      await page.clock.runFor(1000);
      expect(await jqlAsks()).toBe(1);
      await page.close();
      expect(problems.list).toEqual([]);
      expect(clocked.blocked).toEqual([]);
    } finally {
      await clocked.close();
    }
  });

  it('keeps a deleted feed deleted when a poll sent before the delete answers after it', async () => {
    const name = 'Deleted while polled';
    const { body: created } = await apiAs(SEED_ACCOUNTS.alice, 'POST', 'feeds', sampleFeedConfig({ name }));
    try {
      await expect
        .poll(
          async () => (await apiAs(SEED_ACCOUNTS.alice, 'GET', `feeds/${created.id}`)).body.status.state,
          {
            timeout: SYNC_TIMEOUT_MS,
          },
        )
        .toBe('ok');
      const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
      const { page, frame } = opened;
      const feedUrl = `${app.url}/api/feeds/${created.id}`;
      const gate: { polled?: () => void; release?: () => void } = {};
      const polled = new Promise<void>((resolve) => (gate.polled = resolve));
      // The poll's answer is the server's from before the delete, handed to the page only after it.
      await page.route(
        (candidate) => candidate.href === feedUrl,
        async (route) => {
          if (route.request().method() !== 'GET') return route.fallback();
          const answer = await route.fetch();
          const released = new Promise<void>((resolve) => (gate.release = resolve));
          gate.polled!();
          await released;
          await route.fulfill({ response: answer });
        },
      );
      await frame.getByRole('button', { name: `Sync now: ${name}` }).click();
      await polled;
      const handled = await noteHandledAnswers(page, feedUrl);

      await frame.getByRole('button', { name: `Delete ${name}` }).click();
      await frame
        .getByRole('dialog', { name: `Delete “${name}”?` })
        .getByRole('button', { name: 'Delete' })
        .click();
      await waitForFlag(page, /Feed deleted/);
      const rows = frame.locator(`tr[data-feed-id="${created.id}"]`);
      await expect.poll(() => rows.count()).toBe(0);

      gate.release!();
      await handled();
      expect(await rows.count()).toBe(0);
      await page.unrouteAll();
      await finish(opened);
    } finally {
      // Gone already unless the test failed before its delete.
      await apiAs(SEED_ACCOUNTS.alice, 'DELETE', `feeds/${created.id}`).catch(() => null);
    }
  });

  it('shows a failed sync as ERROR, with the cause a click away', async () => {
    const original = structuredClone(jira.data);
    jira.data.projects = jira.data.projects.filter((project) => project.key !== 'CAL');
    try {
      const opened = await openAs(SEED_ACCOUNTS.alice, '/pages/admin');
      const { page, frame } = opened;
      await frame.getByRole('button', { name: `Sync now: ${FEED_NAME}` }).click();
      const flag = await waitForFlag(page, /could not sync/);
      const status = frame.getByTestId('feed-status');
      const toggle = status.getByRole('button', { name: 'Error' });
      await toggle.waitFor();
      expect(await toggle.getAttribute('aria-expanded')).toBe('false');
      await toggle.click();
      expect(await toggle.getAttribute('aria-expanded')).toBe('true');
      const { body } = await apiAs(SEED_ACCOUNTS.alice, 'GET', 'feeds');
      const cause = body.feeds.find((candidate: { name: string }) => candidate.name === FEED_NAME).status
        .error.message as string;
      expect(cause).toMatch(/CAL/);
      expect(await status.locator('.status-detail').first().textContent()).toContain(cause);
      expect(flag.bodyText).toContain(cause);
      expect(flag.bodyText).toContain('Edit the feed and correct its query');
      await saveScreenshot(page, 'admin-sync-error');
      await finish(opened);
    } finally {
      jira.data = original;
    }
  });
});
