import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { AccessRepository } from '../../src/db/access-repository.js';
import { ConnectStoreRepository } from '../../src/db/connect-store-repository.js';
import { DataCenterSessionRepository } from '../../src/db/datacenter-session-repository.js';
import { DataCenterSignInStateRepository } from '../../src/db/datacenter-sign-in-state-repository.js';
import { DataCenterTokenRepository } from '../../src/db/datacenter-token-repository.js';
import { FeedEventRepository } from '../../src/db/feed-event-repository.js';
import { FeedEventRevisionRepository } from '../../src/db/feed-event-revision-repository.js';
import { FeedRenderRepository } from '../../src/db/feed-render-repository.js';
import { FeedRepository } from '../../src/db/feed-repository.js';
import { FeedSyncDayRepository } from '../../src/db/feed-sync-day-repository.js';
import { FeedSyncItemRepository } from '../../src/db/feed-sync-item-repository.js';
import { FeedSyncRepository } from '../../src/db/feed-sync-repository.js';
import { ForgeTokenRepository } from '../../src/db/forge-token-repository.js';
import { PersonalDataAccountRepository } from '../../src/db/personal-data-account-repository.js';
import { PersonalDataReportRepository } from '../../src/db/personal-data-report-repository.js';
import { PrivacyRepository } from '../../src/db/privacy-repository.js';
import { InstallationRepository } from '../../src/db/installation-repository.js';
import { SiteSettingsRepository } from '../../src/db/site-settings-repository.js';
import { SubscriptionClientRepository } from '../../src/db/subscription-client-repository.js';
import { SubscriptionRepository } from '../../src/db/subscription-repository.js';
import { UserSweepRepository } from '../../src/db/user-sweep-repository.js';
import { feedConfig, feedEvent } from '../support/factories.js';
import { openTestDatabase } from '../support/test-database.js';

let db: Database;
const SITE_A = `site-a-${randomUUID()}`;
/** Site A came through Connect, site B through Forge: tenancy must hold across the doors too. */
const SITE_B = `ari:cloud:ecosystem::installation/${randomUUID()}`;
const now = new Date('2026-06-01T00:00:00Z');

const config = feedConfig({ name: 'A feed' });

const event = feedEvent({
  uid: '1-due@app',
  issueId: '1',
  issueKey: 'A-1',
  projectIds: ['10000'],
  start: '2026-06-01',
  end: '2026-06-02',
  summary: 'A-1',
  transparent: true,
  stamp: '2026-05-01T00:00:00.000Z',
  sequence: 1,
  userAccountIds: ['acc-1'],
});

const revision = { uid: event.uid, contentHash: 'c', sequence: 3, changedAt: '2026-05-01T00:00:00.000Z' };

let repos: ReturnType<typeof makeRepos>;
const makeRepos = (d: Database) => ({
  installations: new InstallationRepository(d.knex),
  store: new ConnectStoreRepository(d.knex),
  feeds: new FeedRepository(d.knex),
  syncs: new FeedSyncRepository(d.knex),
  syncDays: new FeedSyncDayRepository(d.knex),
  events: new FeedEventRepository(d.knex),
  revisions: new FeedEventRevisionRepository(d.knex),
  renders: new FeedRenderRepository(d.knex),
  subscriptions: new SubscriptionRepository(d.knex),
  subscriptionClients: new SubscriptionClientRepository(d.knex),
  settings: new SiteSettingsRepository(d.knex),
  access: new AccessRepository(d.knex),
  forgeTokens: new ForgeTokenRepository(d.knex),
  privacy: new PrivacyRepository(d.knex),
  personalData: new PersonalDataAccountRepository(d.knex),
  personalDataReports: new PersonalDataReportRepository(d.knex),
  items: new FeedSyncItemRepository(d.knex),
  dcTokens: new DataCenterTokenRepository(d.knex),
  dcSessions: new DataCenterSessionRepository(d.knex),
  signInStates: new DataCenterSignInStateRepository(d.knex),
  sweeps: new UserSweepRepository(d.knex),
});

let feedId: string;
let subscriptionId: string;

/** A full snapshot of site A's rows, to prove calls made as site B changed none of them. */
async function snapshotA() {
  const tables = [
    'installations',
    'forge_system_tokens',
    'connect_store',
    'feeds',
    'feed_syncs',
    'feed_events',
    'feed_event_revisions',
    'feed_sync_items',
    'feed_sync_days',
    'feed_renders',
    'feed_subscriptions',
    'feed_subscription_clients',
    'site_settings',
    'jira_users',
    'jira_role_actors',
    'access_refreshes',
    'subscription_access',
    'personal_data_accounts',
    'personal_data_reports',
  ];
  return Object.fromEntries(
    await Promise.all(
      tables.map(async (table) => [table, await db.knex(table).where({ client_key: SITE_A }).select()]),
    ),
  );
}

beforeAll(async () => {
  db = await openTestDatabase();
  repos = makeRepos(db);
  await repos.installations.saveConnectInstall(
    SITE_A,
    { clientKey: SITE_A, sharedSecret: 's'.repeat(40), baseUrl: `https://${SITE_A}.atlassian.net` },
    now,
  );
  const cloudId = randomUUID();
  await repos.installations.saveForgeInstall(
    SITE_B,
    {
      installationId: SITE_B,
      cloudId,
      apiBaseUrl: `https://api.atlassian.com/ex/jira/${cloudId}`,
      siteUrl: 'https://b.atlassian.net',
      appVersion: '1.0.0',
    },
    now,
    () => Promise.reject(new Error('the site URL is known')),
    { revive: true },
  );
  await repos.forgeTokens.saveIfNewer(SITE_B, 'token-b', new Date(now.getTime() + 3_600_000), now);
  await db.knex.transaction(async (trx) => {
    const feed = await repos.feeds.insert(SITE_A, { name: 'A feed', config, accountId: 'acc-1', now }, trx);
    feedId = feed.id;
    await repos.syncs.create(SITE_A, feedId, now, trx);
    await repos.events.replaceAll(SITE_A, feedId, [event], now, trx);
    await repos.revisions.save(SITE_A, feedId, [revision], trx);
    await repos.items.replaceAll(
      SITE_A,
      feedId,
      [
        {
          kind: 'issue',
          id: '1',
          key: 'A-1',
          updatedMs: now.getTime(),
          carries: ['sprint:7'],
          omitted: [],
          cut: [],
        },
        {
          kind: 'sprint',
          id: '7',
          dates: { startDate: '2026-06-01', endDate: '2026-06-14' },
          cut: [
            { uid: 'sprint-7-sprint@x', allDay: true, start: '2026-06-01', end: '2026-06-15', hash: 'h' },
          ],
        },
      ],
      trx,
    );
    await repos.syncDays.countRequests(SITE_A, feedId, now, 4, trx);
    await repos.renders.save(
      SITE_A,
      {
        feedId,
        variant: 'all',
        body: Buffer.from('x'),
        bodyGzip: Buffer.from('y'),
        etag: '"e"',
        dataHash: 'h',
        lastModified: now,
        eventCount: 1,
      },
      trx,
    );
  });
  subscriptionId = randomUUID();
  await repos.subscriptions.create(SITE_A, {
    id: subscriptionId,
    feedId,
    accountId: 'acc-1',
    calendar: 'all',
    nonce: 'n',
    tokenHash: `hash-${randomUUID()}`,
    now,
  });
  await repos.subscriptionClients.recordFetches(SITE_A, subscriptionId, 'google', {
    count: 2,
    firstAt: now,
    lastAt: now,
  });
  await repos.store.setValue(SITE_A, 'k', { v: 1 });
  await repos.settings.save(SITE_A, { errorReportingEnabled: false, exportsEnabled: true }, now);
  await repos.access.saveUser(SITE_A, {
    accountId: 'acc-1',
    active: true,
    groupNames: ['g'],
    refreshedAt: now,
  });
  await repos.access.replaceRoleActors(
    SITE_A,
    [{ roleId: '1', projectId: '10000', kind: 'user', actor: 'acc-1' }],
    { refreshedAt: now, roleIds: ['1'], errorCode: null, errorMessage: null },
  );
  await db.knex.transaction((trx) =>
    repos.personalDataReports.lock(SITE_A, { cycleSeconds: 604_800, nextBatchAt: now }, trx),
  );
  await repos.access.saveSubscriptionAccess(SITE_A, {
    subscriptionId,
    allowed: true,
    projectIds: null,
    issueIds: null,
    variant: 'all',
    reason: null,
    refreshedAt: now,
  });
});
afterAll(async () => {
  await db?.close();
});

describe('every repository is scoped by clientKey', () => {
  it('reads as site B find nothing of site A', async () => {
    expect(await repos.feeds.findById(SITE_B, feedId)).toBeNull();
    expect(await repos.feeds.list(SITE_B)).toEqual([]);
    expect(await repos.syncs.find(SITE_B, feedId)).toBeNull();
    expect((await repos.syncs.listByFeed(SITE_B)).size).toBe(0);
    expect(await repos.events.list(SITE_B, feedId)).toEqual([]);
    expect(await repos.events.count(SITE_B, feedId)).toBe(0);
    expect((await repos.revisions.listByUid(SITE_B, feedId)).size).toBe(0);
    expect(await repos.items.list(SITE_A, feedId)).toHaveLength(2);
    expect(await repos.items.list(SITE_B, feedId)).toEqual([]);
    expect(await repos.syncDays.listRequestDays(SITE_A, '2026-01-01')).toHaveLength(1);
    expect(await repos.syncDays.listRequestDays(SITE_B, '2026-01-01')).toEqual([]);
    expect(await repos.syncs.findBasis(SITE_B, feedId)).toBeNull();
    expect(await repos.renders.find(SITE_B, feedId, 'all')).toBeNull();
    expect(await repos.subscriptions.findLive(SITE_B, feedId, 'acc-1', 'all')).toBeNull();
    expect(await repos.subscriptions.listLive(SITE_B, feedId)).toEqual([]);
    expect(await repos.subscriptions.listLivePersonal(SITE_B, feedId)).toEqual([]);
    expect(await repos.subscriptions.listLiveAccounts(SITE_B)).toEqual([]);
    expect(await repos.subscriptionClients.listForSubscriptions(SITE_B, [subscriptionId])).toEqual([]);
    expect((await repos.subscriptionClients.urlUseSince(SITE_B, new Date(0))).size).toBe(0);
    expect(await repos.subscriptionClients.listForSubscriptions(SITE_A, [subscriptionId])).toHaveLength(1);
    expect(await repos.store.findValue(SITE_B, 'k')).toBeNull();
    expect(await repos.settings.get(SITE_B)).toEqual({ errorReportingEnabled: true, exportsEnabled: true });
    expect(await repos.access.findUser(SITE_B, 'acc-1')).toBeNull();
    expect(await repos.access.rolesOf(SITE_B, 'acc-1', ['g'])).toEqual([]);
    expect(await repos.access.findRefresh(SITE_B)).toBeNull();
    expect(await repos.access.findSubscriptionAccess(SITE_B, subscriptionId)).toBeNull();
    expect(await repos.privacy.footprint(SITE_B, 'acc-1')).toEqual({
      subscriptions: [],
      cachedAccount: null,
      projectRoles: [],
      feedsTouched: [],
      eventsNaming: [],
      dataCenterSignIn: null,
      dataCenterSessions: [],
    });
    expect((await repos.privacy.footprint(SITE_A, 'acc-1')).eventsNaming).toEqual([
      { feedId, feedName: 'A feed', count: 1 },
    ]);
    expect(await repos.personalData.find(SITE_B, 'acc-1')).toBeNull();
    expect(await repos.personalDataReports.find(SITE_B)).toBeNull();
    expect(await repos.personalDataReports.find(SITE_A)).toMatchObject({ nextBatchAt: now });
    expect(await repos.personalData.list(SITE_B)).toEqual([]);
    expect(await repos.personalData.countOpen(SITE_B)).toBe(0);
    expect((await repos.personalData.find(SITE_A, 'acc-1'))?.fetchedAt).toEqual(now);
    expect(await repos.forgeTokens.find(SITE_A)).toBeNull();
    expect((await repos.forgeTokens.find(SITE_B))?.token).toBe('token-b');
    expect(await repos.installations.listInstalledClientKeys('forge')).toEqual([SITE_B]);
    expect(await repos.installations.listInstalledClientKeys('connect')).toEqual([SITE_A]);
    // And the same reads as site A do find the data, so the checks above can fail.
    expect(await repos.feeds.findById(SITE_A, feedId)).not.toBeNull();
    expect(await repos.events.count(SITE_A, feedId)).toBe(1);
    expect([...(await repos.revisions.listByUid(SITE_A, feedId)).values()]).toEqual([revision]);
    expect(await repos.access.rolesOf(SITE_A, 'acc-1', ['g'])).toEqual([{ roleId: '1', projectId: '10000' }]);
  });

  it('writes as site B change nothing of site A', async () => {
    const before = await snapshotA();
    expect(
      await repos.feeds.update(SITE_B, feedId, { name: 'hijacked', config, accountId: 'x', now }),
    ).toBeNull();
    expect(await repos.feeds.delete(SITE_B, feedId)).toBe(false);
    await repos.syncs.reschedule(SITE_B, feedId, new Date(0));
    expect(await repos.syncs.markQueued(SITE_B, feedId, now, 60_000)).toBe(false);
    await repos.syncs.heartbeat(SITE_B, feedId, now, now);
    expect(await repos.syncs.tryMarkRunning(SITE_B, feedId, now, 60_000)).toBe(false);
    await repos.syncs.recordProgress(SITE_B, feedId, 99);
    await repos.syncs.setAccessError(SITE_B, feedId, { code: 'x', message: 'y' });
    await repos.syncs.markFailed(SITE_B, feedId, {
      finishedAt: now,
      durationMs: 1,
      code: 'x',
      message: 'y',
      nextSyncAt: now,
    });
    await repos.syncDays.countRequests(SITE_B, feedId, now, 9);
    await repos.syncs.forgetBasis(SITE_B, feedId);
    await repos.items.clear(SITE_B, feedId);
    await db.knex.transaction(async (trx) => {
      await repos.syncs.markSucceeded(
        SITE_B,
        feedId,
        {
          finishedAt: now,
          durationMs: 1,
          issueCount: 0,
          eventCount: 0,
          omitted: { count: 0, byReason: {}, examples: [] },
          capReached: false,
          dataHash: 'z',
          nextSyncAt: now,
          kind: 'full',
          jiraRequests: 1,
          issuesFetched: 0,
          basis: { hash: 'b', watermarkAt: now, lastFullAt: now, windowChangeAt: now },
        },
        trx,
      );
      await repos.items.replaceAll(SITE_B, feedId, [], trx);
      await repos.renders.deleteVariantsExcept(SITE_B, feedId, 'none', trx);
      await repos.revisions.save(
        SITE_B,
        feedId,
        [{ ...revision, sequence: 0, contentHash: 'hijacked' }],
        trx,
      );
    });
    expect(
      await repos.subscriptions.rotate(SITE_B, subscriptionId, { nonce: 'm', tokenHash: 'other', now }),
    ).toBeNull();
    expect(await repos.subscriptions.revoke(SITE_B, subscriptionId, now)).toBe(false);
    expect(await repos.subscriptions.revokeAllForFeed(SITE_B, feedId, now)).toBe(0);
    expect(await repos.subscriptions.revokeAllForAccount(SITE_B, 'acc-1', now)).toBe(0);
    await repos.subscriptions.recordFetches(SITE_B, subscriptionId, { count: 5, lastAt: now });
    await repos.subscriptions.markShown(SITE_B, [subscriptionId], now);
    await repos.subscriptionClients.recordFetches(SITE_B, subscriptionId, 'google', {
      count: 5,
      firstAt: new Date(0),
      lastAt: new Date(now.getTime() + 60_000),
    });
    await repos.subscriptionClients.recordFetches(SITE_B, subscriptionId, 'apple', {
      count: 5,
      firstAt: now,
      lastAt: now,
    });
    await repos.store.deleteValue(SITE_B, 'k');
    await repos.access.replaceRoleActors(SITE_B, [], {
      refreshedAt: now,
      roleIds: [],
      errorCode: null,
      errorMessage: null,
    });
    expect(await repos.syncs.bringForward(SITE_B, new Date(0))).toBe(0);
    expect(await repos.privacy.erase(SITE_B, 'acc-1', 'erased')).toEqual({
      subscriptionsDeleted: 0,
      feedsNamingAccount: [],
    });
    const leaseId = randomUUID();
    expect(
      await repos.personalData.leaseDue(SITE_B, {
        leaseId,
        now,
        leasedUntil: new Date(now.getTime() + 60_000),
        answeredBefore: now,
        limit: 90,
      }),
    ).toEqual([]);
    expect(await repos.personalData.listLeased(SITE_B, leaseId)).toEqual([]);
    expect(await repos.personalData.markReported(SITE_B, leaseId, now)).toBe(0);
    expect(await repos.personalData.release(SITE_B, leaseId)).toBe(0);
    await repos.personalData.markClosed(SITE_B, 'acc-1', now);
    await repos.personalData.requestRefresh(SITE_B, 'acc-1', now);
    await repos.personalData.markFresh(SITE_B, 'acc-1', new Date(now.getTime() + 1));
    expect(await repos.personalData.pruneUnheld(SITE_B)).toBe(0);
    await repos.personalData.record(SITE_B, ['acc-1'], new Date(0));
    await repos.personalDataReports.update(SITE_B, {
      nextBatchAt: new Date(0),
      failures: 9,
      addReported: 5,
      addErased: 5,
      lastFailureMessage: 'hijacked',
    });
    const lockedAsB = await db.knex.transaction((trx) =>
      repos.personalDataReports.lock(SITE_B, { cycleSeconds: 1, nextBatchAt: new Date(0) }, trx),
    );
    expect(lockedAsB).toMatchObject({ cycleSeconds: 1, accountsReported: 0 });
    await repos.installations.updateSiteUrl(SITE_B, 'https://elsewhere.atlassian.net', now);
    await repos.forgeTokens.saveIfNewer(SITE_B, 'token-b2', new Date(now.getTime() + 7_200_000), now);
    expect(await snapshotA()).toEqual(before);
    // A Forge installation can never take over a Connect tenant's key.
    await expect(
      repos.installations.saveForgeInstall(
        SITE_A,
        {
          installationId: SITE_A,
          cloudId: randomUUID(),
          apiBaseUrl: 'https://api.atlassian.com/ex/jira/x',
          siteUrl: 'https://a.atlassian.net',
          appVersion: null,
        },
        now,
        () => Promise.resolve(''),
        { revive: true },
      ),
    ).rejects.toThrow(/connect door/);
    expect(await snapshotA()).toEqual(before);
  });

  it("rows cannot be attached to another site's feed", async () => {
    await expect(
      db.knex('feed_events').insert({
        feed_id: feedId,
        client_key: SITE_B,
        uid: 'x',
        project_ids: [],
        user_account_ids: [],
        event: '{}',
      }),
    ).rejects.toThrow(/foreign key/);
    await expect(
      db.knex.transaction((trx) => repos.revisions.save(SITE_B, feedId, [{ ...revision, uid: 'new' }], trx)),
    ).rejects.toThrow(/foreign key/);
    await expect(
      repos.subscriptions.create(SITE_B, {
        id: randomUUID(),
        feedId,
        accountId: null,
        calendar: 'all',
        nonce: 'n',
        tokenHash: `t-${randomUUID()}`,
        now,
      }),
    ).rejects.toThrow(/foreign key/);
  });
});

describe('the Data Center repositories are scoped by clientKey too', () => {
  /** Site C is a Data Center deployment; a Cloud site on the same database must reach none of its rows. */
  const SITE_C = `datacenter:jira-${randomUUID()}.example.com`;
  const sessionHash = 'c'.repeat(64);
  const later = new Date(now.getTime() + 3_600_000);
  const snapshotC = async () =>
    Object.fromEntries(
      await Promise.all(
        [
          'datacenter_user_tokens',
          'datacenter_sessions',
          'datacenter_sign_in_states',
          'user_sweeps',
          'personal_data_accounts',
        ].map(async (table) => [table, await db.knex(table).where({ client_key: SITE_C }).select()]),
      ),
    );

  beforeAll(async () => {
    await repos.installations.saveDataCenterInstall(
      SITE_C,
      { baseUrl: 'https://jira.example.com', serverVersion: '9.12.0' },
      now,
    );
    await repos.dcTokens.saveSignIn(
      SITE_C,
      'acc-1',
      { encrypted: Buffer.from('sealed'), scope: 'READ' },
      now,
    );
    await repos.dcSessions.create(SITE_C, {
      idSha256: sessionHash,
      accountId: 'acc-1',
      now,
      expiresAt: later,
    });
    expect(await repos.signInStates.consume(SITE_C, 's'.repeat(64), later, now)).toBe(true);
    await repos.sweeps.start(SITE_C, now);
    await repos.sweeps.advance(SITE_C, 'acc-1');
  });

  it('sign-in states, sweeps and the sweep’s page of users are the site’s own', async () => {
    const before = await snapshotC();
    expect(before['datacenter_sign_in_states']).toHaveLength(1);
    expect(before['personal_data_accounts']).toHaveLength(1);
    // The same state at another site is another site's first use, not a replay of site C's.
    expect(await repos.signInStates.consume(SITE_B, 's'.repeat(64), later, now)).toBe(true);
    expect(await repos.signInStates.consume(SITE_C, 's'.repeat(64), later, now)).toBe(false);
    expect(await repos.sweeps.find(SITE_B)).toBeNull();
    await repos.sweeps.advance(SITE_B, 'zzz');
    await repos.sweeps.finish(SITE_B, now);
    expect(await repos.personalData.listOpenAfter(`datacenter:${randomUUID()}`, null, 10)).toEqual([]);
    expect(await snapshotC()).toEqual(before);
    expect(await repos.sweeps.find(SITE_C)).toMatchObject({ cursor: 'acc-1', finishedAt: null });
    expect(await repos.personalData.listOpenAfter(SITE_C, null, 10)).toEqual(['acc-1']);
    expect(await repos.personalData.listOpenAfter(SITE_C, 'acc-1', 10)).toEqual([]);
  });

  it('reads and writes as another site find and change nothing', async () => {
    const before = await snapshotC();
    expect(before['datacenter_user_tokens']).toHaveLength(1);
    expect(before['datacenter_sessions']).toHaveLength(1);
    expect(await repos.dcTokens.find(SITE_B, 'acc-1')).toBeNull();
    expect(await repos.dcTokens.listUsable(SITE_B)).toEqual([]);
    await db.knex.transaction(async (trx) => {
      expect(await repos.dcTokens.findForUpdate(SITE_B, 'acc-1', trx)).toBeNull();
      await repos.dcTokens.saveRefreshed(SITE_B, 'acc-1', Buffer.from('hijacked'), now, trx);
    });
    await repos.dcTokens.markRefused(SITE_B, 'acc-1', now);
    expect(await repos.dcTokens.delete(SITE_B, 'acc-1')).toBe(false);
    await repos.dcSessions.delete(SITE_B, sessionHash);
    expect(await repos.dcSessions.deleteForAccount(SITE_B, 'acc-1')).toBe(0);
    expect(await repos.dcSessions.deleteExpired(SITE_B, new Date(later.getTime() + 1))).toBe(0);
    expect(await snapshotC()).toEqual(before);
    // The cookie's hash names the tenant: the session found by it is site C's, never another's.
    expect(await repos.dcSessions.findLive(sessionHash, now)).toMatchObject({ clientKey: SITE_C });
    // And the same reads as site C do find the rows, so the checks above can fail.
    expect((await repos.dcTokens.find(SITE_C, 'acc-1'))?.scope).toBe('READ');
    expect(await repos.dcTokens.listUsable(SITE_C)).toEqual(['acc-1']);
  });
});
