import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira, generateIssues } from '../support/fake-jira/fake-jira.js';
import type { FakeIssue } from '../support/fake-jira/fake-jira-types.js';
import { formatJiraDateTime } from '../support/fake-jira/jira-time.js';
import { FeedEventRepository } from '../../src/db/feed-event-repository.js';
import { FeedSyncItemRepository } from '../../src/db/feed-sync-item-repository.js';
import { readIcsEvents } from '../support/ics-check.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const NOW = new Date('2026-06-15T12:00:00.000Z');

let jira: FakeJira;
let app: TestApp;
let feed: { id: string; url: string };

beforeAll(async () => {
  jira = await FakeJira.start();
  jira.data.issues = generateIssues(600, { seed: 11, startId: 70_000 })
    .filter((issue) => issue.duedate !== null)
    .slice(0, 300);
  expect(jira.data.issues).toHaveLength(300);
  app = await startTestApp({ connectKeysUrl: jira.keysUrl, now: () => NOW });
  expect((await jira.install(app.url)).status).toBe(204);
  const created = await apiAs(app, jira, ADMIN).post(
    '/feeds',
    sampleFeedConfig({
      name: 'Budget cut feed',
      source: { type: 'jql', jql: 'project in (CAL, MKT, OPS)' },
      rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
      window: { pastDays: 3650, futureDays: 3650 },
      sizeBudget: { maxBytes: 20_000 },
    }),
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  feed = { id: String(created.body.id), url: String(created.body.url) };
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

/** One sync, with the Jira requests the fake Jira saw during it and the feed served after it. */
async function sync() {
  const before = jira.requests.length;
  const outcome = await app.services.sync.syncFeed(jira.clientKey, feed.id);
  const seen = jira.requests.slice(before).filter((request) => request.path.startsWith('/rest/'));
  const status = await app.services.syncRepository.find(jira.clientKey, feed.id);
  return { outcome, seen, status, text: (await fetchFeed(feed.url)).text };
}

/** A full read of the same data: what an incremental sync must have served, byte for byte. */
async function fullRead() {
  await app.services.syncRepository.forgetBasis(jira.clientKey, feed.id);
  return sync();
}

const served = (text: string) => new Set(readIcsEvents(text).events.map((event) => event.uid.split('@')[0]));
const uidOf = (issue: FakeIssue) => `${issue.id}-due`;
const touch = (issue: FakeIssue) => {
  issue.updated = formatJiraDateTime(Date.now(), 'UTC');
};

describe('incremental sync of a feed the size budget cuts', () => {
  it('re-syncs an unchanged cut feed in two requests, without rendering, with the same bytes', async () => {
    const first = await sync();
    expect(first.outcome).toMatchObject({ status: 'ok', kind: 'full' });
    const cut = first.status?.omitted?.byReason['size-budget'] ?? 0;
    expect(cut).toBeGreaterThan(100);
    const items = await new FeedSyncItemRepository(app.db.knex).list(jira.clientKey, feed.id);
    // Only what the fit ranks by: UID, dates, a hash. No summary, no key beyond the issue's own item.
    const stored = items.flatMap((item) => item.cut);
    expect(stored).toHaveLength(cut);
    expect(Object.keys(stored[0]!).sort()).toEqual(['allDay', 'end', 'hash', 'start', 'uid']);

    const again = await sync();
    expect(again.outcome).toMatchObject({
      status: 'ok',
      kind: 'incremental',
      rendered: false,
      issuesFetched: 0,
    });
    expect(again.seen).toHaveLength(2);
    expect(again.text).toBe(first.text);
    expect(again.status?.omitted?.byReason['size-budget']).toBe(cut);
  });

  it('reads an edited shown issue alone, and serves what a full read serves', async () => {
    const shown = served((await fetchFeed(feed.url)).text);
    const target = jira.data.issues.find((issue) => shown.has(uidOf(issue)))!;
    target.summary = `${target.summary} edited while shown`;
    touch(target);
    const edited = await sync();
    expect(edited.outcome).toMatchObject({ kind: 'incremental', rendered: true });
    // The edited issue, and when the edit left room for one more event, the nearest cut issue or two to try.
    const fetched = edited.outcome.status === 'ok' ? edited.outcome.issuesFetched : -1;
    expect(fetched).toBeGreaterThanOrEqual(1);
    expect(fetched).toBeLessThanOrEqual(3);
    expect(edited.seen.length).toBeLessThanOrEqual(4);
    expect(edited.text).toContain('edited while shown');
    const full = await fullRead();
    expect(full.outcome).toMatchObject({ kind: 'full', rendered: false });
    expect(full.text).toBe(edited.text);
  });

  it('brings a cut issue moved to today into the feed', async () => {
    const shown = served((await fetchFeed(feed.url)).text);
    const target = jira.data.issues.find((issue) => !shown.has(uidOf(issue)))!;
    target.duedate = '2026-06-15';
    target.summary = 'Moved to today';
    touch(target);
    const moved = await sync();
    expect(moved.outcome).toMatchObject({ kind: 'incremental', rendered: true });
    expect(served(moved.text).has(uidOf(target))).toBe(true);
    expect(moved.text).toContain('Moved to today');
    const full = await fullRead();
    expect(full.outcome).toMatchObject({ kind: 'full', rendered: false });
    expect(full.text).toBe(moved.text);
  });

  it('reads cut issues again when deletions make room for them, and serves what a full read serves', async () => {
    const before = served((await fetchFeed(feed.url)).text);
    const deleted = new Set(
      jira.data.issues
        .filter((issue) => before.has(uidOf(issue)))
        .slice(0, 10)
        .map((issue) => issue.id),
    );
    jira.data.issues = jira.data.issues.filter((issue) => !deleted.has(issue.id));
    const after = await sync();
    expect(after.outcome).toMatchObject({ kind: 'incremental', rendered: true });
    const now = served(after.text);
    const joined = [...now].filter((uid) => !before.has(uid));
    expect(joined.length).toBeGreaterThan(0);
    // About as many issues as the room left asks for are read again, in one bulk request.
    const fetched = after.outcome.status === 'ok' ? after.outcome.issuesFetched : -1;
    expect(fetched).toBeGreaterThanOrEqual(joined.length);
    expect(fetched).toBeLessThanOrEqual(2 * joined.length + 2);
    expect(after.seen.map((request) => request.path)).toEqual([
      '/rest/api/3/search/jql',
      '/rest/api/3/search/jql',
      '/rest/api/3/issue/bulkfetch',
    ]);
    // Only changed rows were written: the stored set is still exactly what is served, and every issue has one item.
    const stored = await new FeedEventRepository(app.db.knex).list(jira.clientKey, feed.id);
    expect(new Set(stored.map((event) => event.uid.split('@')[0]))).toEqual(now);
    const items = await new FeedSyncItemRepository(app.db.knex).list(jira.clientKey, feed.id);
    expect(items.filter((item) => item.kind === 'issue')).toHaveLength(jira.data.issues.length);
    expect(items.reduce((sum, item) => sum + item.cut.length, 0)).toBe(
      after.status?.omitted?.byReason['size-budget'],
    );
    const full = await fullRead();
    expect(full.outcome).toMatchObject({ kind: 'full', rendered: false });
    expect(full.text).toBe(after.text);
    expect(full.status?.omitted).toEqual(after.status?.omitted);
  });
});
