import type { Knex } from 'knex';

/**
 * A person's live calendar: one personal calendar (feed + calendar name) written into their own calendar
 * at a provider. The refresh token is AES-256-GCM-sealed under TOKEN_ENCRYPTION_KEY, bound to the row
 * (client key, account, connection id), and erased on disconnect. The subscription is not a foreign key:
 * a connection outlives its URL long enough to take the pushed events back out.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('calendar_connections', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('account_id').notNullable();
    t.uuid('feed_id').notNullable();
    t.text('calendar').notNullable();
    t.uuid('subscription_id');
    t.text('provider').notNullable();
    t.text('remote_calendar_id');
    t.binary('refresh_token_sealed');
    /** live | broken (the grant was revoked: reconnect) | ended (access lost: the events were taken out). */
    t.text('state').notNullable();
    t.text('state_reason');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_push_at', { useTz: true });
    t.text('last_error');
    t.timestamp('last_error_at', { useTz: true });
    t.integer('event_count').notNullable().defaultTo(0);
    t.integer('pending_count').notNullable().defaultTo(0);
    t.unique(['client_key', 'account_id', 'feed_id', 'calendar', 'provider']);
    t.index(['client_key', 'feed_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('calendar_connections');
}
