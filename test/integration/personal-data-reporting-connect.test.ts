import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CYCLE_SECONDS } from '../../src/services/personal-data-reporting.js';
import type { Database } from '../../src/db/database.js';
import { ATLASSIAN_TEST_ACCOUNTS } from '../support/fake-atlassian-privacy.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import {
  type DoorApp,
  installConnect,
  type InstalledSite,
  publishTeamFeed,
  startDoorApp,
} from '../support/doors.js';
import { ADMIN, apiAs, fetchFeed } from '../support/site.js';
import { startTestApp } from '../support/test-app.js';
import { openTestDatabase } from '../support/test-database.js';
import { holdAccounts } from '../support/factories.js';
import { waitFor } from '../support/wait.js';

const A = SEED_ACCOUNTS;
const CYCLE_MS = DEFAULT_CYCLE_SECONDS * 1000;
const HOUR = 3_600_000;

/** Personal Data Reporting through the Connect door: the scheduler's job posts to the site, signed. */
describe('Personal Data Reporting over Connect', () => {
  describe('acting on the answers', () => {
    let jira: FakeJira;
    let other: FakeJira;
    let door: DoorApp;
    let site: InstalledSite;
    let otherSite: InstalledSite;
    let offsetMs = 0;
    const now = () => new Date(Date.now() + offsetMs);

    beforeAll(async () => {
      jira = await FakeJira.start();
      other = await FakeJira.start();
      door = await startDoorApp('connect', jira, { now, worker: true });
      site = await door.install(jira);
      otherSite = await door.install(other);
    });
    afterAll(async () => {
      await door?.stop();
      await jira?.stop();
      await other?.stop();
    });

    async function publish(target: InstalledSite) {
      const feed = await publishTeamFeed(target, A.bob);
      expect(feed.personal.length).toBeGreaterThan(0);
      return feed;
    }

    /** Lets the scheduler's tick run now and waits for the site's next report to be settled. */
    async function reportViaTick(target: FakeJira, calls: number) {
      await door.app.queue.requestTick();
      await waitFor(`report ${calls} of the site`, () =>
        Promise.resolve(target.privacy.calls.length >= calls),
      );
      await waitFor('the answer settled', async () => {
        const leased = await door.app.db
          .knex('personal_data_accounts')
          .whereNotNull('lease_id')
          .count({ n: '*' });
        return Number(leased[0]!['n']) === 0;
      });
    }

    it('erases a closed account, refreshes an updated one, leaves another site alone, and never asks about the closed one again', async () => {
      const mine = await publish(site);
      const theirs = await publish(otherSite);
      const before = (await fetchFeed(mine.shared)).text;
      expect(before).toContain('Bob Brown');
      const named = await door.app.db
        .knex('feed_events')
        .where({ client_key: site.clientKey })
        .select(door.app.db.knex.raw('unnest(user_account_ids) AS id'));
      const renamed = [...new Set(named.map((row: { id: string }) => row.id))].find((id) => id !== A.bob)!;
      const renamedUser = jira.data.users.find((user) => user.accountId === renamed)!;
      const oldName = renamedUser.displayName;
      expect(before).toContain(oldName);
      await holdAccounts(
        door.app.services,
        site.clientKey,
        [ATLASSIAN_TEST_ACCOUNTS.active, ATLASSIAN_TEST_ACCOUNTS.closed],
        now(),
      );

      // Atlassian: Bob closed his account; the other person changed their name.
      jira.privacy.close(A.bob);
      renamedUser.displayName = 'Renamed Person';
      jira.privacy.update(renamed);
      offsetMs += 2 * HOUR; // past the idle look-again of the worker's first tick
      const answeredAt = now();
      await reportViaTick(jira, 1);

      const [call] = jira.privacy.calls;
      expect(call!.via).toBe('connect');
      expect(call!.accounts.map((a) => a.accountId)).toEqual(
        expect.arrayContaining([
          A.bob,
          renamed,
          ADMIN,
          ATLASSIAN_TEST_ACCOUNTS.active,
          ATLASSIAN_TEST_ACCOUNTS.closed,
        ]),
      );
      expect(call!.accounts.length).toBeLessThanOrEqual(90);
      expect(call!.answered).toEqual(
        expect.arrayContaining([
          { accountId: A.bob, status: 'closed' },
          { accountId: ATLASSIAN_TEST_ACCOUNTS.closed, status: 'closed' },
          { accountId: renamed, status: 'updated' },
        ]),
      );

      for (const url of mine.personal) expect((await fetchFeed(url)).status).toBe(404);
      const served = await waitFor('the re-synced feed', async () => {
        const text = (await fetchFeed(mine.shared)).text;
        return text.includes('Renamed Person') && !text.includes('Bob Brown') ? text : null;
      });
      expect(served).not.toContain(oldName);
      const held = await door.app.services.privacy.footprint(site.clientKey, A.bob);
      expect(held).toMatchObject({
        subscriptions: [],
        cachedAccount: null,
        projectRoles: [],
        eventsNaming: [],
      });
      expect(held.feedsTouched).toEqual([]);
      const registry = door.app.services.personalDataAccounts;
      expect((await registry.find(site.clientKey, A.bob))?.closedAt).not.toBeNull();
      const refreshed = await waitFor('the renamed account fetched afresh', async () => {
        const account = await registry.find(site.clientKey, renamed);
        return account?.refreshRequestedAt === null && account.fetchedAt >= answeredAt ? account : null;
      });
      expect(refreshed.closedAt).toBeNull();

      // Neither the site's shared secret nor the JWT made from it is logged.
      expect(door.app.logs()).not.toContain(jira.sharedSecretFor()!);
      expect(door.app.logs()).not.toMatch(/JWT ey/);

      // The other site holds Bob too, and nothing of it moved.
      for (const url of theirs.personal) expect((await fetchFeed(url)).status).toBe(200);
      expect((await fetchFeed(theirs.shared)).text).toContain('Bob Brown');
      expect(await door.app.services.privacy.footprint(otherSite.clientKey, A.bob)).toMatchObject({
        cachedAccount: { active: true },
      });
      expect((await registry.find(otherSite.clientKey, A.bob))?.closedAt).toBeNull();

      const status = (await site.api(ADMIN).get('/settings')).body.personalDataReporting;
      expect(status).toMatchObject({
        accountsErased: 2,
        accountsRefreshed: 1,
        failing: null,
        throttledUntil: null,
      });
      expect(Date.parse(status.lastReportedAt)).toBeGreaterThanOrEqual(answeredAt.getTime());
      expect((await otherSite.api(ADMIN).get('/settings')).body.personalDataReporting).toMatchObject({
        accountsErased: 0,
        accountsRefreshed: 0,
      });
      const metrics = await door.app.services.metrics.registry.metrics();
      expect(metrics).toMatch(/calsync_personal_data_reports_total\{answer="200"\} [1-9]/);
      expect(metrics).toMatch(/calsync_personal_data_accounts_total\{action="erased"\} [2-9]/);
      expect(metrics).toMatch(/calsync_personal_data_accounts_total\{action="refreshed"\} [1-9]/);

      // A cycle later every open account is asked about again; the closed ones never are.
      offsetMs += CYCLE_MS;
      await reportViaTick(jira, 2);
      const next = jira.privacy.calls[1]!.accounts.map((a) => a.accountId);
      expect(next).toEqual(expect.arrayContaining([renamed, ADMIN]));
      expect(next).not.toContain(A.bob);
      expect(next).not.toContain(ATLASSIAN_TEST_ACCOUNTS.closed);
      expect(jira.privacy.calls[1]!.accounts.find((a) => a.accountId === renamed)!.updatedAt).toBe(
        refreshed.fetchedAt.toISOString(),
      );
    });
  });

  describe('pacing, throttling and restarts', () => {
    let db: Database;
    let jira: FakeJira;
    let clock = new Date('2031-03-01T00:00:00Z');
    const now = () => clock;
    const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
    const accounts = Array.from({ length: 200 }, (_, i) => `557058:acc-${String(i).padStart(3, '0')}`);

    beforeAll(async () => {
      db = await openTestDatabase();
      jira = await FakeJira.start();
    });
    afterAll(async () => {
      await jira?.stop();
      await db?.close();
    });

    it('splits 200 accounts into batches of at most 90 over the cycle, honours Retry-After to the second, and resumes after a restart without asking twice', async () => {
      let app = await startTestApp({ db, connectKeysUrl: jira.keysUrl, now });
      const site = await installConnect(app, jira);
      await holdAccounts(app.services, site.clientKey, accounts, new Date(clock.getTime() - HOUR));
      const report = () => app.connectPersonalData.reportNext(site.clientKey);

      jira.privacy.failNext({ status: 429, retryAfterSeconds: 30 });
      expect(await report()).toBe(true);
      expect(jira.privacy.calls.map((call) => call.status)).toEqual([429]);
      const waiting = (await apiAs(app, jira, ADMIN).get('/settings')).body.personalDataReporting;
      expect(waiting).toMatchObject({
        throttledUntil: new Date(clock.getTime() + 30_000).toISOString(),
        lastReportedAt: null,
        accountsHeld: 200,
      });
      advance(29_999);
      expect(await report()).toBe(false);
      advance(1);
      expect(await report()).toBe(true);
      expect(jira.privacy.calls.map((call) => call.status)).toEqual([429, 204]);
      expect(jira.privacy.calls[1]!.accounts).toEqual(jira.privacy.calls[0]!.accounts);

      // A process takes the second batch and dies before sending it.
      advance(Math.floor(CYCLE_MS / 3));
      const lost = await app.services.personalDataReporting.nextBatch(site.clientKey);
      expect(lost?.accounts).toHaveLength(90);
      await app.stop();

      app = await startTestApp({ db, connectKeysUrl: jira.keysUrl, now, worker: true });
      advance(10 * 60_000);
      await app.queue.requestTick();
      await waitFor('the lost batch sent by the new process', () =>
        Promise.resolve(jira.privacy.calls.length === 3),
      );
      expect(jira.privacy.calls[2]!.accounts.map((a) => a.accountId)).toEqual(
        lost!.accounts.map((a) => a.accountId),
      );
      await waitFor(
        'its answer settled',
        async () =>
          (await app.services.personalDataAccounts.find(site.clientKey, lost!.accounts[0]!.accountId))
            ?.reportedAt,
      );
      advance(Math.floor(CYCLE_MS / 3));
      await app.queue.requestTick();
      await waitFor('the last batch', () => Promise.resolve(jira.privacy.calls.length === 4));
      const settled = await waitFor('the last answer settled', async () => {
        const status = (await apiAs(app, jira, ADMIN).get('/settings')).body.personalDataReporting;
        return status.accountsReported === 200 ? status : null;
      });
      expect(settled).toMatchObject({
        lastReportedAt: clock.toISOString(),
        failing: null,
        throttledUntil: null,
      });
      await app.stop();

      // A cycle later Atlassian fails: the admin page says so, and the batch waits for a back-off.
      app = await startTestApp({ db, connectKeysUrl: jira.keysUrl, now });
      advance(CYCLE_MS);
      jira.privacy.failNext({ status: 503 });
      expect(await report()).toBe(true);
      expect(await report()).toBe(false);
      expect(
        (await apiAs(app, jira, ADMIN).get('/settings')).body.personalDataReporting.failing,
      ).toMatchObject({
        failures: 1,
        status: 503,
        message: expect.stringContaining('Try again later'),
      });
      await app.stop();

      const sent = jira.privacy.calls.slice(1, 4).map((call) => call.accounts.map((a) => a.accountId));
      expect(sent.map((batch) => batch.length)).toEqual([90, 90, 20]);
      expect(sent.flat().sort()).toEqual(accounts);
      const times = jira.privacy.calls.slice(1, 4).map((call) => call.receivedAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('honours a Retry-After given as an HTTP date to the second', async () => {
      const site2 = await FakeJira.start();
      const app = await startTestApp({ db, connectKeysUrl: site2.keysUrl, now });
      try {
        const site = await installConnect(app, site2);
        await holdAccounts(app.services, site.clientKey, [ADMIN], new Date(clock.getTime() - HOUR));
        const report = () => app.connectPersonalData.reportNext(site.clientKey);
        // HTTP dates carry whole seconds: start on one so the wait is exactly 45 s.
        advance(1000 - (clock.getTime() % 1000));
        site2.privacy.failNext({ status: 429, retryAfterDate: new Date(clock.getTime() + 45_000) });
        expect(await report()).toBe(true);
        advance(44_999);
        expect(await report()).toBe(false);
        advance(1);
        expect(await report()).toBe(true);
        expect(site2.privacy.calls.map((call) => call.status)).toEqual([429, 204]);
      } finally {
        await app.stop();
        await site2.stop();
      }
    });
  });
});
