import type { Knex } from 'knex';

/**
 * Installations arrive through two doors: Connect (shared secret) and Forge (cloud id and API base URL,
 * with a system token that rotates every few hours and so lives in a table of its own).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('installations', (t) => {
    t.text('door').notNullable().defaultTo('connect').checkIn(['connect', 'forge']);
    t.text('cloud_id');
    t.text('api_base_url');
  });
  await knex.raw('ALTER TABLE installations DROP CONSTRAINT installations_secret_state');
  await knex.raw(
    `ALTER TABLE installations ADD CONSTRAINT installations_credentials_state CHECK (
       CASE door
         WHEN 'connect' THEN (state = 'installed') = (shared_secret IS NOT NULL) AND cloud_id IS NULL AND api_base_url IS NULL
         ELSE shared_secret IS NULL AND (state = 'installed') = (cloud_id IS NOT NULL AND api_base_url IS NOT NULL)
       END)`,
  );
  await knex.schema.createTable('forge_system_tokens', (t) => {
    t.text('client_key').primary().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('token').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('forge_system_tokens');
  await knex.raw('ALTER TABLE installations DROP CONSTRAINT installations_credentials_state');
  await knex.raw("DELETE FROM installations WHERE door = 'forge'");
  await knex.raw(
    `ALTER TABLE installations ADD CONSTRAINT installations_secret_state
       CHECK ((state = 'installed') = (shared_secret IS NOT NULL))`,
  );
  await knex.schema.alterTable('installations', (t) => {
    t.dropColumn('door');
    t.dropColumn('cloud_id');
    t.dropColumn('api_base_url');
  });
}
