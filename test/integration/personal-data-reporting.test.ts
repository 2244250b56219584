import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CYCLE_SECONDS } from '../../src/services/personal-data-reporting.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { type DoorApp, type InstalledSite, startDoorApp } from '../support/doors.js';
import { holdAccounts } from '../support/factories.js';
import type { TestApp } from '../support/test-app.js';

const CYCLE_MS = DEFAULT_CYCLE_SECONDS * 1000;
const MINUTE = 60_000;

/**
 * The reporting cycle both cloud doors drive (`nextBatch`, then `settle` with Atlassian's answer),
 * against a real database with an injected clock. The doors' own tests send the batches over HTTP.
 */
describe('the Personal Data Reporting cycle', () => {
  let jira: FakeJira;
  let door: DoorApp;
  let app: TestApp;
  let site: InstalledSite;
  let other: FakeJira;
  let otherSite: InstalledSite;
  let clock = new Date('2030-01-01T00:00:00Z');
  const now = () => clock;
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

  beforeAll(async () => {
    jira = await FakeJira.start();
    other = await FakeJira.start();
    door = await startDoorApp('connect', jira, { now });
    app = door.app;
    site = await door.install(jira);
    otherSite = await door.install(other);
  });
  afterAll(async () => {
    await door?.stop();
    await jira?.stop();
    await other?.stop();
  });

  const reporting = () => app.services.personalDataReporting;
  const ids = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

  it('spreads 200 accounts over the cycle in batches of at most 90, each once, surviving a lost batch', async () => {
    const fetchedAt = new Date(clock.getTime() - 3_600_000);
    await holdAccounts(app.services, site.clientKey, ids(200, 'acc'), fetchedAt);
    await holdAccounts(app.services, otherSite.clientKey, ['other-1'], fetchedAt);

    const first = await reporting().nextBatch(site.clientKey);
    expect(first?.accounts).toHaveLength(90);
    expect(first!.accounts[0]).toEqual({ accountId: 'acc-000', updatedAt: fetchedAt.toISOString() });
    // One batch out at a time.
    expect(await reporting().nextBatch(site.clientKey)).toBeNull();
    // Another site's answer cannot settle this site's batch.
    await reporting().settle(otherSite.clientKey, first!.id, { kind: 'answered', accounts: [] });
    expect((await app.services.personalDataAccounts.find(site.clientKey, 'acc-000'))?.reportedAt).toBeNull();
    await reporting().settle(site.clientKey, first!.id, { kind: 'answered', accounts: [] });

    // Three batches a cycle: the next one a third of the cycle later, not before.
    const pace = Math.floor(CYCLE_MS / 3);
    advance(pace - 1);
    expect(await reporting().nextBatch(site.clientKey)).toBeNull();
    advance(1);
    const second = await reporting().nextBatch(site.clientKey);
    expect(second?.accounts).toHaveLength(90);
    // The process sending it dies: after the lease its accounts are offered again, the answered ones never.
    advance(10 * MINUTE);
    const retried = await reporting().nextBatch(site.clientKey);
    expect(retried?.accounts.map((a) => a.accountId)).toEqual(second!.accounts.map((a) => a.accountId));
    // The lost batch's late answer changes nothing.
    await reporting().settle(site.clientKey, second!.id, { kind: 'answered', accounts: [] });
    await reporting().settle(site.clientKey, retried!.id, { kind: 'answered', accounts: [] });
    advance(pace);
    const third = await reporting().nextBatch(site.clientKey);
    expect(third?.accounts).toHaveLength(20);
    await reporting().settle(site.clientKey, third!.id, { kind: 'answered', accounts: [] });
    const sent = [first!, retried!, third!].flatMap((batch) => batch.accounts.map((a) => a.accountId));
    expect(new Set(sent).size).toBe(200);
    expect(sent).toHaveLength(200);

    // Nothing more this cycle; the first batch's accounts come round a cycle after they were answered.
    advance(pace);
    expect(clock.getTime() - Date.parse('2030-01-01T00:00:00Z')).toBeLessThan(CYCLE_MS + 11 * MINUTE);
    const status = await reporting().status(site.clientKey);
    expect(status).toMatchObject({
      accountsHeld: 200,
      accountsReported: 200,
      throttledUntil: null,
      failing: null,
    });
    expect(await app.services.personalDataAccounts.find(otherSite.clientKey, 'other-1')).toMatchObject({
      reportedAt: null,
      leaseId: null,
    });
  });

  it('honours Retry-After to the second and backs off after failures, losing no account', async () => {
    const key = otherSite.clientKey;
    const batch = await reporting().nextBatch(key);
    expect(batch?.accounts.map((a) => a.accountId)).toEqual(['other-1']);
    await reporting().settle(key, batch!.id, { kind: 'throttled', retryAfterSeconds: 30 });
    expect((await reporting().status(key)).throttledUntil).toEqual(new Date(clock.getTime() + 30_000));
    advance(29_999);
    expect(await reporting().nextBatch(key)).toBeNull();
    advance(1);
    const again = await reporting().nextBatch(key);
    expect(again?.accounts.map((a) => a.accountId)).toEqual(['other-1']);

    await reporting().settle(key, again!.id, { kind: 'failed', status: 503, message: 'down' });
    expect((await reporting().status(key)).failing).toMatchObject({ failures: 1, status: 503 });
    advance(MINUTE - 1);
    expect(await reporting().nextBatch(key)).toBeNull();
    advance(1);
    const third = await reporting().nextBatch(key);
    await reporting().settle(key, third!.id, { kind: 'failed', status: 0 });
    advance(MINUTE);
    expect(await reporting().nextBatch(key)).toBeNull();
    advance(MINUTE);
    const fourth = await reporting().nextBatch(key);
    expect(fourth?.accounts.map((a) => a.accountId)).toEqual(['other-1']);
    await reporting().settle(key, fourth!.id, {
      kind: 'answered',
      accounts: [],
      cyclePeriodSeconds: 2 * 86_400,
    });
    expect(await reporting().status(key)).toMatchObject({ failing: null, accountsReported: 1 });
    // The cycle Atlassian asked for: the account comes round two days later, not seven. An account whose
    // data an administrator erased meanwhile is no longer held, so no longer asked about.
    await holdAccounts(app.services, key, ['other-2'], clock);
    await app.services.privacy.eraseAccount(key, 'other-2');
    advance(2 * 86_400_000);
    expect((await reporting().nextBatch(key))?.accounts.map((a) => a.accountId)).toEqual(['other-1']);
    expect(await app.services.personalDataAccounts.find(key, 'other-2')).toBeNull();
  });
});
