import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira, SEED_ACCOUNTS, SEED_ROLE_IDS } from '../support/fake-jira/fake-jira.js';
import { type DoorApp, type InstalledSite, startDoorApp } from '../support/doors.js';
import { ADMIN, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';

const A = SEED_ACCOUNTS;
const HOUR = 3_600_000;

/** The account registry Personal Data Reporting asks Atlassian about, as the app's writes fill it. */
describe('the personal data account registry', () => {
  let jira: FakeJira;
  let door: DoorApp;
  let app: TestApp;
  let site: InstalledSite;
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);

  beforeAll(async () => {
    jira = await FakeJira.start();
    door = await startDoorApp('connect', jira, { now });
    app = door.app;
    site = await door.install(jira);
  });
  afterAll(async () => {
    await door?.stop();
    await jira?.stop();
  });

  const registry = async (clientKey: string) =>
    new Map(
      (await app.services.personalDataAccounts.list(clientKey)).map((account) => [
        account.accountId,
        account,
      ]),
    );

  /** Every account id the site's tables hold, read from the tables themselves. */
  async function accountsHeld(clientKey: string): Promise<string[]> {
    const { rows } = await app.db.knex.raw<{ rows: { id: string }[] }>(
      `SELECT created_by_account_id AS id FROM feeds WHERE client_key = :k
       UNION SELECT updated_by_account_id FROM feeds WHERE client_key = :k
       UNION SELECT run_as_account_id FROM feeds WHERE client_key = :k AND run_as_account_id IS NOT NULL
       UNION SELECT account_id FROM feed_subscriptions WHERE client_key = :k AND account_id IS NOT NULL
       UNION SELECT account_id FROM jira_users WHERE client_key = :k
       UNION SELECT actor FROM jira_role_actors WHERE client_key = :k AND actor_kind = 'user'
       UNION SELECT unnest(user_account_ids) FROM feed_events WHERE client_key = :k`,
      { k: clientKey },
    );
    return rows.map((row) => row.id).sort();
  }

  it('holds every account the site stores, from authorship, URLs, memberships and events, with the oldest fetch', async () => {
    const admin = site.api(ADMIN);
    const started = now();
    const byRole = await admin.post(
      '/feeds',
      sampleFeedConfig({
        name: 'Developers',
        access: { mode: 'roles', roles: [{ id: SEED_ROLE_IDS.developers, name: 'Developers' }] },
      }),
    );
    const byAssignee = await admin.post(
      '/feeds',
      sampleFeedConfig({ name: 'Mine', access: { mode: 'all', divideByUserFields: ['assignee'] } }),
    );
    expect([byRole.status, byAssignee.status]).toEqual([201, 201]);
    for (const feed of [byRole, byAssignee]) await app.services.sync.syncFeed(site.clientKey, feed.body.id);
    expect((await site.api(A.bob).get('/me/calendars')).status).toBe(200);

    const held = await accountsHeld(site.clientKey);
    expect(held).toEqual(expect.arrayContaining([ADMIN, A.bob, A.gao]));
    const recorded = await registry(site.clientKey);
    expect([...recorded.keys()].sort()).toEqual(held);
    for (const account of recorded.values()) {
      expect(account.fetchedAt.getTime()).toBeGreaterThanOrEqual(started.getTime() - 1_000);
      expect(account).toMatchObject({ reportedAt: null, closedAt: null, leaseId: null });
    }

    // Fresher data later keeps the oldest fetch time: that is what Atlassian is asked about.
    const aliceFirst = recorded.get(ADMIN)!.fetchedAt;
    offsetMs += HOUR;
    expect(
      (await admin.put(`/feeds/${byRole.body.id}`, { ...byRole.body.config, name: 'Renamed' })).status,
    ).toBe(200);
    expect((await registry(site.clientKey)).get(ADMIN)!.fetchedAt).toEqual(aliceFirst);

    // After Atlassian said `updated`, the next fresh write starts the account's fetch time afresh.
    await app.services.personalDataAccounts.requestRefresh(site.clientKey, ADMIN, now());
    offsetMs += HOUR;
    const refreshedAt = now();
    expect(
      (await admin.put(`/feeds/${byRole.body.id}`, { ...byRole.body.config, name: 'Again' })).status,
    ).toBe(200);
    const alice = (await registry(site.clientKey)).get(ADMIN)!;
    expect(alice.fetchedAt.getTime()).toBeGreaterThanOrEqual(refreshedAt.getTime() - 1_000);
    expect(alice.refreshRequestedAt).toBeNull();
  });

  it("another site's writes and reads stay on that site", async () => {
    const other = await FakeJira.start();
    const otherSite = await door.install(other);
    try {
      const before = await registry(site.clientKey);
      expect(await app.services.personalDataAccounts.list(otherSite.clientKey)).toEqual([]);
      expect(await app.services.personalDataAccounts.find(otherSite.clientKey, A.bob)).toBeNull();
      const created = await otherSite.api(ADMIN).post('/feeds', sampleFeedConfig({ name: 'Other' }));
      expect(created.status).toBe(201);
      expect([...(await registry(otherSite.clientKey)).keys()]).toEqual([ADMIN]);
      expect(await registry(site.clientKey)).toEqual(before);
    } finally {
      await otherSite.uninstall();
      await other.stop();
    }
  });
});
