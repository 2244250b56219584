import type { Knex } from 'knex';

/** What each live calendar holds at its provider: our UID, the provider's event id, and the digest pushed. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('calendar_pushed_events', (t) => {
    t.uuid('connection_id')
      .notNullable()
      .references('id')
      .inTable('calendar_connections')
      .onDelete('CASCADE');
    t.text('client_key').notNullable();
    t.text('uid').notNullable();
    t.text('remote_id').notNullable();
    t.text('digest').notNullable();
    t.primary(['connection_id', 'uid']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('calendar_pushed_events');
}
