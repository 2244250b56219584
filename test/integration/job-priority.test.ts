import { run, type Runner, type Task } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { AccessRepository } from '../../src/db/access-repository.js';
import { FeedSyncRepository } from '../../src/db/feed-sync-repository.js';
import { PersonalDataReportRepository } from '../../src/db/personal-data-report-repository.js';
import { scheduleDueFeedsTask } from '../../src/jobs/schedule-due-feeds-job.js';
import { JobQueue } from '../../src/jobs/scheduler.js';
import { createLogger } from '../../src/logger.js';
import { openTestDatabase } from '../support/test-database.js';
import { insertSites } from '../support/seed-sites.js';
import { waitFor } from '../support/wait.js';

const REPORTS = 30;
const ROUTINE = 30;

/**
 * The app's own enqueue methods fill the queue the way a thousand installs did in the scale bench: every
 * site's Personal Data Reporting falls due in one tick, then feeds need their syncs. graphile-worker, one job
 * at a time, then says what it takes first; the tasks here only note the order they ran in.
 */
describe('The order the job queue works in', () => {
  let db: Database;
  let queue: JobQueue;
  let runner: Runner | null = null;
  beforeAll(async () => {
    db = await openTestDatabase();
    queue = await JobQueue.connect({
      connectionString: db.connectionString,
      scope: { edition: 'cloud' },
      logger: createLogger({ level: 'silent' }),
      sharedSession: db.embedded,
    });
  }, 60_000);
  afterAll(async () => {
    await runner?.stop();
    await queue.stop();
    await db.close();
  });

  /** Starts a worker taking one job at a time, waits until `count` jobs ran, stops it: the order it took them. */
  async function workInOrder(count: number): Promise<string[]> {
    const order: string[] = [];
    const note =
      (name: string): Task =>
      (payload) => {
        const { clientKey } = payload as { clientKey: string };
        order.push(`${name}:${clientKey}`);
        return Promise.resolve();
      };
    runner = await run({
      connectionString: db.connectionString,
      concurrency: 1,
      pollInterval: 50,
      noHandleSignals: true,
      noPreparedStatements: db.embedded,
      taskList: {
        sync_feed: note('sync'),
        refresh_access: note('access'),
        report_personal_data: note('report'),
      },
    });
    try {
      await waitFor('every job to run', () => Promise.resolve(order.length >= count), 60_000);
    } finally {
      await runner.stop();
      runner = null;
    }
    return order;
  }

  it('takes a feed sync, then an access refresh, before reports queued earlier; the reports still all run', async () => {
    for (let site = 0; site < REPORTS; site++) await queue.enqueuePersonalDataReport(`pdr-site-${site}`);
    await queue.enqueueAccessRefresh('site-a');
    await queue.enqueueSync('site-a', '00000000-0000-4000-8000-000000000001');

    const order = await workInOrder(REPORTS + 2);
    expect(order.slice(0, 3)).toEqual(['sync:site-a', 'access:site-a', 'report:pdr-site-0']);
    expect(order.filter((entry) => entry.startsWith('report:'))).toHaveLength(REPORTS);
  }, 120_000);

  it('the tick queues a feed a Jira change brought forward before the feeds whose interval came round', async () => {
    // 30 sites with a feed each whose interval has passed, and one site that Jira says changed.
    await insertSites(db.knex, 'order-site-', ROUTINE + 1, 0);
    await db.knex.raw(
      `INSERT INTO feeds (client_key, name, config, created_by_account_id, updated_by_account_id, created_at, updated_at)
       SELECT client_key, 'Feed', '{}'::jsonb, 'admin', 'admin', now(), now() FROM installations
        WHERE client_key LIKE 'order-site-%'`,
    );
    await db.knex.raw(
      `INSERT INTO feed_syncs (feed_id, client_key, state, next_sync_at, last_success_at)
       SELECT id, client_key, 'ok',
              CASE WHEN client_key = 'order-site-0' THEN now() + interval '1 hour' ELSE now() - interval '1 minute' END,
              now() - interval '1 hour'
         FROM feeds WHERE client_key LIKE 'order-site-%'`,
    );
    const syncs = new FeedSyncRepository(db.knex);
    expect(await syncs.bringForward('order-site-0', new Date())).toBe(1);
    const tick = scheduleDueFeedsTask({
      scope: { edition: 'cloud' },
      syncs,
      access: new AccessRepository(db.knex),
      personalDataReports: new PersonalDataReportRepository(db.knex),
      queue,
      now: () => new Date(),
      liveness: { heartbeatStaleMs: 60_000, queuedStaleMs: 30 * 60_000 },
    });
    await tick({}, { logger: { info: () => undefined } } as unknown as Parameters<typeof tick>[1]);

    const order = (await workInOrder(ROUTINE + 1)).filter((entry) => entry.startsWith('sync:'));
    expect(order).toHaveLength(ROUTINE + 1);
    expect(order[0]).toBe('sync:order-site-0');
  }, 120_000);
});
