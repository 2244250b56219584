import type { Knex } from 'knex';

/** When Jira last confirmed that a Data Center session's user is still active (null: not since sign-in). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('datacenter_sessions', (t) => {
    t.timestamp('checked_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('datacenter_sessions', (t) => {
    t.dropColumn('checked_at');
  });
}
