import type { Knex } from 'knex';

/** One row per Jira site that ever installed the app; uninstall keeps the row as a tombstone without secrets. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('installations', (t) => {
    t.text('client_key').primary();
    t.text('base_url').notNullable();
    t.text('display_url');
    t.text('product_type').notNullable().defaultTo('jira');
    t.text('description');
    t.text('server_version');
    t.text('plugins_version');
    t.text('oauth_client_id');
    t.text('shared_secret');
    t.text('state').notNullable().checkIn(['installed', 'uninstalled']);
    t.timestamp('installed_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('uninstalled_at', { useTz: true });
  });
  await knex.raw(
    `ALTER TABLE installations ADD CONSTRAINT installations_secret_state
       CHECK ((state = 'installed') = (shared_secret IS NOT NULL))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('installations');
}
