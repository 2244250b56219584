import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { PersonalDataAccountRepository } from '../../src/db/personal-data-account-repository.js';
import { PrivacyRepository } from '../../src/db/privacy-repository.js';
import { type CapturedSql, capturingSql, explainAnalyze, rowsRead } from '../support/query-plans.js';
import { insertSites } from '../support/seed-sites.js';
import { openTestDatabase } from '../support/test-database.js';

const SITES = 100;
const FEEDS_PER_SITE = 4;
const EVENTS_PER_FEED = 250;
const SITE = 'event-site-1';
const SITE_EVENTS = FEEDS_PER_SITE * EVENTS_PER_FEED;
const NAMED = 'person-named';

/**
 * 100 sites × 4 feeds × 250 events (100,000 rows), every tenth event of each site naming one person.
 * feed_events is keyed by (feed_id, uid) and has no index that starts with the site: a query that asks for a
 * site's events by client_key alone reads every site's. At the scale bench's 1,000 sites that was 2.8 million
 * rows (2.7 GB) for each site's Personal Data Reporting batch.
 */
async function seed(knex: Knex): Promise<void> {
  await insertSites(knex, 'event-site-', SITES);
  await knex.raw(
    `INSERT INTO feeds (client_key, name, config, created_by_account_id, updated_by_account_id, created_at, updated_at)
     SELECT i.client_key, 'Feed ' || n, '{}'::jsonb, 'admin', 'admin', now(), now()
       FROM installations i CROSS JOIN generate_series(1, ?) AS n`,
    [FEEDS_PER_SITE],
  );
  await knex.raw(
    `INSERT INTO feed_events (feed_id, client_key, uid, issue_id, project_ids, user_account_ids, event)
     SELECT f.id, f.client_key, e || '-due@x', e::text, '{10000}',
            CASE WHEN e % 10 = 0 THEN ARRAY[?, 'person-other'] ELSE ARRAY['person-other'] END, '{}'::jsonb
       FROM feeds f CROSS JOIN generate_series(1, ?) AS e`,
    [NAMED, EVENTS_PER_FEED],
  );
  // Accounts the registry holds for the site: one its events name, one nothing holds any more.
  await knex('personal_data_accounts').insert(
    [NAMED, 'person-gone'].map((accountId) => ({
      client_key: SITE,
      account_id: accountId,
      fetched_at: new Date(),
    })),
  );
  for (const table of ['installations', 'feeds', 'feed_events', 'personal_data_accounts'])
    await knex.raw(`ANALYZE ${table}`);
}

class RolledBack extends Error {}

/** Runs a statement that writes for real under EXPLAIN ANALYZE, then undoes it. */
async function explainRolledBack(knex: Knex, query: CapturedSql) {
  let plan: Awaited<ReturnType<typeof explainAnalyze>> | null = null;
  await knex
    .transaction(async (trx) => {
      plan = await explainAnalyze(trx, query);
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  if (!plan) throw new Error('no plan');
  return plan;
}

describe("Queries over one site's stored events, among many sites", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase();
    await seed(db.knex);
  }, 180_000);
  afterAll(() => db.close());

  it("Personal Data Reporting's look-up of the accounts a site holds reads that site's events only", async () => {
    const { query } = await capturingSql(
      db.knex,
      (sql) => sql.includes('DELETE FROM personal_data_accounts'),
      () => new PersonalDataAccountRepository(db.knex).pruneUnheld(SITE),
    );
    // The look-up ran for real above and pruned the account nothing holds; explained, it runs once more.
    const plan = await explainRolledBack(db.knex, query);
    expect(rowsRead(plan, 'feed_events'), JSON.stringify(plan)).toBeGreaterThan(0);
    expect(rowsRead(plan, 'feed_events'), JSON.stringify(plan)).toBeLessThanOrEqual(SITE_EVENTS);
    const held = await db.knex('personal_data_accounts').where({ client_key: SITE }).pluck('account_id');
    expect(held).toEqual([NAMED]);
  }, 60_000);

  it("the privacy page's count of events naming a person reads that site's events only", async () => {
    const { result, query } = await capturingSql(
      db.knex,
      (sql) => sql.includes('FROM feed_events e'),
      () => new PrivacyRepository(db.knex).footprint(SITE, NAMED),
    );
    expect(result.eventsNaming.reduce((sum, feed) => sum + feed.count, 0)).toBe(SITE_EVENTS / 10);
    const plan = await explainAnalyze(db.knex, query);
    expect(rowsRead(plan, 'feed_events'), JSON.stringify(plan)).toBeLessThanOrEqual(SITE_EVENTS);
  }, 60_000);

  it("erasing a closed account reads and rewrites that site's events only, and leaves other sites' alone", async () => {
    const queries: CapturedSql[] = [];
    const listener = (query: { sql: string; bindings?: readonly unknown[] }) => {
      if (/feed_events/.test(query.sql)) queries.push({ sql: query.sql, bindings: query.bindings ?? [] });
    };
    db.knex.on('query', listener);
    try {
      await new PrivacyRepository(db.knex).erase(SITE, NAMED, 'erased-account');
    } finally {
      db.knex.off('query', listener);
    }
    expect(queries).toHaveLength(2);
    for (const query of queries) {
      const plan = await explainRolledBack(db.knex, query);
      expect(rowsRead(plan, 'feed_events'), JSON.stringify(plan)).toBeLessThanOrEqual(SITE_EVENTS);
    }
    const naming = await db
      .knex('feed_events')
      .whereRaw('? = ANY(user_account_ids)', [NAMED])
      .count({ n: '*' });
    expect(Number(naming[0]!.n)).toBe(((SITES - 1) * SITE_EVENTS) / 10);
    const onSite = await db
      .knex('feed_events')
      .where({ client_key: SITE })
      .whereRaw('? = ANY(user_account_ids)', [NAMED])
      .count({ n: '*' });
    expect(Number(onSite[0]!.n)).toBe(0);
  }, 60_000);
});
