import type { Knex } from 'knex';

/** Per personal URL: may it be served, and which part of the feed does it show (by project and issue). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('subscription_access', (t) => {
    t.uuid('subscription_id').primary().references('id').inTable('feed_subscriptions').onDelete('CASCADE');
    t.text('client_key').notNullable().references('client_key').inTable('installations').onDelete('CASCADE');
    t.boolean('allowed').notNullable();
    t.specificType('project_ids', 'text[]');
    t.specificType('issue_ids', 'text[]');
    t.text('variant');
    t.text('reason');
    t.timestamp('refreshed_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('subscription_access');
}
