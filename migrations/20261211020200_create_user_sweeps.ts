import type { Knex } from 'knex';

/**
 * Where each installation's sweep of stored users stands (Data Center: Jira is asked, user by user,
 * whether each still exists and is active): the last account id done in the pass under way, so a pass
 * survives restarts, and when the last pass finished.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_sweeps', (t) => {
    t.text('client_key').primary().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('cursor');
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_sweeps');
}
