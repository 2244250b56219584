import type { Knex } from 'knex';

/** One row per feed: when it syncs next and how the last sync went. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feed_syncs', (t) => {
    t.uuid('feed_id').primary();
    t.text('client_key').notNullable();
    t.foreign(['client_key', 'feed_id'])
      .references(['client_key', 'id'])
      .inTable('feeds')
      .onDelete('CASCADE');
    t.text('state')
      .notNullable()
      .defaultTo('pending')
      .checkIn(['pending', 'queued', 'running', 'ok', 'error']);
    t.timestamp('next_sync_at', { useTz: true }).notNullable();
    t.timestamp('requested_at', { useTz: true });
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.timestamp('last_success_at', { useTz: true });
    t.integer('duration_ms');
    t.integer('issue_count');
    t.integer('event_count');
    t.integer('omitted_count');
    t.jsonb('omitted');
    t.boolean('cap_reached').notNullable().defaultTo(false);
    t.integer('progress_issues');
    t.text('error_code');
    t.text('error_message');
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.text('data_hash');
    t.index(['next_sync_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feed_syncs');
}
