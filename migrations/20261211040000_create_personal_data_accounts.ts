import type { Knex } from 'knex';

/**
 * Every Atlassian account id a site's data names, for Personal Data Reporting: the oldest time anything
 * held about it was fetched from Jira (the `updatedAt` Atlassian is asked about), when Atlassian last
 * answered for it, whether it was closed (never asked about again), and the batch it is leased to.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('personal_data_accounts', (t) => {
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('account_id').notNullable();
    t.timestamp('fetched_at', { useTz: true }).notNullable();
    // Atlassian said `updated`: the next write of fresh data resets fetched_at instead of keeping the oldest.
    t.timestamp('refresh_requested_at', { useTz: true });
    t.timestamp('reported_at', { useTz: true });
    t.timestamp('closed_at', { useTz: true });
    t.uuid('lease_id');
    t.timestamp('leased_until', { useTz: true });
    t.primary(['client_key', 'account_id']);
    t.index(['client_key', 'reported_at']);
    t.index(['client_key', 'lease_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('personal_data_accounts');
}
