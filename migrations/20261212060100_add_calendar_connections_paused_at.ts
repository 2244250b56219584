import type { Knex } from 'knex';

/**
 * When a push last stopped on purpose with changes left (budget spent, or its share of changes done):
 * those changes were never sent, so the next push need not look for them at the provider first.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calendar_connections', (t) => {
    t.timestamp('paused_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calendar_connections', (t) => {
    t.dropColumn('paused_at');
  });
}
