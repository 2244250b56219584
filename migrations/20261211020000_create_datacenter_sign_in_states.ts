import type { Knex } from 'knex';

/**
 * The `state` of each Data Center sign-in that came back from Jira, kept until the attempt would have
 * expired anyway: a callback whose state is already here is a replay. Only its SHA-256 is stored.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('datacenter_sign_in_states', (t) => {
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.text('state_sha256').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['client_key', 'state_sha256']);
    t.index(['client_key', 'expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('datacenter_sign_in_states');
}
