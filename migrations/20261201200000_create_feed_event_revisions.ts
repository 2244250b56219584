import type { Knex } from 'knex';

/**
 * Per event UID, the content a feed last showed, its revision (SEQUENCE) and when it last changed. Rows
 * outlive the event leaving the feed, so an event that comes back never shows a lower SEQUENCE.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feed_event_revisions', (t) => {
    t.uuid('feed_id').notNullable();
    t.text('client_key').notNullable();
    t.foreign(['client_key', 'feed_id'])
      .references(['client_key', 'id'])
      .inTable('feeds')
      .onDelete('CASCADE');
    t.text('uid').notNullable();
    t.text('content_hash').notNullable();
    t.integer('sequence').notNullable();
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.primary(['feed_id', 'uid']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feed_event_revisions');
}
