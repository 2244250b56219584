import type { Knex } from 'knex';

/** Keys ACE stores beside the installation record (anything other than `clientInfo`). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('connect_store', (t) => {
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('key').notNullable();
    t.jsonb('value').notNullable();
    t.primary(['client_key', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('connect_store');
}
