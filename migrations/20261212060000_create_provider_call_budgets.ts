import type { Knex } from 'knex';

/**
 * Token buckets that pace calls to calendar providers across every app process: one row per bucket
 * (a person at a provider, or the whole app at a provider), taken from under a row lock.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('provider_call_budgets', (t) => {
    t.text('bucket').primary();
    t.double('tokens').notNullable();
    t.timestamp('refilled_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('provider_call_budgets');
}
