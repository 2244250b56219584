import { describe, expect, it } from 'vitest';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { type DoorApp, forEachDoor, type InstalledSite, withInstalledSite } from '../support/doors.js';
import { ADMIN, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const A = SEED_ACCOUNTS;
const GOOGLE_UA = 'Google-Calendar-Importer';
const DAY_MS = 24 * 60 * 60 * 1000;

type Calendar = {
  feedId: string;
  calendar: string;
  url: string;
  urlShownAt: string | null;
  neverFetched: boolean;
  clients: { family: string; fetchCount: number; firstFetchedAt: string; lastFetchedAt: string }[];
};

forEachDoor((doorName) => {
  let door: DoorApp;
  let app: TestApp;
  let site: InstalledSite;

  withInstalledSite(doorName, {}, (world) => ({ door, app, site } = world));

  async function createFeed(name: string): Promise<string> {
    const created = await site.api(ADMIN).post('/feeds', sampleFeedConfig({ name, access: { mode: 'all' } }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(await app.services.sync.syncFeed(site.clientKey, created.body.id)).toMatchObject({ status: 'ok' });
    return created.body.id as string;
  }

  async function calendarOf(accountId: string, feedId: string): Promise<Calendar> {
    const response = await site.api(accountId).get('/me/calendars');
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const found = (response.body.calendars as Calendar[]).find((c) => c.feedId === feedId);
    if (!found) throw new Error(`no calendar of feed ${feedId}`);
    return found;
  }

  describe('which calendar apps fetch a URL', () => {
    it('records the Google family of a fetch and keeps no User-Agent and no address', async () => {
      const feedId = await createFeed('Fetched by Google');
      const shown = await calendarOf(A.bob, feedId);
      expect(shown.urlShownAt).not.toBeNull();
      expect(shown.clients).toEqual([]);
      const served = await fetch(shown.url, {
        headers: { 'user-agent': `${GOOGLE_UA} (+http://www.google.com/support/calendar/)` },
      });
      expect(served.status).toBe(200);
      const rows = await waitFor('the fetch to be recorded', async () => {
        const found = await app.db.knex('feed_subscription_clients').where({ client_key: site.clientKey });
        return found.length > 0 ? found : null;
      });
      expect(rows).toEqual([
        {
          subscription_id: expect.any(String),
          client_key: site.clientKey,
          family: 'google',
          first_fetched_at: expect.any(Date),
          last_fetched_at: expect.any(Date),
          fetch_count: 1,
        },
      ]);
      // The site's key may name an address (Data Center's is its Jira's URL); the rest must not.
      const stored = JSON.stringify(
        (await app.db.knex('feed_subscriptions').where({ client_key: site.clientKey }).select()).map(
          (row: Record<string, unknown>) => ({ ...row, client_key: null }),
        ),
      );
      expect(stored).not.toMatch(/Google-Calendar|google\.com|127\.0\.0\.1/);
      const fetched = await calendarOf(A.bob, feedId);
      expect(fetched.clients).toEqual([expect.objectContaining({ family: 'google', fetchCount: 1 })]);
      expect(fetched.neverFetched).toBe(false);
    });

    it('warns about a URL shown over 48 hours ago that no app fetched, and not about a fresh one', async () => {
      const feedId = await createFeed('Imported, never subscribed');
      const fresh = await calendarOf(A.chloe, feedId);
      expect(fresh.neverFetched).toBe(false);
      await app.db
        .knex('feed_subscriptions')
        .where({ client_key: site.clientKey, feed_id: feedId, account_id: site.userId(A.chloe) })
        .update({ url_shown_at: new Date(Date.now() - 3 * DAY_MS) });
      expect((await calendarOf(A.chloe, feedId)).neverFetched).toBe(true);
      await fetch(fresh.url, { headers: { 'user-agent': 'iOS/17.4 (21E219) dataaccessd/1.0' } });
      const fetched = await waitFor('the Apple fetch to be recorded', async () => {
        const calendar = await calendarOf(A.chloe, feedId);
        return calendar.clients.length > 0 ? calendar : null;
      });
      expect(fetched).toMatchObject({ neverFetched: false, clients: [{ family: 'apple' }] });
    });

    it('does not warn when the page reads a fetch in the app list before the URL row has it', async () => {
      // The page reads the URL's row, then its apps; the recorder writes the row, then the apps. A flush
      // that lands between the two reads is seen in the apps only: this is that state, made on purpose.
      const feedId = await createFeed('Fetched between two reads');
      await calendarOf(A.chloe, feedId);
      const row = await app.db
        .knex('feed_subscriptions')
        .where({ client_key: site.clientKey, feed_id: feedId, account_id: site.userId(A.chloe) })
        .first();
      await app.db
        .knex('feed_subscriptions')
        .where({ id: row.id })
        .update({ url_shown_at: new Date(Date.now() - 3 * DAY_MS), last_fetched_at: null });
      await app.db.knex('feed_subscription_clients').insert({
        subscription_id: row.id,
        client_key: site.clientKey,
        family: 'google',
        first_fetched_at: new Date(),
        last_fetched_at: new Date(),
        fetch_count: 1,
      });
      expect(await calendarOf(A.chloe, feedId)).toMatchObject({
        neverFetched: false,
        clients: [{ family: 'google' }],
      });
    });

    it('counts per feed the URLs each app family fetched in the last 7 days, in the admin grid', async () => {
      const feedId = await createFeed('Counted in the grid');
      const shared = (await site.api(ADMIN).get(`/feeds/${feedId}`)).body.url as string;
      const personal = (await calendarOf(A.bob, feedId)).url;
      await fetch(shared, { headers: { 'user-agent': 'Microsoft Office/16.0 (Windows NT 10.0; Outlook)' } });
      await fetch(personal, { headers: { 'user-agent': 'Microsoft Outlook 16' } });
      await fetch(personal, { headers: { 'user-agent': 'curl/8.0' } });
      const use = await waitFor('both URLs to be counted', async () => {
        const feeds = (await site.api(ADMIN).get('/feeds')).body.feeds as {
          id: string;
          urlUse: Record<string, number>;
        }[];
        const counted = feeds.find((feed) => feed.id === feedId)?.urlUse;
        return counted && counted['outlook'] === 2 && counted['other'] === 1 ? counted : null;
      });
      expect(use).toEqual({ google: 0, outlook: 2, apple: 0, other: 1 });
      await app.db
        .knex('feed_subscription_clients')
        .where({ client_key: site.clientKey })
        .update({ last_fetched_at: new Date(Date.now() - 8 * DAY_MS) });
      const later = (await site.api(ADMIN).get(`/feeds/${feedId}`)).body.urlUse;
      expect(later).toEqual({ google: 0, outlook: 0, apple: 0, other: 0 });
    });

    it("shows another site neither the counts nor the calendars of this one's URLs", async () => {
      const feedId = await createFeed('Site A fetches');
      const url = (await calendarOf(A.bob, feedId)).url;
      await fetch(url, { headers: { 'user-agent': GOOGLE_UA } });
      await waitFor('the fetch to be recorded', async () =>
        (await calendarOf(A.bob, feedId)).clients.length > 0 ? true : null,
      );
      const other = await FakeJira.start();
      try {
        const stranger = await door.install(other);
        const feeds = await stranger.api(ADMIN).get('/feeds');
        expect(feeds.body.feeds).toEqual([]);
        expect((await stranger.api(ADMIN).get(`/feeds/${feedId}/subscriptions`)).status).toBe(404);
        expect((await stranger.api(A.bob).get('/me/calendars')).body.calendars).toEqual([]);
        const strangersRows = await app.db
          .knex('feed_subscription_clients')
          .where({ client_key: stranger.clientKey });
        expect(strangersRows).toEqual([]);
      } finally {
        await other.stop();
      }
    });
  });
});
