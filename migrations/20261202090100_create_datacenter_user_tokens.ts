import type { Knex } from 'knex';

/**
 * Each signed-in Jira Data Center user's OAuth 2.0 refresh token, AES-256-GCM-encrypted under
 * TOKEN_ENCRYPTION_KEY (the database never holds it in the clear). Feeds sync with their owner's token.
 * `refused_at` marks a token Jira no longer honours (revoked, expired, user deactivated).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('datacenter_user_tokens', (t) => {
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('account_id').notNullable();
    t.binary('refresh_token_encrypted').notNullable();
    t.text('scope').notNullable();
    t.timestamp('signed_in_at', { useTz: true }).notNullable();
    t.timestamp('refreshed_at', { useTz: true }).notNullable();
    t.timestamp('refused_at', { useTz: true });
    t.primary(['client_key', 'account_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('datacenter_user_tokens');
}
