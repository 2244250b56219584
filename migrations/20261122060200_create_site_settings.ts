import type { Knex } from 'knex';

/** Per-site switches an admin can flip: error reporting and feed exports. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('site_settings', (t) => {
    t.text('client_key').primary().references('client_key').inTable('installations').onDelete('CASCADE');
    t.boolean('error_reporting_enabled').notNullable().defaultTo(true);
    t.boolean('exports_enabled').notNullable().defaultTo(true);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('site_settings');
}
