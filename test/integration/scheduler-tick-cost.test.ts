import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { AccessRepository } from '../../src/db/access-repository.js';
import { FeedSyncRepository } from '../../src/db/feed-sync-repository.js';
import { capturingSql, explainAnalyze, type PlanNode, rowsRead } from '../support/query-plans.js';
import { insertSites } from '../support/seed-sites.js';
import { openTestDatabase } from '../support/test-database.js';

const FEEDS = 10_000;
const DUE = 5;
const LIVENESS = { heartbeatStaleMs: 60_000, queuedStaleMs: 30 * 60_000 };

const feedSyncRowsRead = (node: PlanNode) => rowsRead(node, 'feed_syncs');

function findSubplan(node: PlanNode, name: string): PlanNode | null {
  if (node['Subplan Name'] === name) return node;
  for (const child of node.Plans ?? []) {
    const found = findSubplan(child, name);
    if (found) return found;
  }
  return null;
}

async function seedFeeds(knex: Knex): Promise<void> {
  await insertSites(knex, 'tick-site-', FEEDS / 10);
  await knex.raw(
    `INSERT INTO feeds (client_key, name, config, created_by_account_id, updated_by_account_id, created_at, updated_at)
     SELECT 'tick-site-' || (1 + (f - 1) / 10), 'Feed ' || f, '{}'::jsonb, 'admin', 'admin', now(), now()
       FROM generate_series(1, ?) AS f`,
    [FEEDS],
  );
  // Synced a moment ago, next due within the hour; a handful overdue.
  await knex.raw(
    `INSERT INTO feed_syncs (feed_id, client_key, state, next_sync_at, last_success_at)
     SELECT id, client_key, 'ok', now() + interval '1 minute' + random() * interval '1 hour', now() FROM feeds`,
  );
  await knex.raw(
    `UPDATE feed_syncs SET next_sync_at = now() - interval '1 minute'
      WHERE feed_id IN (SELECT feed_id FROM feed_syncs ORDER BY feed_id LIMIT ?)`,
    [DUE],
  );
  await knex.raw('ANALYZE feed_syncs');
  await knex.raw('ANALYZE installations');
}

class RolledBack extends Error {}

/** A database of the suite's own, seeded once for its tests. */
function seededDatabase(seed: (knex: Knex) => Promise<void>): () => Database {
  let db: Database | null = null;
  beforeAll(async () => {
    db = await openTestDatabase();
    await seed(db.knex);
  }, 120_000);
  afterAll(() => db?.close());
  return () => {
    if (!db) throw new Error('the database is not open');
    return db;
  };
}

describe('The scheduler tick among many feeds that are not due', () => {
  const database = seededDatabase(seedFeeds);

  it("claims the due feeds without reading the others: the claim's cost follows the due feeds, not all feeds", async () => {
    const db = database();
    let plan: PlanNode | null = null;
    let claimed = 0;
    await db.knex
      .transaction(async (trx) => {
        await trx.raw('SAVEPOINT before_claim');
        const { result, query } = await capturingSql(
          db.knex,
          (sql) => sql.startsWith('WITH due AS'),
          () => new FeedSyncRepository(trx).claimDue({ edition: 'cloud' }, new Date(), 500, LIVENESS),
        );
        claimed = result.length;
        await trx.raw('ROLLBACK TO SAVEPOINT before_claim');
        plan = await explainAnalyze(trx, query);
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });

    expect(claimed).toBe(DUE);
    const due = findSubplan(plan!, 'CTE due');
    expect(due, JSON.stringify(plan)).not.toBeNull();
    // A scan of every feed reads all 10,000; through the indexes it reads the due and in-flight rows.
    expect(feedSyncRowsRead(due!)).toBeLessThan(1000);
  }, 60_000);
});

const SITES = 1000;
const PERSONAL_URLS_PER_SITE = 50;

/**
 * 1,000 sites with 50 personal URLs each, all refreshed a moment ago but three. Two more are overdue but
 * have nothing to refresh for: one only a shared URL, one only a revoked personal URL.
 */
async function seedPersonalUrls(knex: Knex): Promise<void> {
  await insertSites(knex, 'url-site-', SITES);
  await knex.raw(
    `INSERT INTO feeds (client_key, name, config, created_by_account_id, updated_by_account_id, created_at, updated_at)
     SELECT client_key, 'Team', '{}'::jsonb, 'admin', 'admin', now(), now() FROM installations`,
  );
  await knex.raw(
    `INSERT INTO feed_subscriptions (feed_id, client_key, account_id, token_nonce, token_hash, created_at)
     SELECT f.id, f.client_key, 'person-' || p, 'n', f.client_key || '-' || p, now()
       FROM feeds f CROSS JOIN generate_series(1, ?) AS p
      WHERE f.client_key NOT IN ('url-site-4', 'url-site-5')`,
    [PERSONAL_URLS_PER_SITE],
  );
  await knex.raw(
    `INSERT INTO feed_subscriptions (feed_id, client_key, account_id, token_nonce, token_hash, created_at, revoked_at)
     SELECT f.id, f.client_key, CASE WHEN f.client_key = 'url-site-5' THEN 'person-1' END, 'n',
            f.client_key || '-only', now(), CASE WHEN f.client_key = 'url-site-5' THEN now() END
       FROM feeds f WHERE f.client_key IN ('url-site-4', 'url-site-5')`,
  );
  await knex.raw(
    `INSERT INTO access_refreshes (client_key, refreshed_at)
     SELECT client_key, CASE WHEN client_key IN ('url-site-1', 'url-site-2', 'url-site-3', 'url-site-4', 'url-site-5')
                             THEN now() - interval '1 day' ELSE now() END
       FROM installations`,
  );
  for (const table of ['installations', 'feed_subscriptions', 'access_refreshes'])
    await knex.raw(`ANALYZE ${table}`);
}

describe('The access-refresh half of the tick among many personal URLs', () => {
  const database = seededDatabase(seedPersonalUrls);

  it("finds the overdue sites with personal URLs without reading every site's URLs", async () => {
    const db = database();
    const before = new Date(Date.now() - 60 * 60 * 1000);
    const { result: due, query } = await capturingSql(
      db.knex,
      (sql) => sql.includes('access_refreshes'),
      () => new AccessRepository(db.knex).sitesDueForRefresh({ edition: 'cloud' }, before),
    );
    expect(due.sort()).toEqual(['url-site-1', 'url-site-2', 'url-site-3']);
    const plan = await explainAnalyze(db.knex, query);
    // A Data Center deployment's tick asks for its own installation only; Cloud's never names it.
    await db.knex('installations').where({ client_key: 'url-site-2' }).update({
      door: 'datacenter',
      shared_secret: null,
      api_base_url: 'https://jira.example',
    });
    const access = new AccessRepository(db.knex);
    expect(
      await access.sitesDueForRefresh({ edition: 'datacenter', clientKey: 'url-site-2' }, before),
    ).toEqual(['url-site-2']);
    expect(
      await access.sitesDueForRefresh({ edition: 'datacenter', clientKey: 'url-site-9' }, before),
    ).toEqual([]);
    expect((await access.sitesDueForRefresh({ edition: 'cloud' }, before)).sort()).toEqual([
      'url-site-1',
      'url-site-3',
    ]);
    // Reading every site's personal URLs is 50,002 rows; asking the five overdue sites is a handful.
    expect(rowsRead(plan, 'feed_subscriptions'), JSON.stringify(plan)).toBeLessThan(1000);
  }, 60_000);
});
