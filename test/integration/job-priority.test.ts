import { run, type Runner, type Task } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { JobQueue } from '../../src/jobs/scheduler.js';
import { createLogger } from '../../src/logger.js';
import { openTestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

const REPORTS = 30;

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

  it('takes a feed sync, then an access refresh, before reports queued earlier; the reports still all run', async () => {
    for (let site = 0; site < REPORTS; site++) await queue.enqueuePersonalDataReport(`pdr-site-${site}`);
    await queue.enqueueAccessRefresh('site-a');
    await queue.enqueueSync('site-a', '00000000-0000-4000-8000-000000000001');

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
    await waitFor('every job to run', () => Promise.resolve(order.length === REPORTS + 2), 60_000);
    const firstReport = order.findIndex((entry) => entry.startsWith('report:'));
    expect(order.slice(0, 2)).toEqual(['sync:site-a', 'access:site-a']);
    expect(firstReport).toBe(2);
    expect(order.filter((entry) => entry.startsWith('report:'))).toHaveLength(REPORTS);
  }, 120_000);
});
