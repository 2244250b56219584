import { SCHEDULE_DUE_FEEDS_TASK } from '../../src/jobs/schedule-due-feeds-job.js';
import { SYNC_FEED_TASK } from '../../src/jobs/sync-feed-job.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { ADMIN, apiAs, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

describe('scheduled syncs', () => {
  let jira: FakeJira;
  let app: TestApp;

  beforeAll(async () => {
    jira = await FakeJira.start();
    app = await startTestApp({ connectKeysUrl: jira.keysUrl, worker: true });
    await jira.install(app.url);
  });
  afterAll(async () => {
    await app?.stop();
    await jira?.stop();
  });

  it('"sync now" runs the feed through the job queue and reports progress and result', async () => {
    const admin = apiAs(app, jira, ADMIN);
    const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Queued feed' }));
    expect(created.body.status.state).toBe('queued');
    const done = await waitFor('the sync to finish', async () => {
      const feed = (await admin.get(`/feeds/${created.body.id}`)).body;
      return feed.status.state === 'ok' ? feed : null;
    });
    expect(done.status.eventCount).toBeGreaterThan(0);
    const again = await admin.post(`/feeds/${created.body.id}/sync`);
    expect(again.status).toBe(202);
    expect(['queued', 'running', 'ok']).toContain(again.body.status.state);
  });

  it("a job naming one tenant never touches another tenant's feed", async () => {
    const admin = apiAs(app, jira, ADMIN);
    const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Tenant-bound feed' }));
    await waitFor(
      'the first sync',
      async () => (await admin.get(`/feeds/${created.body.id}`)).body.status.state === 'ok',
    );
    const before = await app.db.knex('feed_syncs').where({ feed_id: created.body.id }).first();
    const outcome = await app.services.sync.syncFeed('some-other-client-key', created.body.id);
    expect(outcome).toEqual({ status: 'skipped', reason: 'not-installed' });
    await app.db.knex('installations').insert({
      client_key: 'other-tenant',
      base_url: 'https://other.atlassian.net',
      product_type: 'jira',
      shared_secret: 's'.repeat(40),
      state: 'installed',
      installed_at: new Date(),
      updated_at: new Date(),
    });
    expect(await app.services.sync.syncFeed('other-tenant', created.body.id)).toEqual({
      status: 'skipped',
      reason: 'feed-gone',
    });
    expect(await app.db.knex('feed_syncs').where({ feed_id: created.body.id }).first()).toEqual(before);
  });

  it('reclaims a sync left "running" by a process that died', async () => {
    const admin = apiAs(app, jira, ADMIN);
    const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Orphaned feed' }));
    await waitFor(
      'the first sync',
      async () => (await admin.get(`/feeds/${created.body.id}`)).body.status.state === 'ok',
    );
    const longAgo = new Date(Date.now() - 2 * 60 * 60_000);
    await app.db
      .knex('feed_syncs')
      .where({ feed_id: created.body.id })
      .update({
        state: 'running',
        started_at: longAgo,
        heartbeat_at: longAgo,
        next_sync_at: new Date(Date.now() + 3_600_000),
      });
    const liveness = { heartbeatStaleMs: 60_000, queuedStaleMs: 30 * 60_000 };
    const claimed = await app.services.syncRepository.claimDue(
      { edition: 'cloud' },
      new Date(),
      100,
      liveness,
    );
    expect(claimed).toContainEqual({
      clientKey: jira.clientKey,
      feedId: created.body.id,
      stale: true,
      changed: false,
    });
    const notAgain = await app.services.syncRepository.claimDue(
      { edition: 'cloud' },
      new Date(),
      100,
      liveness,
    );
    expect(notAgain.map((due) => due.feedId)).not.toContain(created.body.id);
  });
});

// Several processes on one database need a real PostgreSQL: the embedded one is a single session.
describe.runIf(Boolean(process.env['DATABASE_URL']))('several app processes on one database', () => {
  let jira: FakeJira;
  let db: Database;
  let apps: TestApp[] = [];

  beforeAll(async () => {
    jira = await FakeJira.start();
    db = await openTestDatabase();
    apps = [
      await startTestApp({ db, connectKeysUrl: jira.keysUrl, worker: true }),
      await startTestApp({ db, connectKeysUrl: jira.keysUrl, worker: true }),
    ];
    // Both processes must be reachable under one base URL for the install JWT's audience; install via the first.
    await jira.install(apps[0]!.url);
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await db?.close();
    await jira?.stop();
  });

  it('syncs each due feed exactly once per interval, one sync at a time per tenant', async () => {
    const [first, second] = apps as [TestApp, TestApp];
    jira.faults.latencyMs = 50;
    const projects = ['CAL', 'MKT', 'OPS'];
    const feedIds: string[] = [];
    for (const project of projects) {
      const [feed] = await db
        .knex('feeds')
        .insert({
          client_key: jira.clientKey,
          name: `Feed ${project}`,
          config: JSON.stringify(
            first.services.feeds.parse(
              sampleFeedConfig({
                name: `Feed ${project}`,
                source: { type: 'jql', jql: `project = ${project}` },
              }),
            ),
          ),
          created_by_account_id: ADMIN,
          updated_by_account_id: ADMIN,
          created_at: new Date(),
          updated_at: new Date(),
        })
        .returning('id');
      feedIds.push(feed.id);
      await db.knex('feed_syncs').insert({
        feed_id: feed.id,
        client_key: jira.clientKey,
        state: 'pending',
        next_sync_at: new Date(Date.now() - 1000),
      });
    }
    jira.requests.length = 0;
    await Promise.all([first.queue.requestTick(), second.queue.requestTick(), first.queue.requestTick()]);

    const rows = await waitFor('all three feeds to sync', async () => {
      const synced = await db.knex('feed_syncs').whereIn('feed_id', feedIds).andWhere({ state: 'ok' });
      return synced.length === 3 ? synced : null;
    });
    // A second round of ticks finds nothing due: the next sync is an interval away.
    await Promise.all([first.queue.requestTick(), second.queue.requestTick()]);
    await waitFor('the ticks, and any sync they queued, to be worked', async () => {
      const due = await db.knex.raw<{ rows: { n: string }[] }>(
        'SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier IN (?, ?) AND run_at <= now()',
        [SCHEDULE_DUE_FEEDS_TASK, SYNC_FEED_TASK],
      );
      return Number(due.rows[0]!.n) === 0;
    });

    for (const project of projects) {
      const firstPages = jira.requests.filter((request) => {
        const body = request.body as { jql?: string; nextPageToken?: string } | undefined;
        return (
          request.path === '/rest/api/3/search/jql' &&
          body?.jql === `project = ${project}` &&
          !body.nextPageToken
        );
      });
      expect(firstPages, `searches for ${project}`).toHaveLength(1);
    }
    const intervals = rows
      .map(
        (row: { started_at: Date; finished_at: Date }) =>
          [row.started_at.getTime(), row.finished_at.getTime()] as const,
      )
      .sort((a, b) => a[0] - b[0]);
    for (let index = 1; index < intervals.length; index += 1) {
      expect(intervals[index]![0], 'syncs of one tenant must not overlap').toBeGreaterThanOrEqual(
        intervals[index - 1]![1],
      );
    }
    jira.faults.latencyMs = 0;
  });
});
