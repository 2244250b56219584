import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withOutageSwitch, type DatabaseOutage } from '../support/db-proxy.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Two app instances on one database, each with its own connection pool, notification listener and memory,
 * as two processes behind a load balancer: `writer` takes the admin calls, `reader` serves.
 */
let jira: FakeJira;
let writer: TestApp;
let second: DatabaseOutage;
let reader: TestApp;
let readerQueries = 0;

beforeAll(async () => {
  jira = await FakeJira.start();
  writer = await startTestApp({ connectKeysUrl: jira.keysUrl });
  second = await withOutageSwitch(writer.db);
  second.db.knex.on('query', (query: { sql: string }) => {
    // Batched fetch statistics are the one write a served request leads to.
    if (!query.sql.includes('fetch_count')) readerQueries += 1;
  });
  reader = await startTestApp({
    db: second.db,
    connectKeysUrl: jira.keysUrl,
    config: { feedTokenSecret: writer.config.feedTokenSecret },
  });
  expect((await jira.install(writer.url)).status).toBe(204);
});
afterAll(async () => {
  await reader?.stop();
  await second?.close();
  await writer?.stop();
  await jira?.stop();
});

const onReader = (url: string) => url.replace(writer.url, reader.url);

/** Polls briefly: another process learns of a change when the database's notification reaches it. */
async function statusOn(url: string, expected: number): Promise<number> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const { status } = await fetchFeed(url);
    if (status === expected || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function syncedFeed(name: string, access: Record<string, unknown> = { mode: 'all' }) {
  const created = await apiAs(writer, jira, ADMIN).post('/feeds', sampleFeedConfig({ name, access }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(await writer.services.sync.syncFeed(jira.clientKey, created.body.id)).toMatchObject({
    status: 'ok',
  });
  return { id: created.body.id as string, url: created.body.url as string };
}

describe('serving from memory', () => {
  it('answers a URL it served before without a single query', async () => {
    const feed = await syncedFeed('From memory');
    const first = await fetchFeed(onReader(feed.url));
    expect(first.status).toBe(200);
    // The sync's notifications may still be on their way (late on a loaded machine): each one makes the
    // reader look the feed up again, once. Wait until a fetch needs no query, then hold it to that.
    const deadline = Date.now() + 10_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 300));
      readerQueries = 0;
      await fetchFeed(onReader(feed.url));
    } while (readerQueries > 0 && Date.now() < deadline);
    readerQueries = 0;
    for (let i = 0; i < 20; i += 1) expect((await fetchFeed(onReader(feed.url))).text).toBe(first.text);
    expect(readerQueries).toBe(0);
  });

  it('serves new bytes on the other process as soon as a sync re-renders them', async () => {
    const feed = await syncedFeed('Re-rendered');
    const before = await fetchFeed(onReader(feed.url));
    const renamed = await apiAs(writer, jira, ADMIN).put(
      `/feeds/${feed.id}`,
      sampleFeedConfig({ name: 'Re-rendered twice' }),
    );
    expect(renamed.status).toBe(200);
    expect(await writer.services.sync.syncFeed(jira.clientKey, feed.id)).toMatchObject({ rendered: true });
    const deadline = Date.now() + 2_000;
    let after = await fetchFeed(onReader(feed.url));
    while (after.headers.get('etag') === before.headers.get('etag') && Date.now() < deadline)
      after = await fetchFeed(onReader(feed.url));
    expect(after.text).toContain('Re-rendered twice');
  });

  it('stops serving a rotated, revoked, access-lost or uninstalled URL on the other process', async () => {
    const feed = await syncedFeed('Changes', { mode: 'groups', groups: [{ name: 'leadership' }] });
    const farah = SEED_ACCOUNTS.farah;
    const mine = await apiAs(writer, jira, farah).get('/me/calendars');
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    const calendars = mine.body.calendars as { feedId: string; url: string }[];
    const personal = calendars.find((calendar) => calendar.feedId === feed.id)!.url;
    for (const url of [feed.url, personal]) {
      expect((await fetchFeed(onReader(url))).status).toBe(200);
      expect((await fetchFeed(onReader(url))).status).toBe(200);
    }

    const rotated = await apiAs(writer, jira, ADMIN).post(`/feeds/${feed.id}/rotate-url`);
    expect(rotated.status).toBe(200);
    expect(await statusOn(onReader(feed.url), 404)).toBe(404);
    expect((await fetchFeed(onReader(rotated.body.url))).status).toBe(200);

    const leadership = jira.data.groups.find((group) => group.name === 'leadership')!;
    leadership.members = leadership.members.filter((member) => member !== farah);
    try {
      await writer.services.access.refreshSite(jira.clientKey);
      expect(await statusOn(onReader(personal), 404)).toBe(404);
    } finally {
      leadership.members.push(farah);
    }

    const revokable = await syncedFeed('Revoked');
    const bob = SEED_ACCOUNTS.bob;
    const bobs = (await apiAs(writer, jira, bob).get('/me/calendars')).body.calendars as {
      feedId: string;
      url: string;
    }[];
    const bobUrl = bobs.find((calendar) => calendar.feedId === revokable.id)!.url;
    expect((await fetchFeed(onReader(bobUrl))).status).toBe(200);
    const subscriptions = (await apiAs(writer, jira, ADMIN).get(`/feeds/${revokable.id}/subscriptions`)).body
      .subscriptions as { id: string; accountId: string | null }[];
    const bobsSubscription = subscriptions.find((subscription) => subscription.accountId === bob)!;
    expect(
      (await apiAs(writer, jira, ADMIN).delete(`/feeds/${revokable.id}/subscriptions/${bobsSubscription.id}`))
        .status,
    ).toBe(204);
    expect(await statusOn(onReader(bobUrl), 404)).toBe(404);
    expect((await fetchFeed(onReader(revokable.url))).status).toBe(200);

    const last = await syncedFeed('Uninstalled');
    expect((await fetchFeed(onReader(last.url))).status).toBe(200);
    expect((await fetchFeed(onReader(rotated.body.url))).status).toBe(200);
    expect((await jira.uninstall(writer.url)).status).toBe(204);
    expect(await statusOn(onReader(last.url), 404)).toBe(404);
    expect(await statusOn(onReader(rotated.body.url), 404)).toBe(404);
  });
});
