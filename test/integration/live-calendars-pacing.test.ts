import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressQuotas, PROVIDER_QUOTAS } from '../../src/domain/provider-quotas.js';
import { FakeGoogle } from '../support/fake-google.js';
import { type FakeJira, generateIssues, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import type { FakeIssue } from '../support/fake-jira/fake-jira-types.js';
import { formatJiraDateTime } from '../support/fake-jira/jira-time.js';
import { type InstalledSite, withInstalledSite } from '../support/doors.js';
import { ADMIN, sampleFeedConfig, syncNow } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const A = SEED_ACCOUNTS;
/** A minute of Google's quotas in three seconds: 600 per user becomes 600 per 3 s, and so on. */
const COMPRESSION = 20;
const QUOTAS = compressQuotas(PROVIDER_QUOTAS, COMPRESSION);
/** The fake enforces a per-user quota ten times tighter than the app's own table, in the same window. */
const FAKE_USER_QUOTA = { calls: 60, windowMs: 3_000 };
const TIGHT = {
  ...QUOTAS,
  google: { ...QUOTAS.google, perPerson: FAKE_USER_QUOTA },
};
const BIG_FILL = 260;

describe('live calendar pacing', { timeout: 180_000 }, () => {
  let google: FakeGoogle;
  let jira: FakeJira;
  let app: TestApp;
  let site: InstalledSite;

  beforeAll(async () => {
    google = await FakeGoogle.start();
    google.userQuota = FAKE_USER_QUOTA;
  });
  afterAll(() => google?.stop());
  withInstalledSite(
    'connect',
    () => ({
      worker: true,
      providerQuotas: TIGHT,
      config: {
        google: {
          ...google.client,
          oauthBaseUrl: google.url,
          apiBaseUrl: google.url,
          tokenEncryptionKey: randomBytes(32),
        },
      },
    }),
    (world) => ({ jira, app, site } = world),
  );

  const googleUser = (accountId: string) => `${accountId}@google.example`;
  const remoteEvents = (accountId: string) => google.calendarsOf(googleUser(accountId))[0]?.events ?? [];

  async function createFeed(config: Record<string, unknown>): Promise<string> {
    const created = await site.api(ADMIN).post('/feeds', sampleFeedConfig(config));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await syncNow(app, site.clientKey, String(created.body.id));
    return String(created.body.id);
  }

  async function connect(accountId: string, feedId: string): Promise<string> {
    const started = await site.api(accountId).post('/me/live-calendars', {
      feedId,
      calendar: 'all',
      provider: 'google',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    google.oauth.nextUser = googleUser(accountId);
    const consent = await fetch(started.body.authorizationUrl as string, { redirect: 'manual' });
    expect((await fetch(consent.headers.get('location') ?? '')).status).toBe(200);
    const listed = await site.api(accountId).get('/me/live-calendars');
    return (listed.body.connections as { id: string; feedId: string }[]).find(
      (item) => item.feedId === feedId,
    )!.id;
  }

  async function servedCount(feedId: string): Promise<number> {
    const rows = await app.db.knex('feed_events').where({ feed_id: feedId }).count<{ n: string }[]>('* as n');
    return Number(rows[0]?.n ?? 0);
  }

  /** Most calls one user made in any window of the fake's quota. */
  function peakPerWindow(user: string): number {
    const times = google.calls.filter((call) => call.user === user).map((call) => call.at);
    let peak = 0;
    for (let start = 0, end = 0; end < times.length; end++) {
      while (times[end]! - times[start]! >= FAKE_USER_QUOTA.windowMs) start++;
      peak = Math.max(peak, end - start + 1);
    }
    return peak;
  }

  it("fills a big calendar within the user's quota while another person's small edit goes through", async () => {
    const small = await createFeed({ name: 'Small live', access: { mode: 'all' } });
    await connect(A.gao, small);
    const smallCount = await servedCount(small);
    await waitFor('the small fill', () => Promise.resolve(remoteEvents(A.gao).length === smallCount));

    const dated = generateIssues(BIG_FILL, {
      seed: 7,
      projectKeys: ['OPS'],
      startId: 50_000,
      startNumber: 5000,
    }).map((issue, index): FakeIssue => ({ ...issue, duedate: `2026-0${1 + (index % 9)}-1${index % 10}` }));
    jira.data.issues.push(...dated);
    const big = await createFeed({
      name: 'Big live',
      source: { type: 'jql', jql: 'project = OPS ORDER BY key' },
      access: { mode: 'all' },
    });
    const bigCount = await servedCount(big);
    expect(bigCount).toBeGreaterThan(FAKE_USER_QUOTA.calls * 3);
    await connect(A.chloe, big);
    await waitFor('the big fill under way', () => Promise.resolve(remoteEvents(A.chloe).length > 0));

    const shownKey = /^(CAL-\d+):/.exec(
      remoteEvents(A.gao).find((event) => /^CAL-\d+:/.test(event.summary ?? ''))?.summary ?? '',
    )?.[1];
    const issue = jira.data.issues.find((candidate) => candidate.key === shownKey)!;
    issue.summary = 'Small edit during a big fill';
    issue.updated = formatJiraDateTime(Date.now(), 'UTC');
    await syncNow(app, site.clientKey, small);
    await waitFor('the small edit in Google', () =>
      Promise.resolve(remoteEvents(A.gao).some((event) => event.summary?.includes('Small edit during'))),
    );
    expect(remoteEvents(A.chloe).length).toBeLessThan(bigCount);

    await waitFor('the big fill', () => Promise.resolve(remoteEvents(A.chloe).length === bigCount), 150_000);
    expect(google.quotaRefusals).toBe(0);
    expect(peakPerWindow(googleUser(A.chloe))).toBeLessThanOrEqual(FAKE_USER_QUOTA.calls);
    expect(google.violations).toEqual([]);
    const metrics = await app.services.metrics.render();
    expect(metrics).toMatch(/calsync_calendar_quota_waits_total [1-9]/);
    expect(metrics).toMatch(/calsync_calendar_pushes_total\{outcome="paced"\} [1-9]/);
    expect(metrics).toMatch(
      /calsync_calendar_provider_requests_total\{provider="google",status="ok"\} [1-9]/,
    );
  });

  it("keeps one site's people's budgets apart from another site's same account", async () => {
    const budgets = app.services.providerBudgetRepository;
    // An hour's window: nothing refills between the takes, however slow the machine.
    const slow = { ...TIGHT, google: { ...TIGHT.google, perPerson: { calls: 60, windowMs: 3_600_000 } } };
    const caller = { provider: 'google' as const, accountId: A.gao, quotas: slow };
    const first = await budgets.take(`${site.clientKey}-pace-a`, caller, 1_000);
    expect(first.granted).toBe(Math.floor(FAKE_USER_QUOTA.calls / 10));
    expect((await budgets.take(`${site.clientKey}-pace-a`, caller, 1_000)).granted).toBe(0);
    expect((await budgets.take(`${site.clientKey}-pace-b`, caller, 1_000)).granted).toBe(first.granted);
  });
});
