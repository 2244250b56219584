import type { Database } from '../../src/db/database.js';

const BOOKKEEPING = new Set(['knex_migrations', 'knex_migrations_lock']);

/**
 * Every row of every table of the app (and the jobs queued for it), in a comparable form: a request
 * that changed anything at all shows up as a difference, whichever table a new feature added.
 */
export async function everyStoredRow(db: Pick<Database, 'knex'>): Promise<Record<string, string[]>> {
  const { knex } = db;
  const tables = (await knex
    .select('table_name')
    .from('information_schema.tables')
    .whereRaw('table_schema = current_schema()')
    .andWhere('table_type', 'BASE TABLE')) as { table_name: string }[];
  const state: Record<string, string[]> = {};
  for (const { table_name: table } of tables) {
    if (BOOKKEEPING.has(table)) continue;
    const rows = (await knex(table).select('*')) as unknown[];
    state[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  // Each deployment queues its jobs in a schema of its own (graphile_worker, graphile_worker_dc_…).
  const queues = (await knex
    .select('table_schema')
    .from('information_schema.tables')
    .where({ table_name: 'jobs' })
    .andWhereLike('table_schema', 'graphile\\_worker%')
    .orderBy('table_schema')) as { table_schema: string }[];
  if (queues.length === 0) throw new Error('no graphile-worker queue in this database: jobs would go unseen');
  for (const { table_schema: schema } of queues) {
    const jobs = await knex.raw<{ rows: unknown[] }>(
      `SELECT task_identifier, key, run_at, attempts FROM ${JSON.stringify(schema)}.jobs`,
    );
    state[`${schema}.jobs`] = jobs.rows.map((row) => JSON.stringify(row)).sort();
  }
  return state;
}
