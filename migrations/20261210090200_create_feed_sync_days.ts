import type { Knex } from 'knex';

/** Jira requests each feed's syncs made per UTC day: which feed spends the site's quota. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feed_sync_days', (t) => {
    t.uuid('feed_id').notNullable();
    t.text('client_key').notNullable();
    t.foreign(['client_key', 'feed_id'])
      .references(['client_key', 'id'])
      .inTable('feeds')
      .onDelete('CASCADE');
    t.date('day').notNullable();
    t.integer('jira_requests').notNullable().defaultTo(0);
    t.integer('syncs').notNullable().defaultTo(0);
    t.primary(['feed_id', 'day']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feed_sync_days');
}
