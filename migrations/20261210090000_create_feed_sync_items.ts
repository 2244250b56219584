import type { Knex } from 'knex';

/**
 * What the last good sync of a feed saw, so the next one can read only what changed: per issue its id, key,
 * `updated`, the sprints and versions it carries and the omissions it caused; per sprint or version the
 * dates its event came from. Ids, timestamps and dates only: never more than the feed shows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feed_sync_items', (t) => {
    t.uuid('feed_id').notNullable();
    t.text('client_key').notNullable();
    t.foreign(['client_key', 'feed_id'])
      .references(['client_key', 'id'])
      .inTable('feeds')
      .onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('item_id').notNullable();
    t.text('item_key');
    t.timestamp('updated_at', { useTz: true });
    t.specificType('carries', 'text[]').notNullable().defaultTo('{}');
    t.specificType('omitted', 'text[]').notNullable().defaultTo('{}');
    t.jsonb('dates');
    t.primary(['feed_id', 'kind', 'item_id']);
    t.check("kind IN ('issue', 'sprint', 'version')");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feed_sync_items');
}
