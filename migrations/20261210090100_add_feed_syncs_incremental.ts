import type { Knex } from 'knex';

/**
 * Which kind each sync was and what it cost in Jira requests; and what an incremental sync needs to trust
 * the stored items: the configuration they were read with, the watermark, when the last full sync ran and
 * when the window next takes in an event it left out.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_syncs', (t) => {
    t.text('sync_kind');
    t.integer('jira_requests');
    t.integer('issues_fetched');
    t.text('basis_hash');
    t.timestamp('watermark_at', { useTz: true });
    t.timestamp('last_full_at', { useTz: true });
    t.timestamp('window_entry_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feed_syncs', (t) => {
    for (const column of [
      'sync_kind',
      'jira_requests',
      'issues_fetched',
      'basis_hash',
      'watermark_at',
      'last_full_at',
      'window_entry_at',
    ])
      t.dropColumn(column);
  });
}
