import type { Knex } from 'knex';

/** The events a feed shows, as computed at its last good sync: only what the feed displays is kept. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feed_events', (t) => {
    t.uuid('feed_id').notNullable();
    t.text('client_key').notNullable();
    t.foreign(['client_key', 'feed_id'])
      .references(['client_key', 'id'])
      .inTable('feeds')
      .onDelete('CASCADE');
    t.text('uid').notNullable();
    t.text('issue_id');
    t.specificType('project_ids', 'text[]').notNullable();
    t.specificType('user_account_ids', 'text[]').notNullable();
    t.jsonb('event').notNullable();
    t.primary(['feed_id', 'uid']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feed_events');
}
