import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSchemaOf } from '../../src/domain/deployment.js';
import { deploymentScopeOf } from '../../src/compose/doors.js';
import {
  type DataCenterApp,
  type DataCenterBrowser,
  signInThroughJira,
  startDataCenterApp,
} from '../support/datacenter.js';
import { FakeJiraDc } from '../support/fake-jira-dc/fake-jira-dc.js';
import { SEED_ACCOUNTS as A } from '../support/fake-jira/fake-jira-seed.js';
import { sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

type SyncRow = { state: string; requested_at: Date | null; error_code: string | null; next_sync_at: Date };

/**
 * Two Data Center deployments (two Jiras) on one database: each works its own feeds only, even when an
 * operator gave both the same token key, and Jira's tokens never travel to the other Jira.
 */
describe('Data Center deployments sharing a database', () => {
  let dcA: FakeJiraDc;
  let dcB: FakeJiraDc;
  let a: DataCenterApp;
  let b: DataCenterApp | null = null;
  let alice: DataCenterBrowser;
  let clientKeyA: string;
  let feedA: string;
  /** A Connect site's due feed on the same database: a Cloud deployment's, no Data Center one's. */
  let connectFeed: string;
  const connectKey = `connect-${randomUUID()}`;
  const extra: TestApp[] = [];

  const syncRow = async (app: TestApp, feedId: string): Promise<SyncRow> =>
    (await app.db.knex('feed_syncs').where({ feed_id: feedId }).first()) as SyncRow;
  const jobsOf = async (app: TestApp, task: string): Promise<number> => {
    const schema = jobSchemaOf(deploymentScopeOf(app.config));
    const result = await app.db.knex.raw<{ rows: { n: string }[] }>(
      `SELECT count(*) AS n FROM "${schema}".jobs WHERE task_identifier = ?`,
      [task],
    );
    return Number(result.rows[0]?.n ?? 0);
  };
  const pendingTicks = (app: TestApp) => jobsOf(app, 'schedule_due_feeds');

  beforeAll(async () => {
    dcA = await FakeJiraDc.start();
    dcB = await FakeJiraDc.start();
    a = await startDataCenterApp(dcA);
    alice = await signInThroughJira(a.app, dcA, A.alice);
    clientKeyA = (await alice.api.get('/session')).body.clientKey as string;
    const created = await alice.api.post('/feeds', sampleFeedConfig());
    expect(created.status).toBe(201);
    feedA = created.body.id as string;
    expect(await a.app.services.sync.syncFeed(clientKeyA, feedA)).toMatchObject({ status: 'ok' });
    // Due a minute ago, idle: any tick that may claim it will.
    await a.app.db
      .knex('feed_syncs')
      .where({ feed_id: feedA })
      .update({ next_sync_at: new Date(Date.now() - 60_000) });

    const now = new Date(Date.now() - 60_000);
    const { services } = a.app;
    await services.installationRepository.saveConnectInstall(
      connectKey,
      { clientKey: connectKey, sharedSecret: 's'.repeat(40), baseUrl: 'https://cloud.atlassian.net' },
      now,
    );
    const config = services.feeds.parse(sampleFeedConfig());
    connectFeed = await a.app.db.knex.transaction(async (trx) => {
      const feed = await services.feedRepository.insert(
        connectKey,
        { name: 'Cloud', config, accountId: 'cloud-admin', now },
        trx,
      );
      await services.syncRepository.create(connectKey, feed.id, now, trx);
      return feed.id;
    });
  });
  afterAll(async () => {
    for (const app of extra) await app.stop();
    await b?.app.stop();
    await a?.app.stop();
    await dcA?.stop();
    await dcB?.stop();
  });

  it('a second deployment’s worker claims, syncs and refreshes none of the first’s feeds', async () => {
    const before = await syncRow(a.app, feedA);
    const cloudBefore = await syncRow(a.app, connectFeed);
    const grantsA = dcA.grants.length;
    const requestsA = dcA.requests.length;
    // The same token key as deployment A: the worst an operator can do.
    b = await startDataCenterApp(dcB, { db: a.app.db, worker: true }, { tokenKey: a.tokenKey });
    const bob = await signInThroughJira(b.app, dcB, A.alice);
    const feedB = (await bob.api.post('/feeds', sampleFeedConfig())).body.id as string;
    await waitFor(
      'deployment B to sync its own feed',
      async () => (await syncRow(b!.app, feedB)).state === 'ok',
    );
    await b.app.queue.requestTick();
    await waitFor('deployment B’s tick to finish', async () => (await pendingTicks(b!.app)) === 0);

    expect(await syncRow(a.app, feedA)).toEqual(before);
    // Nor a Connect site's feed, nor its Personal Data Reporting.
    expect(await syncRow(a.app, connectFeed)).toEqual(cloudBefore);
    expect(await jobsOf(b.app, 'report_personal_data')).toBe(0);
    expect(await a.app.db.knex('personal_data_reports').where({ client_key: connectKey })).toEqual([]);
    expect(b.app.logs()).not.toContain(connectKey);
    expect(dcA.grants.length).toBe(grantsA);
    expect(dcA.requests.length).toBe(requestsA);
    expect(dcB.grants.every((grant) => grant.status === 200)).toBe(true);
    const [tokenA] = await a.app.db.knex('datacenter_user_tokens').where({ client_key: clientKeyA });
    expect(tokenA.refused_at).toBeNull();
    expect(b.app.logs()).not.toContain(clientKeyA);
  });

  it('the first deployment’s own worker still claims and syncs its due feed, with its owner’s rights', async () => {
    const worker = await startDataCenterApp(dcA, { db: a.app.db, worker: true }, a);
    extra.push(worker.app);
    const before = await syncRow(a.app, feedA);
    await waitFor('deployment A to sync its due feed', async () => {
      const row = await syncRow(a.app, feedA);
      return row.state === 'ok' && row.next_sync_at.getTime() > before.next_sync_at.getTime();
    });
    const searches = dcA.requests.filter((request) => request.path === '/rest/api/2/search');
    expect(searches.at(-1)?.caller).toBe(A.alice);
  });

  it('says a token this server cannot decrypt is not Jira’s refusal, and leaves it for the key that sealed it', async () => {
    const rekeyed = await startDataCenterApp(dcA, { db: a.app.db }, { link: a.link });
    extra.push(rekeyed.app);
    const grants = dcA.grants.length;
    const outcome = await rekeyed.app.services.sync.syncFeed(clientKeyA, feedA);
    expect(outcome).toMatchObject({ status: 'failed', code: 'datacenter_token_unreadable' });
    expect(dcA.grants.length).toBe(grants);
    const [tokenA] = await a.app.db.knex('datacenter_user_tokens').where({ client_key: clientKeyA });
    expect(tokenA.refused_at).toBeNull();
    expect(rekeyed.app.logs()).not.toMatch(/Jira refused/);
    expect(rekeyed.app.logs()).toContain('cannot be decrypted with this server’s key');
    // The deployment with the right key still reads it.
    expect(await a.app.services.sync.syncFeed(clientKeyA, feedA)).toMatchObject({ status: 'ok' });
  });
});
