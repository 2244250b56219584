import type { Knex } from 'knex';

/**
 * What Jira said, as read by the app user at the last refresh, about the people holding personal feed
 * URLs (active? which groups?) and about who holds which project role. Feed requests are answered from
 * here, never from Jira.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('jira_users', (t) => {
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('account_id').notNullable();
    t.boolean('active').notNullable();
    t.specificType('group_names', 'text[]').notNullable();
    t.timestamp('refreshed_at', { useTz: true }).notNullable();
    t.primary(['client_key', 'account_id']);
  });
  await knex.schema.createTable('jira_role_actors', (t) => {
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('role_id').notNullable();
    t.text('project_id').notNullable();
    t.text('actor_kind').notNullable().checkIn(['user', 'group']);
    t.text('actor').notNullable();
    t.primary(['client_key', 'role_id', 'project_id', 'actor_kind', 'actor']);
  });
  await knex.schema.createTable('access_refreshes', (t) => {
    t.text('client_key').primary().references('client_key').inTable('installations').onDelete('CASCADE');
    t.timestamp('refreshed_at', { useTz: true });
    // The roles whose actors were read, so a feed naming a new role triggers a fresh read.
    t.specificType('role_ids', 'text[]').notNullable().defaultTo('{}');
    t.text('error_code');
    t.text('error_message');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('access_refreshes');
  await knex.schema.dropTable('jira_role_actors');
  await knex.schema.dropTable('jira_users');
}
