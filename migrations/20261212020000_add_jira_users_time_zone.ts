import type { Knex } from 'knex';

/**
 * A user's Jira profile time zone, cached with their memberships: the day all-day events fall on in their
 * personal calendars. `time_zone_sequence` counts the changes seen, so their events' SEQUENCE rises when
 * the zone moves them; `time_zone_changed_at` is when the last change was seen.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('jira_users', (t) => {
    t.text('time_zone');
    t.integer('time_zone_sequence').notNullable().defaultTo(0);
    t.timestamp('time_zone_changed_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('jira_users', (t) => {
    t.dropColumn('time_zone_changed_at');
    t.dropColumn('time_zone_sequence');
    t.dropColumn('time_zone');
  });
}
