import type { Knex } from 'knex';
import { AccessRepository } from '../src/db/access-repository.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { FeedSyncRepository, type SyncLiveness } from '../src/db/feed-sync-repository.js';
import { PersonalDataReportRepository } from '../src/db/personal-data-report-repository.js';
import type { DeploymentScope } from '../src/domain/deployment.js';
import { scheduleDueFeedsTask, type TickQueue } from '../src/jobs/schedule-due-feeds-job.js';
import { createLogger } from '../src/logger.js';
import { percentile, round } from './bench-stats.js';
import { createScaleDatabase } from './scale-processes.js';

export type TickBenchRow = {
  feeds: number;
  sites: number;
  /** Personal URLs, none of whose sites is due for an access refresh. */
  personalUrls: number;
  /** Feeds due at each tick; the rest are synced and not due for up to an hour. */
  due: number;
  runs: number;
  tickMedianMs: number;
  tickP99Ms: number;
  /** Jobs the tick queued per run: must equal `due`. */
  queuedPerTick: number;
  /** The scans in the claim query's plan: how it finds the due feeds among all of them. */
  claimPlan: string;
  /** Rows those scans returned: the cost that must not follow the number of feeds. */
  claimRowsScanned: number;
};

const CLOUD: DeploymentScope = { edition: 'cloud' };
const LIVENESS: SyncLiveness = { heartbeatStaleMs: 60_000, queuedStaleMs: 30 * 60_000 };
const FEEDS_PER_SITE = 10;
const PERSONAL_URLS_PER_FEED = 2;

const countingQueue = (queued: { n: number }): TickQueue => ({
  enqueueSync: () => Promise.resolve(void (queued.n += 1)),
  enqueueAccessRefresh: () => Promise.resolve(),
  enqueueUserSweep: () => Promise.resolve(),
  enqueuePersonalDataReport: () => Promise.resolve(),
  requestTickAt: () => Promise.resolve(),
});

/**
 * `feeds` rows (10 per site) straight into the tables, synced a moment ago and next due within the hour;
 * `due` of them overdue; a few running with a fresh heartbeat, as in a live deployment.
 */
async function seed(knex: Knex, feeds: number, due: number): Promise<void> {
  await knex.raw(
    `INSERT INTO installations (client_key, base_url, shared_secret, state, installed_at, updated_at)
     SELECT 'tick-site-' || s, 'https://tick-' || s || '.atlassian.net', 'secret', 'installed', now(), now()
       FROM generate_series(1, ?) AS s`,
    [Math.ceil(feeds / FEEDS_PER_SITE)],
  );
  await knex.raw(
    `INSERT INTO feeds (client_key, name, config, created_by_account_id, updated_by_account_id, created_at, updated_at)
     SELECT 'tick-site-' || (1 + (f - 1) / ${FEEDS_PER_SITE}), 'Feed ' || f, '{}'::jsonb, 'admin', 'admin', now(), now()
       FROM generate_series(1, ?) AS f`,
    [feeds],
  );
  await knex.raw(
    `INSERT INTO feed_syncs (feed_id, client_key, state, next_sync_at, finished_at, last_success_at)
     SELECT id, client_key, 'ok', now() + random() * interval '1 hour' + interval '1 minute', now(), now()
       FROM feeds`,
  );
  await knex.raw(
    `UPDATE feed_syncs SET state = 'running', started_at = now(), heartbeat_at = now()
      WHERE feed_id IN (SELECT feed_id FROM feed_syncs ORDER BY feed_id DESC LIMIT 5)`,
  );
  // Two people's personal URLs per feed, and every site's access refreshed a moment ago: the steady state,
  // in which the tick's access-refresh query must find nothing without reading every URL.
  await knex.raw(
    `INSERT INTO feed_subscriptions (feed_id, client_key, account_id, token_nonce, token_hash, created_at)
     SELECT f.id, f.client_key, 'person-' || p, 'nonce', f.id || '-' || p, now()
       FROM feeds f CROSS JOIN generate_series(1, ?) AS p`,
    [PERSONAL_URLS_PER_FEED],
  );
  await knex.raw(
    `INSERT INTO access_refreshes (client_key, refreshed_at) SELECT client_key, now() FROM installations`,
  );
  await markDue(knex, due);
  await knex.raw('ANALYZE');
}

/** The same `due` feeds fall due again (the tick before left them queued). */
async function markDue(knex: Knex, due: number): Promise<void> {
  await knex.raw(
    `UPDATE feed_syncs SET state = 'ok', next_sync_at = now() - interval '1 minute'
      WHERE feed_id IN (SELECT feed_id FROM feed_syncs WHERE state <> 'running' ORDER BY feed_id LIMIT ?)`,
    [due],
  );
}

/** The scans in the claim query's plan and the rows they returned: the tick's own SQL under EXPLAIN ANALYZE. */
async function explainClaim(db: Database): Promise<{ plan: string; rows: number }> {
  let captured: { sql: string; bindings: readonly unknown[] } | null = null;
  const listener = (query: { sql: string; bindings?: readonly unknown[] }) => {
    if (query.sql.startsWith('WITH due AS')) captured = { sql: query.sql, bindings: query.bindings ?? [] };
  };
  db.knex.on('query', listener);
  let lines: string[] = [];
  try {
    await db.knex
      .transaction(async (trx) => {
        // Run once to capture the SQL, then undone, so the EXPLAIN claims the same due feeds.
        await trx.raw('SAVEPOINT before_claim');
        await new FeedSyncRepository(trx).claimDue(CLOUD, new Date(), 500, LIVENESS);
        await trx.raw('ROLLBACK TO SAVEPOINT before_claim');
        const claim = captured;
        if (!claim) throw new Error('the claim query was not seen');
        const explained = await trx.raw<{ rows: { 'QUERY PLAN': string }[] }>(
          `EXPLAIN (ANALYZE, FORMAT TEXT) ${claim.sql.replace(/\$\d+/g, '?')}`,
          claim.bindings as Knex.RawBinding[],
        );
        lines = explained.rows.map((row) => row['QUERY PLAN']);
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
  } finally {
    db.knex.off('query', listener);
  }
  // Rows a scan on feed_syncs returned plus those its filter dropped: what it read.
  let rows = 0;
  let inFeedSyncsScan = false;
  for (const line of lines) {
    if (/Scan/.test(line)) {
      inFeedSyncsScan = /feed_syncs/.test(line);
      if (inFeedSyncsScan) rows += Number(/actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/.exec(line)?.[1] ?? 0);
    } else if (inFeedSyncsScan) rows += Number(/Rows Removed by Filter: (\d+)/.exec(line)?.[1] ?? 0);
  }
  const scans = lines.filter((line) => /Scan/.test(line) && /feed_syncs/.test(line));
  const names = scans.map((line) =>
    line
      .trim()
      .replace(/^->\s*/, '')
      .replace(/\s+\(cost.*$/, ''),
  );
  return { plan: [...new Set(names)].join('; '), rows };
}

class Rollback extends Error {}

/**
 * The scheduler's tick (the real task, its real queries) against `feeds` feeds of which `due` are due: its
 * cost should follow the due feeds and the sites, not the feeds that are not due.
 */
export async function runTickBench(
  sizes: readonly number[],
  due: number,
  runs: number,
): Promise<TickBenchRow[]> {
  const rows: TickBenchRow[] = [];
  for (const feeds of sizes) {
    const database = await createScaleDatabase('tick');
    const db = await openDatabase(
      { url: database.url, embeddedDataDir: null },
      createLogger({ level: 'silent' }),
    );
    try {
      await seed(db.knex, feeds, due);
      const queued = { n: 0 };
      const tick = scheduleDueFeedsTask({
        scope: CLOUD,
        syncs: new FeedSyncRepository(db.knex),
        access: new AccessRepository(db.knex),
        personalDataReports: new PersonalDataReportRepository(db.knex),
        queue: countingQueue(queued),
        now: () => new Date(),
        liveness: LIVENESS,
      });
      const helpers = { logger: { info: () => undefined } } as unknown as Parameters<typeof tick>[1];
      const times: number[] = [];
      let queuedTotal = 0;
      for (let run = 0; run < runs; run++) {
        queued.n = 0;
        const started = performance.now();
        await tick({}, helpers);
        times.push(performance.now() - started);
        queuedTotal += queued.n;
        await markDue(db.knex, due);
      }
      const explained = await explainClaim(db);
      times.sort((a, b) => a - b);
      rows.push({
        feeds,
        sites: Math.ceil(feeds / FEEDS_PER_SITE),
        personalUrls: feeds * PERSONAL_URLS_PER_FEED,
        due,
        runs,
        tickMedianMs: round(percentile(times, 50), 2),
        tickP99Ms: round(percentile(times, 99), 2),
        queuedPerTick: round(queuedTotal / runs, 1),
        claimPlan: explained.plan,
        claimRowsScanned: explained.rows,
      });
    } finally {
      await db.close();
      await database.drop();
    }
  }
  return rows;
}
