import type { Knex } from 'knex';

/**
 * The scheduler's tick looks for due feeds (next_sync_at's index) and for queued or running syncs whose
 * process may have died. Without an index on the latter the planner reads every feed each tick; the
 * in-flight rows are few, so a partial index over them keeps the tick's cost with the due feeds.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX feed_syncs_in_flight_idx ON feed_syncs (state) WHERE state IN ('queued', 'running')`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX feed_syncs_in_flight_idx');
}
