import type { Knex } from 'knex';

/** A running sync says it is alive every few seconds; one that stops saying so is taken over in a minute. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_syncs', (t) => {
    t.timestamp('heartbeat_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_syncs', (t) => {
    t.dropColumn('heartbeat_at');
  });
}
