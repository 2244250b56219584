import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { checkIcs } from '../support/ics-check.js';
import { ADMIN, apiAs, fetchFeed, registerSite, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const SECOND_SECRET = 'c'.repeat(48);

let siteA: FakeJira;
let siteB: FakeJira;
let app: TestApp;

beforeAll(async () => {
  siteA = await FakeJira.start();
  siteB = await FakeJira.start({ sharedSecret: SECOND_SECRET });
  app = await startTestApp({ connectKeysUrl: siteA.keysUrl });
  expect((await siteA.install(app.url)).status).toBe(204);
  await registerSite(app, siteB, SECOND_SECRET);
});
afterAll(async () => {
  await app?.stop();
  await siteA?.stop();
  await siteB?.stop();
});

async function syncedFeed(site: FakeJira, name: string): Promise<{ id: string; url: string }> {
  const created = await apiAs(app, site, ADMIN).post('/feeds', sampleFeedConfig({ name }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(await app.services.sync.syncFeed(site.clientKey, created.body.id)).toMatchObject({ status: 'ok' });
  return { id: created.body.id, url: created.body.url };
}

async function uids(url: string): Promise<string[]> {
  const feed = await fetchFeed(url);
  expect(feed.status).toBe(200);
  expect(checkIcs(feed.text)).toEqual([]);
  return new ICAL.Component(ICAL.parse(feed.text))
    .getAllSubcomponents('vevent')
    .map((event) => String(event.getFirstPropertyValue('uid')));
}

describe('event UIDs', () => {
  it('differ for issue 10001 on two sites and in two feeds, and carry neither the app host nor the site key', async () => {
    const feeds = [
      await syncedFeed(siteA, 'A one'),
      await syncedFeed(siteA, 'A two'),
      await syncedFeed(siteB, 'B one'),
      await syncedFeed(siteB, 'B two'),
    ];
    const due = await Promise.all(
      feeds.map(async (feed) => (await uids(feed.url)).filter((uid) => uid.startsWith('10001-due@'))),
    );
    for (const found of due) expect(found).toHaveLength(1);
    expect(new Set(due.flat()).size).toBe(4);
    for (const uid of due.flat()) {
      expect(uid).not.toContain(new URL(app.url).host);
      expect(uid).not.toContain(siteA.clientKey);
      expect(uid).not.toContain(siteB.clientKey);
    }
  });

  it('stay the same when the app moves to another BASE_URL', async () => {
    const feed = await syncedFeed(siteA, 'Moving app');
    const before = await uids(feed.url);
    const moved = await startTestApp({ db: app.db, config: { feedTokenSecret: app.config.feedTokenSecret } });
    try {
      expect(moved.url).not.toBe(app.url);
      const renamed = await apiAs(moved, siteA, ADMIN).put(
        `/feeds/${feed.id}`,
        sampleFeedConfig({ name: 'Moved app' }),
      );
      expect(renamed.status).toBe(200);
      expect(await moved.services.sync.syncFeed(siteA.clientKey, feed.id)).toMatchObject({
        status: 'ok',
        rendered: true,
      });
      const servedByMoved = feed.url.replace(app.url, moved.url);
      expect((await fetchFeed(servedByMoved)).text).toContain('Moved app');
      expect((await uids(servedByMoved)).sort()).toEqual([...before].sort());
    } finally {
      await moved.stop();
    }
  });
});
