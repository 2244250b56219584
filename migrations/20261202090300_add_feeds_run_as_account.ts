import type { Knex } from 'knex';

/**
 * Whose Jira rights a feed's sync runs with, where the edition has no app user (Data Center): its
 * creator, or the administrator who took it over. Null means the creator.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feeds', (t) => {
    t.text('run_as_account_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feeds', (t) => {
    t.dropColumn('run_as_account_id');
  });
}
