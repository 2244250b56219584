import type { Knex } from 'knex';

/**
 * `count` installed Connect sites straight into the table, keyed `${prefix}${n}` for n = first … first+count-1:
 * for suites that measure queries among many tenants, where installing each through a door would take minutes.
 */
export async function insertSites(knex: Knex, prefix: string, count: number, first = 1): Promise<void> {
  await knex.raw(
    `INSERT INTO installations (client_key, base_url, shared_secret, state, installed_at, updated_at)
     SELECT ? || s, 'https://' || ? || s || '.atlassian.net', 'secret', 'installed', now(), now()
       FROM generate_series(?::int, ?::int) AS s`,
    [prefix, prefix, first, first + count - 1],
  );
}
