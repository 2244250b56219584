import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { checkIcs, readIcsEvents } from '../support/ics-check.js';
import { type DoorApp, type InstalledSite, startInstalledSite } from '../support/doors.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';

const A = SEED_ACCOUNTS;
const DAY_MS = 86_400_000;

let jira: FakeJira;
let door: DoorApp;
let app: TestApp;
let site: InstalledSite;
let stop: () => Promise<void>;
/** The app's clock runs this far ahead of the real one: syncs see days pass. */
let aheadMs = 0;

beforeAll(async () => {
  const started = await startInstalledSite('connect', { now: () => new Date(Date.now() + aheadMs) });
  ({ jira, door, site, stop } = started);
  app = door.app;
});
afterAll(() => stop?.());

type Served = { uid: string; summary: string; sequence: number | null; status: string | null; stamp: string };

async function served(url: string): Promise<Served[]> {
  const response = await fetchFeed(url);
  expect(response.status).toBe(200);
  expect(checkIcs(response.text)).toEqual([]);
  const stamps = [...response.text.matchAll(/^DTSTAMP:(\S+)\r$/gm)].map((match) => match[1]!);
  const statuses = response.text.split('BEGIN:VEVENT').slice(1);
  return readIcsEvents(response.text).events.map((event, index) => ({
    uid: event.uid,
    summary: event.summary,
    sequence: event.sequence,
    status: /\r\nSTATUS:(\w+)\r\n/.exec(`\r\n${statuses[index] ?? ''}`)?.[1] ?? null,
    stamp: stamps[index] ?? '',
  }));
}

const ofIssue = (events: Served[], key: string) =>
  events.filter((event) => event.summary.startsWith(`${key}:`));

async function sync(feedId: string, clientKey = site.clientKey): Promise<void> {
  expect(await app.services.sync.syncFeed(clientKey, feedId)).toMatchObject({ status: 'ok' });
}

async function mineUrl(accountId: string, feedId: string): Promise<string> {
  const response = await site.api(accountId).get('/me/calendars');
  expect(response.status).toBe(200);
  const calendars = response.body.calendars as { feedId: string; calendar: string; url: string }[];
  return calendars.find((calendar) => calendar.feedId === feedId && calendar.calendar === 'mine')!.url;
}

const tombstoneFeed = (keepDays: number, name = 'Keeps removed issues') =>
  sampleFeedConfig({
    name,
    rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
    access: { mode: 'none', divideByUserFields: ['assignee'] },
    removedIssues: { mode: 'cancel', keepDays },
  });

describe('removed issues kept as cancelled events', () => {
  it('refuses a number of days outside 1-30 with a field-level message, and stores nothing', async () => {
    const admin = site.api(ADMIN);
    const before = (await admin.get('/feeds')).body.feeds.length;
    for (const keepDays of [0, 31, 2.5]) {
      const bad = await admin.post('/feeds', tombstoneFeed(keepDays));
      expect(bad.status, JSON.stringify(bad.body)).toBe(400);
      expect(bad.body.error.fields).toEqual([
        { path: 'removedIssues.keepDays', message: expect.stringMatching(/days/) },
      ]);
    }
    const badMode = await admin.post('/feeds', { ...tombstoneFeed(3), removedIssues: { mode: 'strike' } });
    expect(badMode.status).toBe(400);
    expect(badMode.body.error.fields[0].path).toBe('removedIssues.mode');
    expect((await admin.get('/feeds')).body.feeds).toHaveLength(before);
    const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Default drop' }));
    expect(created.body.config.removedIssues).toEqual({ mode: 'drop', keepDays: 7 });
  });

  it('serves a removed issue cancelled, with a higher SEQUENCE and a new stamp, only to who saw it, then drops it', async () => {
    const created = await site.api(ADMIN).post('/feeds', tombstoneFeed(3));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const feedId = created.body.id as string;
    await sync(feedId);
    const shared = created.body.url as string;
    const [bob, chloe] = [await mineUrl(A.bob, feedId), await mineUrl(A.chloe, feedId)];
    const [before] = ofIssue(await served(shared), 'CAL-2');
    expect(before).toMatchObject({ status: null });
    expect(ofIssue(await served(bob), 'CAL-2')).toHaveLength(1);
    expect(ofIssue(await served(chloe), 'CAL-2')).toEqual([]);

    // CAL-2 (Bob's) leaves the query; the next sync is incremental.
    jira.data.issues.find((issue) => issue.key === 'CAL-2')!.projectKey = 'MKT';
    aheadMs = 60_000;
    await sync(feedId);
    const status = await app.services.syncRepository.find(site.clientKey, feedId);
    expect(status?.lastSync?.kind).toBe('incremental');
    const [cancelled] = ofIssue(await served(shared), 'CAL-2');
    expect(cancelled).toMatchObject({
      uid: before!.uid,
      status: 'CANCELLED',
      sequence: before!.sequence! + 1,
    });
    expect(cancelled!.stamp > before!.stamp).toBe(true);
    expect(ofIssue(await served(bob), 'CAL-2')).toEqual([cancelled]);
    expect(ofIssue(await served(chloe), 'CAL-2')).toEqual([]);

    // Two days on (a full read: the last is over a day old), it is still there, unchanged.
    aheadMs = 2 * DAY_MS;
    await sync(feedId);
    expect(ofIssue(await served(shared), 'CAL-2')).toEqual([cancelled]);

    // Past the three days, it is gone from every URL.
    aheadMs = 3 * DAY_MS + 120_000;
    await sync(feedId);
    expect(ofIssue(await served(shared), 'CAL-2')).toEqual([]);
    expect(ofIssue(await served(bob), 'CAL-2')).toEqual([]);
    expect((await served(shared)).length).toBeGreaterThan(0);
  });

  it('brings an issue back live with a SEQUENCE above the tombstone, and drops at once by default', async () => {
    const cal4 = jira.data.issues.find((issue) => issue.key === 'CAL-4')!;
    const keeping = await site.api(ADMIN).post('/feeds', tombstoneFeed(5, 'Comes back'));
    const dropping = await site
      .api(ADMIN)
      .post(
        '/feeds',
        sampleFeedConfig({ name: 'Drops', rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }] }),
      );
    for (const feed of [keeping, dropping]) await sync(feed.body.id);
    const [live] = ofIssue(await served(keeping.body.url), 'CAL-4');
    cal4.projectKey = 'OPS';
    for (const feed of [keeping, dropping]) await sync(feed.body.id);
    expect(ofIssue(await served(dropping.body.url), 'CAL-4')).toEqual([]);
    const [gone] = ofIssue(await served(keeping.body.url), 'CAL-4');
    expect(gone).toMatchObject({ status: 'CANCELLED', sequence: live!.sequence! + 1 });
    cal4.projectKey = 'CAL';
    await sync(keeping.body.id);
    const [back] = ofIssue(await served(keeping.body.url), 'CAL-4');
    expect(back).toMatchObject({ uid: live!.uid, status: null, sequence: live!.sequence! + 2 });
  });

  it('previews the saved feed with its removed issues as cancelled, for its own site only', async () => {
    const admin = site.api(ADMIN);
    const config = tombstoneFeed(5, 'Previewed');
    const created = await admin.post('/feeds', config);
    await sync(created.body.id);
    const cal10 = jira.data.issues.find((issue) => issue.key === 'CAL-10')!;
    cal10.projectKey = 'OPS';
    try {
      type PreviewEvent = { summary: string; cancelled: boolean };
      const preview = await admin.post(`/feeds/preview?feedId=${created.body.id}`, config);
      expect(preview.status, JSON.stringify(preview.body)).toBe(200);
      const events = preview.body.events as PreviewEvent[];
      expect(events.filter((event) => event.cancelled).map((event) => event.summary)).toEqual([
        expect.stringMatching(/^CAL-10:/),
      ]);
      const unsaved = await admin.post('/feeds/preview', config);
      expect((unsaved.body.events as PreviewEvent[]).some((event) => event.cancelled)).toBe(false);
      const bad = await admin.post('/feeds/preview?feedId=not-a-feed', config);
      expect(bad.status).toBe(400);
      expect(bad.body.error.fields[0].path).toBe('feedId');

      const other = await FakeJira.start();
      try {
        const stranger = (await door.install(other)).api(ADMIN);
        expect((await stranger.post(`/feeds/preview?feedId=${created.body.id}`, config)).status).toBe(404);
      } finally {
        await other.stop();
      }
    } finally {
      cal10.projectKey = 'CAL';
    }
  });

  it("another site's feed over the same issues shows none of this site's tombstones", async () => {
    const other = await FakeJira.start();
    try {
      const otherSite = await door.install(other);
      const created = await otherSite.api(ADMIN).post('/feeds', tombstoneFeed(3, 'Other site'));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      await sync(created.body.id, otherSite.clientKey);
      // This site's CAL-2 is gone, the other site's is not: the other site's event stays live.
      const events = await served(created.body.url);
      expect(ofIssue(events, 'CAL-2')).toMatchObject([{ status: null }]);
      expect(events.every((event) => event.status === null)).toBe(true);
      expect((await site.api(ADMIN).get(`/feeds/${created.body.id}`)).status).toBe(404);
    } finally {
      await other.stop();
    }
  });
});
