import { describe, expect, it } from 'vitest';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { useDoorSuite } from '../support/door-suite.js';
import { DOORS } from '../support/doors.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';

const A = SEED_ACCOUNTS;
describe.each(DOORS)('through the %s door', (doorName) => {
  const suite = useDoorSuite(doorName);

  async function tenantTables(): Promise<string[]> {
    const rows = await suite.app.db
      .knex<{ column_name: string; table_schema: string; table_name: string }>('information_schema.columns')
      .where({ column_name: 'client_key', table_schema: suite.app.db.knex.raw('current_schema()') })
      .select('table_name');
    // lifecycle_tokens holds only hashes of used install tokens; it must outlive an uninstall (docs/security.md).
    return rows
      .map((row) => row.table_name)
      .filter((table) => table !== 'installations' && table !== 'lifecycle_tokens')
      .sort();
  }

  async function setUpData() {
    const admin = suite.site.api(ADMIN);
    const created = await admin.post(
      '/feeds',
      sampleFeedConfig({ name: 'Lifecycle', access: { mode: 'all', divideByUserFields: ['assignee'] } }),
    );
    expect(created.status).toBe(201);
    await suite.app.services.sync.syncFeed(suite.site.clientKey, created.body.id);
    const calendars = (
      (await suite.site.api(A.bob).get('/me/calendars')).body.calendars as {
        feedId: string;
        url: string;
        calendar: string;
      }[]
    ).filter((calendar) => calendar.feedId === created.body.id);
    expect(calendars.length).toBe(2);
    await fetch(calendars[0]!.url, { headers: { 'user-agent': 'Apple Calendar' } });
    await admin.put('/settings', { errorReportingEnabled: false, exportsEnabled: true });
    await suite.app.services.connectStoreRepository.setValue(suite.site.clientKey, 'note', { any: 'value' });
    return { feedId: created.body.id as string, calendars };
  }

  describe('personal data', () => {
    it('reports what is stored about an account and erases it', async () => {
      const { feedId, calendars } = await setUpData();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const admin = suite.site.api(ADMIN);
      const report = await admin.get(`/privacy/accounts/${encodeURIComponent(A.bob)}`);
      expect(report.status).toBe(200);
      expect(report.body.subscriptions.map((s: { calendar: string }) => s.calendar).sort()).toEqual([
        'all',
        'mine',
      ]);
      expect(
        report.body.subscriptions.some(
          (s: { lastUserAgent: string | null }) => s.lastUserAgent === 'Apple Calendar',
        ),
      ).toBe(true);
      expect(report.body.cachedAccount).toMatchObject({
        active: true,
        groups: expect.arrayContaining(['engineering']),
      });
      expect(report.body.eventsNamingAccount).toEqual([
        { feedId, feedName: 'Lifecycle', count: expect.any(Number) },
      ]);
      expect(report.body.eventsNamingAccount[0].count).toBeGreaterThan(0);

      const own = await suite.site.api(A.bob).get('/me/personal-data');
      expect(own.body).toEqual(report.body);
      expect(
        (await suite.site.api(A.bob).get(`/privacy/accounts/${encodeURIComponent(A.alice)}`)).status,
      ).toBe(403);
      expect((await admin.get('/privacy/accounts/%3Cscript%3E')).status).toBe(400);

      const erased = await admin.delete(`/privacy/accounts/${encodeURIComponent(A.bob)}`);
      expect(erased.body).toEqual({ subscriptionsDeleted: 2, feedsResynced: 1 });
      for (const calendar of calendars) expect((await fetchFeed(calendar.url)).status).toBe(404);
      const after = (await admin.get(`/privacy/accounts/${encodeURIComponent(A.bob)}`)).body;
      expect(after).toMatchObject({
        subscriptions: [],
        cachedAccount: null,
        projectRoles: [],
        eventsNamingAccount: [],
      });
      const alice = (await admin.get(`/privacy/accounts/${encodeURIComponent(ADMIN)}`)).body;
      expect(alice.feedsCreatedOrEdited.length).toBeGreaterThan(0);
    });

    it("another site learns nothing about this site's accounts", async () => {
      const other = await FakeJira.start();
      const otherSite = await suite.door.install(other);
      try {
        const report = await otherSite.api(ADMIN).get(`/privacy/accounts/${encodeURIComponent(ADMIN)}`);
        expect(report.body).toMatchObject({
          subscriptions: [],
          cachedAccount: null,
          feedsCreatedOrEdited: [],
          eventsNamingAccount: [],
        });
        const erase = await otherSite.api(ADMIN).delete(`/privacy/accounts/${encodeURIComponent(ADMIN)}`);
        expect(erase.body).toEqual({ subscriptionsDeleted: 0, feedsResynced: 0 });
        expect(
          (await suite.site.api(ADMIN).get(`/privacy/accounts/${encodeURIComponent(ADMIN)}`)).body
            .feedsCreatedOrEdited.length,
        ).toBeGreaterThan(0);
      } finally {
        await otherSite.uninstall();
        await other.stop();
      }
    });
  });

  describe('uninstall', () => {
    it('deletes every row the site had, in every tenant table, and keeps only a tombstone', async () => {
      await setUpData();
      const tables = await tenantTables();
      expect(tables).toEqual(
        expect.arrayContaining([
          'feeds',
          'feed_events',
          'feed_renders',
          'feed_subscriptions',
          'feed_syncs',
          'site_settings',
          'connect_store',
          'jira_users',
          'subscription_access',
          'forge_system_tokens',
        ]),
      );
      const counts = async () =>
        Object.fromEntries(
          await Promise.all(
            tables.map(async (table) => {
              const [row] = await suite.app.db
                .knex(table)
                .where({ client_key: suite.site.clientKey })
                .count({ n: '*' });
              return [table, Number(row!['n'])] as const;
            }),
          ),
        );
      const before = await counts();
      expect(before['feeds']).toBeGreaterThan(0);
      expect(before['feed_events']).toBeGreaterThan(0);
      expect(before['jira_users']).toBeGreaterThan(0);
      if (doorName === 'forge') expect(before['forge_system_tokens']).toBe(1);

      await suite.site.uninstall();
      const after = await counts();
      expect(
        Object.values(after).every((count) => count === 0),
        JSON.stringify(after),
      ).toBe(true);
      const tombstone = await suite.app.db
        .knex('installations')
        .where({ client_key: suite.site.clientKey })
        .first();
      expect(tombstone).toMatchObject({
        state: 'uninstalled',
        door: doorName,
        shared_secret: null,
        oauth_client_id: null,
        cloud_id: null,
        api_base_url: null,
      });
    });
  });
});
