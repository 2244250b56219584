import { AppError } from '../../src/errors.js';
import { describe, expect, it } from 'vitest';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { type DoorApp, forEachDoor, type InstalledSite, withInstalledSite } from '../support/doors.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';

const A = SEED_ACCOUNTS;
forEachDoor((doorName) => {
  let door: DoorApp;
  let app: TestApp;
  let site: InstalledSite;

  withInstalledSite(doorName, {}, (world) => ({ door, app, site } = world));

  async function tenantTables(): Promise<string[]> {
    const rows = await app.db
      .knex<{ column_name: string; table_schema: string; table_name: string }>('information_schema.columns')
      .where({ column_name: 'client_key', table_schema: app.db.knex.raw('current_schema()') })
      .select('table_name');
    // lifecycle_tokens holds only hashes of used install tokens; it must outlive an uninstall (docs/security.md).
    return rows
      .map((row) => row.table_name)
      .filter((table) => table !== 'installations' && table !== 'lifecycle_tokens')
      .sort();
  }

  async function setUpData() {
    const admin = site.api(ADMIN);
    const created = await admin.post(
      '/feeds',
      sampleFeedConfig({ name: 'Lifecycle', access: { mode: 'all', divideByUserFields: ['assignee'] } }),
    );
    expect(created.status).toBe(201);
    await app.services.sync.syncFeed(site.clientKey, created.body.id);
    const calendars = (
      (await site.api(A.bob).get('/me/calendars')).body.calendars as {
        feedId: string;
        url: string;
        calendar: string;
      }[]
    ).filter((calendar) => calendar.feedId === created.body.id);
    expect(calendars.length).toBe(2);
    await fetch(calendars[0]!.url, { headers: { 'user-agent': 'Apple Calendar' } });
    await admin.put('/settings', { errorReportingEnabled: false, exportsEnabled: true });
    await app.services.connectStoreRepository.setValue(site.clientKey, 'note', { any: 'value' });
    return { feedId: created.body.id as string, calendars };
  }

  describe('personal data', () => {
    it('reports what is stored about an account and erases it', async () => {
      const { feedId, calendars } = await setUpData();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const admin = site.api(ADMIN);
      const report = await admin.get(`/privacy/accounts/${encodeURIComponent(site.userId(A.bob))}`);
      expect(report.status).toBe(200);
      expect(report.body.subscriptions.map((s: { calendar: string }) => s.calendar).sort()).toEqual([
        'all',
        'mine',
      ]);
      expect(report.body.subscriptions.some((s: { fetchCount: number }) => s.fetchCount > 0)).toBe(true);
      expect(JSON.stringify(report.body)).not.toContain('Apple Calendar');
      expect(report.body.cachedAccount).toMatchObject({
        active: true,
        groups: expect.arrayContaining(['engineering']),
      });
      expect(report.body.eventsNamingAccount).toEqual([
        { feedId, feedName: 'Lifecycle', count: expect.any(Number) },
      ]);
      expect(report.body.eventsNamingAccount[0].count).toBeGreaterThan(0);

      if (site.dc) {
        // Bob signed in through Jira: his sealed token and his session are in the report, never the token.
        expect(report.body.dataCenterSignIn).toMatchObject({ scope: 'READ', refusedAt: null });
        expect(report.body.dataCenterSessions).toHaveLength(1);
        for (const refreshToken of site.dc.currentRefreshTokens(A.bob))
          expect(JSON.stringify(report.body)).not.toContain(refreshToken);
      } else {
        expect(report.body).toMatchObject({ dataCenterSignIn: null, dataCenterSessions: [] });
      }
      const own = await site.api(A.bob).get('/me/personal-data');
      expect(own.body).toEqual(report.body);
      expect(
        (await site.api(A.bob).get(`/privacy/accounts/${encodeURIComponent(site.userId(A.alice))}`)).status,
      ).toBe(403);
      expect((await admin.get('/privacy/accounts/%3Cscript%3E')).status).toBe(400);

      const erased = await admin.delete(`/privacy/accounts/${encodeURIComponent(site.userId(A.bob))}`);
      expect(erased.body).toEqual({ subscriptionsDeleted: 2, feedsResynced: 1 });
      for (const calendar of calendars) expect((await fetchFeed(calendar.url)).status).toBe(404);
      const after = (await admin.get(`/privacy/accounts/${encodeURIComponent(site.userId(A.bob))}`)).body;
      expect(after).toMatchObject({
        subscriptions: [],
        cachedAccount: null,
        projectRoles: [],
        eventsNamingAccount: [],
        dataCenterSignIn: null,
        dataCenterSessions: [],
      });
      // Erased on Data Center means signed out too: Bob's session no longer opens the API.
      if (site.dc) {
        expect((await site.api(A.bob).get('/session')).status).toBe(401);
        // Nor does an access token this process still held for him: none is left to read Jira with.
        await expect(
          app.doors.datacenter!.tokens.accessToken(
            site.clientKey,
            site.userId(A.bob),
            () => new AppError(401, 'refused', 'refused'),
          ),
        ).rejects.toThrow('refused');
      }
      const alice = (await admin.get(`/privacy/accounts/${encodeURIComponent(site.userId(ADMIN))}`)).body;
      expect(alice.feedsCreatedOrEdited.length).toBeGreaterThan(0);
    });

    it("another site learns nothing about this site's accounts", async () => {
      const other = await FakeJira.start();
      const otherSite = await door.install(other);
      try {
        const report = await otherSite
          .api(ADMIN)
          .get(`/privacy/accounts/${encodeURIComponent(otherSite.userId(ADMIN))}`);
        expect(report.body).toMatchObject({
          subscriptions: [],
          cachedAccount: null,
          feedsCreatedOrEdited: [],
          eventsNamingAccount: [],
        });
        const erase = await otherSite
          .api(ADMIN)
          .delete(`/privacy/accounts/${encodeURIComponent(otherSite.userId(ADMIN))}`);
        expect(erase.body).toEqual({ subscriptionsDeleted: 0, feedsResynced: 0 });
        expect(
          (await site.api(ADMIN).get(`/privacy/accounts/${encodeURIComponent(site.userId(ADMIN))}`)).body
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
              const [row] = await app.db.knex(table).where({ client_key: site.clientKey }).count({ n: '*' });
              return [table, Number(row!['n'])] as const;
            }),
          ),
        );
      const before = await counts();
      expect(before['feeds']).toBeGreaterThan(0);
      expect(before['feed_events']).toBeGreaterThan(0);
      expect(before['jira_users']).toBeGreaterThan(0);
      if (doorName === 'forge') expect(before['forge_system_tokens']).toBe(1);

      await site.uninstall();
      const after = await counts();
      expect(
        Object.values(after).every((count) => count === 0),
        JSON.stringify(after),
      ).toBe(true);
      const tombstone = await app.db.knex('installations').where({ client_key: site.clientKey }).first();
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
