import type { Knex } from 'knex';

/**
 * When Jira last reported a change on the site while this feed's sync was running: that sync may have read
 * the issue before the change, so it ends due again instead of an interval later.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_syncs', (t) => {
    t.timestamp('change_seen_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_syncs', (t) => {
    t.dropColumn('change_seen_at');
  });
}
