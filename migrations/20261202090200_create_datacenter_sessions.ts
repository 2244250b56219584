import type { Knex } from 'knex';

/** Browser sessions of the Data Center edition's pages; only the SHA-256 of the session cookie is kept. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('datacenter_sessions', (t) => {
    t.text('id_sha256').primary();
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('account_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['client_key', 'account_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('datacenter_sessions');
}
