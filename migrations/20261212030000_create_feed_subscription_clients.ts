import type { Knex } from 'knex';

/**
 * How each feed URL is fetched, per calendar-app family (google, outlook, apple, other): first and last
 * fetch and a count. Only the family is kept; the User-Agent it was read from is not.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feed_subscription_clients', (t) => {
    t.uuid('subscription_id')
      .notNullable()
      .references('id')
      .inTable('feed_subscriptions')
      .onDelete('CASCADE');
    t.text('client_key').notNullable();
    t.text('family').notNullable();
    t.timestamp('first_fetched_at', { useTz: true }).notNullable();
    t.timestamp('last_fetched_at', { useTz: true }).notNullable();
    t.integer('fetch_count').notNullable();
    t.primary(['subscription_id', 'family']);
    t.index(['client_key', 'last_fetched_at']);
  });
  await knex.raw(
    `ALTER TABLE feed_subscription_clients ADD CONSTRAINT feed_subscription_clients_family
       CHECK (family IN ('google', 'outlook', 'apple', 'other'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feed_subscription_clients');
}
