import type { Knex } from 'knex';

/**
 * Secret feed URLs. The token itself is never stored: it is an HMAC of (id, nonce) under a server key,
 * and rows keep only the nonce and the token's SHA-256 for lookup.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feed_subscriptions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('feed_id').notNullable();
    t.text('client_key').notNullable();
    t.foreign(['client_key', 'feed_id'])
      .references(['client_key', 'id'])
      .inTable('feeds')
      .onDelete('CASCADE');
    t.text('account_id');
    t.text('calendar').notNullable().defaultTo('all');
    t.text('token_nonce').notNullable();
    t.text('token_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('rotated_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('last_fetched_at', { useTz: true });
    t.integer('fetch_count').notNullable().defaultTo(0);
    t.text('last_user_agent');
    t.index(['client_key', 'feed_id']);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX feed_subscriptions_one_live ON feed_subscriptions
       (feed_id, coalesce(account_id, ''), calendar) WHERE revoked_at IS NULL`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feed_subscriptions');
}
