import type { Knex } from 'knex';

/** When the URL (as it is now) was first shown to or copied by its owner: null until then. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_subscriptions', (t) => {
    t.timestamp('url_shown_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_subscriptions', (t) => {
    t.dropColumn('url_shown_at');
  });
}
