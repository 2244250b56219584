import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feeds', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('name').notNullable();
    t.jsonb('config').notNullable();
    t.text('created_by_account_id').notNullable();
    t.text('updated_by_account_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    // Children reference (client_key, id) so no row can ever hang under another tenant's feed.
    t.unique(['client_key', 'id']);
    t.index(['client_key', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feeds');
}
