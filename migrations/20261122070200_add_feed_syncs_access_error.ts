import type { Knex } from 'knex';

/** Access problems (e.g. the app user lacks project admin) are reported beside sync problems, not mixed in. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_syncs', (t) => {
    t.text('access_error_code');
    t.text('access_error_message');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_syncs', (t) => {
    t.dropColumn('access_error_code');
    t.dropColumn('access_error_message');
  });
}
