import type { Knex } from 'knex';

/** The client family in feed_subscription_clients is all the app needs; raw User-Agent strings go. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_subscriptions', (t) => {
    t.dropColumn('last_user_agent');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_subscriptions', (t) => {
    t.text('last_user_agent');
  });
}
