import type { Knex } from 'knex';

/**
 * A connect in progress, between the provider's consent page and the app's callback: found by the SHA-256
 * of its `state`, used once, for minutes. The PKCE verifier is sealed like a token.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('calendar_connect_attempts', (t) => {
    t.text('state_sha256').primary();
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('account_id').notNullable();
    t.uuid('feed_id').notNullable();
    t.text('calendar').notNullable();
    t.text('provider').notNullable();
    t.binary('verifier_sealed').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('calendar_connect_attempts');
}
