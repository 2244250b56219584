import type { Knex } from 'knex';

/**
 * The events of an issue, sprint or version that the size budget left out at the last sync, as the fit ranks
 * them: UID, start, end, whether all-day, and a hash of the event as the feed would store it. No text of an
 * event the feed does not show: an incremental sync ranks them again, and reads an issue again only when the
 * fit now wants one of its events.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_sync_items', (t) => {
    t.jsonb('cut');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_sync_items', (t) => {
    t.dropColumn('cut');
  });
}
