import type { Knex } from 'knex';

/**
 * Where each site is in its Personal Data Reporting cycle: when the next batch may go (paced over the
 * cycle, or held by Atlassian's Retry-After or a back-off), the cycle Atlassian asked for, the last
 * answer or failure, and running counts for the admin page.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('personal_data_reports', (t) => {
    t.text('client_key').primary().references('client_key').inTable('installations').onDelete('CASCADE');
    t.integer('cycle_seconds').notNullable();
    t.timestamp('next_batch_at', { useTz: true }).notNullable();
    t.timestamp('throttled_until', { useTz: true });
    t.integer('failures').notNullable().defaultTo(0);
    t.timestamp('last_answered_at', { useTz: true });
    t.timestamp('last_failed_at', { useTz: true });
    t.integer('last_failure_status');
    t.text('last_failure_message');
    t.integer('accounts_reported').notNullable().defaultTo(0);
    t.integer('accounts_erased').notNullable().defaultTo(0);
    t.integer('accounts_refreshed').notNullable().defaultTo(0);
    t.index(['next_batch_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('personal_data_reports');
}
