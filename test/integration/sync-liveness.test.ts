import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira, generateIssues } from '../support/fake-jira/fake-jira.js';
import { ADMIN, apiAs, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const HEARTBEAT_STALE_MS = 2_000;

let jira: FakeJira;
let app: TestApp;

beforeAll(async () => {
  jira = await FakeJira.start();
  jira.data.issues.push(...generateIssues(260, { startId: 60_000, startNumber: 300 }));
  app = await startTestApp({
    connectKeysUrl: jira.keysUrl,
    worker: true,
    config: { syncHeartbeatStaleMs: HEARTBEAT_STALE_MS },
  });
  await jira.install(app.url);
});
afterAll(async () => {
  jira.faults.clear();
  await app?.stop();
  await jira?.stop();
});

const admin = () => apiAs(app, jira, ADMIN);
const row = (feedId: string) => app.db.knex('feed_syncs').where({ feed_id: feedId }).first();

async function syncedFeed(name: string, jql = 'project = CAL'): Promise<string> {
  const created = await admin().post('/feeds', sampleFeedConfig({ name, source: { type: 'jql', jql } }));
  expect(created.status).toBe(201);
  await waitFor(`the first sync of ${name}`, async () => (await row(created.body.id))?.state === 'ok');
  return String(created.body.id);
}

/** As a process that died mid-sync leaves it: running, its last heartbeat two minutes ago. */
const abandon = (feedId: string) =>
  app.db
    .knex('feed_syncs')
    .where({ feed_id: feedId })
    .update({
      state: 'running',
      started_at: new Date(Date.now() - 180_000),
      heartbeat_at: new Date(Date.now() - 120_000),
      next_sync_at: new Date(Date.now() + 3_600_000),
    });

describe('a sync that cannot freeze its site', () => {
  it('beats while it runs, so a slow sync is never mistaken for a dead one', async () => {
    const feedId = await syncedFeed('Slow feed', 'project in (CAL, MKT, OPS) ORDER BY key');
    jira.faults.latencyMs = 250;
    try {
      expect((await admin().post(`/feeds/${feedId}/sync`)).status).toBe(202);
      const beating = await waitFor('a heartbeat after the start', async () => {
        const current = await row(feedId);
        return current?.state === 'running' && current.heartbeat_at > current.started_at ? current : null;
      });
      expect(beating.heartbeat_at.getTime()).toBeGreaterThan(beating.started_at.getTime());
      // A second "Sync now" while it beats changes nothing: the sync is alive.
      const again = await admin().post(`/feeds/${feedId}/sync`);
      expect(again.body.status.state).toBe('running');
    } finally {
      jira.faults.latencyMs = 0;
    }
    await waitFor('the slow sync to finish', async () => (await row(feedId))?.state === 'ok', 60_000);
  });

  it('does not count a silent "running" row as the site being busy', async () => {
    const stuck = await syncedFeed('Stuck feed');
    const other = await syncedFeed('Other feed');
    await abandon(stuck);
    expect(await app.services.sync.syncFeed(jira.clientKey, other)).toMatchObject({ status: 'ok' });
  });

  it('takes a silent sync over when someone presses "Sync now", and finishes it', async () => {
    const feedId = await syncedFeed('Taken over on request');
    await abandon(feedId);
    const pressed = await admin().post(`/feeds/${feedId}/sync`);
    expect(pressed.status).toBe(202);
    expect(pressed.body.status.state).toBe('queued');
    await waitFor('the taken-over sync to finish', async () => {
      const current = await row(feedId);
      return current?.state === 'ok' && current.finished_at > new Date(Date.now() - 60_000);
    });
  });

  it('takes a silent sync over on the next tick, without anyone asking', async () => {
    const feedId = await syncedFeed('Taken over by the scheduler');
    await abandon(feedId);
    await app.queue.requestTick();
    await waitFor('the scheduler to take it over', async () => {
      const current = await row(feedId);
      return current?.state === 'ok' && current.finished_at > new Date(Date.now() - 60_000);
    });
  });

  it('comes back for a sync that stops beating when it turns stale, not at the next cron minute', async () => {
    const feedId = await syncedFeed('Killed just now');
    // As a process killed right after its last beat leaves it: the tick that runs now still sees it alive.
    const lastBeat = new Date();
    await app.db
      .knex('feed_syncs')
      .where({ feed_id: feedId })
      .update({
        state: 'running',
        started_at: new Date(lastBeat.getTime() - 5_000),
        heartbeat_at: lastBeat,
        next_sync_at: new Date(Date.now() + 3_600_000),
      });
    await app.queue.requestTick();
    const followUp = await waitFor('the tick to ask for a follow-up', async () =>
      app.db.knex('graphile_worker.jobs').where({ key: 'schedule_due_feeds:follow-up' }).first(),
    );
    expect(followUp.run_at.getTime()).toBeGreaterThanOrEqual(lastBeat.getTime() + HEARTBEAT_STALE_MS);
    expect(followUp.run_at.getTime()).toBeLessThan(lastBeat.getTime() + HEARTBEAT_STALE_MS + 5_000);
    await waitFor('the follow-up tick to take it over', async () => {
      const current = await row(feedId);
      return current?.state === 'ok' && current.finished_at > lastBeat;
    });
  });

  it('keeps trying to record a failure while the database does not answer', async () => {
    const feedId = await syncedFeed('Failure to record');
    const syncs = app.services.syncRepository;
    const markFailed = syncs.markFailed.bind(syncs);
    let refused = 0;
    // The database refusing the first two writes, as during a short outage.
    syncs.markFailed = async (...args) => {
      if (refused < 2) {
        refused += 1;
        throw new Error('Connection terminated unexpectedly');
      }
      return markFailed(...args);
    };
    try {
      jira.faults.failNext(1, { status: 400 });
      expect(await app.services.sync.syncFeed(jira.clientKey, feedId)).toMatchObject({ status: 'failed' });
    } finally {
      syncs.markFailed = markFailed;
      jira.faults.clear();
    }
    expect(refused).toBe(2);
    expect(await row(feedId)).toMatchObject({ state: 'error' });
  });
});
