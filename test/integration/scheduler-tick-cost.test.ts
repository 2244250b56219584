import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { FeedSyncRepository } from '../../src/db/feed-sync-repository.js';
import { openTestDatabase } from '../support/test-database.js';

const FEEDS = 10_000;
const DUE = 5;
const LIVENESS = { heartbeatStaleMs: 60_000, queuedStaleMs: 30 * 60_000 };

type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Subplan Name'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
};

/** Rows the scans of feed_syncs under `node` returned or filtered away: what they read. */
function feedSyncRowsRead(node: PlanNode): number {
  const own =
    node['Relation Name'] === 'feed_syncs'
      ? (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)
      : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + feedSyncRowsRead(child), 0);
}

function findSubplan(node: PlanNode, name: string): PlanNode | null {
  if (node['Subplan Name'] === name) return node;
  for (const child of node.Plans ?? []) {
    const found = findSubplan(child, name);
    if (found) return found;
  }
  return null;
}

async function seedFeeds(knex: Knex): Promise<void> {
  await knex.raw(
    `INSERT INTO installations (client_key, base_url, shared_secret, state, installed_at, updated_at)
     SELECT 'tick-site-' || s, 'https://tick-' || s || '.atlassian.net', 'secret', 'installed', now(), now()
       FROM generate_series(1, ?) AS s`,
    [FEEDS / 10],
  );
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

describe('The scheduler tick among many feeds that are not due', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase();
    await seedFeeds(db.knex);
  }, 120_000);
  afterAll(() => db.close());

  it("claims the due feeds without reading the others: the claim's cost follows the due feeds, not all feeds", async () => {
    let claimSql: { sql: string; bindings: readonly unknown[] } | null = null;
    const listener = (query: { sql: string; bindings?: readonly unknown[] }) => {
      if (query.sql.startsWith('WITH due AS')) claimSql = { sql: query.sql, bindings: query.bindings ?? [] };
    };
    db.knex.on('query', listener);
    let plan: PlanNode | null = null;
    let claimed = 0;
    await db.knex
      .transaction(async (trx) => {
        await trx.raw('SAVEPOINT before_claim');
        claimed = (
          await new FeedSyncRepository(trx).claimDue({ edition: 'cloud' }, new Date(), 500, LIVENESS)
        ).length;
        await trx.raw('ROLLBACK TO SAVEPOINT before_claim');
        const captured = claimSql;
        if (!captured) throw new Error('the claim query was not seen');
        const explained = await trx.raw<{ rows: { 'QUERY PLAN': [{ Plan: PlanNode }] }[] }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${captured.sql.replace(/\$\d+/g, '?')}`,
          captured.bindings as Knex.RawBinding[],
        );
        plan = explained.rows[0]!['QUERY PLAN'][0].Plan;
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
    db.knex.off('query', listener);

    expect(claimed).toBe(DUE);
    const due = findSubplan(plan!, 'CTE due');
    expect(due, JSON.stringify(plan)).not.toBeNull();
    // A scan of every feed reads all 10,000; through the indexes it reads the due and in-flight rows.
    expect(feedSyncRowsRead(due!)).toBeLessThan(1000);
  }, 60_000);
});
