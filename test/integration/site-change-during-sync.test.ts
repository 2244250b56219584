import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { FeedSyncRepository, type SyncSuccess } from '../../src/db/feed-sync-repository.js';
import { openTestDatabase } from '../support/test-database.js';

const SITE_A = 'change-site-a';
const SITE_B = 'change-site-b';
const HOUR = 60 * 60_000;

async function runningFeed(db: Database, clientKey: string, startedAt: Date): Promise<string> {
  await db
    .knex('installations')
    .insert({
      client_key: clientKey,
      base_url: `https://${clientKey}.atlassian.net`,
      shared_secret: 'secret',
      state: 'installed',
      installed_at: startedAt,
      updated_at: startedAt,
    })
    .onConflict('client_key')
    .ignore();
  const [feed] = await db
    .knex('feeds')
    .insert({
      client_key: clientKey,
      name: 'Releases',
      config: '{}',
      created_by_account_id: 'admin',
      updated_by_account_id: 'admin',
      created_at: startedAt,
      updated_at: startedAt,
    })
    .returning<{ id: string }[]>('id');
  await db.knex('feed_syncs').insert({
    feed_id: feed!.id,
    client_key: clientKey,
    state: 'running',
    next_sync_at: startedAt,
    started_at: startedAt,
    heartbeat_at: startedAt,
  });
  return feed!.id;
}

const success = (finishedAt: Date, nextSyncAt: Date): SyncSuccess => ({
  finishedAt,
  durationMs: 1000,
  issueCount: 1,
  eventCount: 1,
  omitted: { count: 0, byReason: {}, examples: [] },
  capReached: false,
  dataHash: 'hash',
  nextSyncAt,
  kind: 'incremental',
  jiraRequests: 1,
  issuesFetched: 1,
});

describe('Jira reports a change on a site while one of its feeds is syncing', () => {
  let db: Database;
  let syncs: FeedSyncRepository;
  beforeAll(async () => {
    db = await openTestDatabase();
    syncs = new FeedSyncRepository(db.knex);
  });
  afterAll(() => db.close());

  const finish = async (clientKey: string, feedId: string, finishedAt: Date, nextSyncAt: Date) => {
    await db.knex.transaction((trx) =>
      syncs.markSucceeded(clientKey, feedId, success(finishedAt, nextSyncAt), trx),
    );
    return (await syncs.find(clientKey, feedId))!.nextSyncAt;
  };

  it('ends that sync due again, since it may have read the issue before the change, and leaves other sites alone', async () => {
    const started = new Date('2026-12-07T10:00:00Z');
    const changed = new Date(started.getTime() + 2_000);
    const finished = new Date(started.getTime() + 5_000);
    const feedA = await runningFeed(db, SITE_A, started);
    const feedB = await runningFeed(db, SITE_B, started);

    await syncs.bringForward(SITE_A, changed);

    expect((await finish(SITE_A, feedA, finished, new Date(started.getTime() + HOUR))).getTime()).toBe(
      finished.getTime(),
    );
    expect((await finish(SITE_B, feedB, finished, new Date(started.getTime() + HOUR))).getTime()).toBe(
      started.getTime() + HOUR,
    );
  });

  it('keeps the interval when the change came before the sync started (the sync read it)', async () => {
    const started = new Date('2026-12-07T11:00:00Z');
    const feed = await runningFeed(db, SITE_A, started);
    await syncs.bringForward(SITE_A, new Date(started.getTime() - 1_000));
    const finished = new Date(started.getTime() + 5_000);
    expect((await finish(SITE_A, feed, finished, new Date(started.getTime() + HOUR))).getTime()).toBe(
      started.getTime() + HOUR,
    );
  });
});
