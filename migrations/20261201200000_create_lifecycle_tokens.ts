import type { Knex } from 'knex';

/**
 * Lifecycle (install/uninstall) tokens the app has accepted, so that none is accepted twice and none
 * older than the newest one. Deliberately without a foreign key: the marks must outlive an uninstall,
 * or the uninstall token itself could be replayed. They hold no tenant data, only a hash and two times.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('lifecycle_tokens', (t) => {
    t.text('token_sha256').primary();
    t.text('client_key').notNullable();
    t.timestamp('issued_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['client_key', 'issued_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('lifecycle_tokens');
}
