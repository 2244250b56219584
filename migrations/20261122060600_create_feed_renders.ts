import type { Knex } from 'knex';

/** Pre-rendered iCalendar bytes per feed variant, so a feed request never renders or calls Jira. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feed_renders', (t) => {
    t.uuid('feed_id').notNullable();
    t.text('client_key').notNullable();
    t.foreign(['client_key', 'feed_id'])
      .references(['client_key', 'id'])
      .inTable('feeds')
      .onDelete('CASCADE');
    t.text('variant').notNullable();
    t.binary('body').notNullable();
    t.binary('body_gzip').notNullable();
    t.text('etag').notNullable();
    t.text('data_hash').notNullable();
    t.timestamp('last_modified', { useTz: true }).notNullable();
    t.integer('event_count').notNullable();
    t.primary(['feed_id', 'variant']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feed_renders');
}
