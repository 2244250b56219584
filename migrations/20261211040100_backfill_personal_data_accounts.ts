import type { Knex } from 'knex';

/**
 * Accounts stored before the registry existed. Where the fetch time is unknown (events) the feed's
 * creation stands in: older than the real fetch, so Atlassian errs towards answering `updated`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    INSERT INTO personal_data_accounts (client_key, account_id, fetched_at)
    SELECT client_key, account_id, min(fetched_at) FROM (
      SELECT client_key, created_by_account_id AS account_id, created_at AS fetched_at FROM feeds
      UNION ALL SELECT client_key, updated_by_account_id, updated_at FROM feeds
      UNION ALL SELECT client_key, run_as_account_id, updated_at FROM feeds WHERE run_as_account_id IS NOT NULL
      UNION ALL SELECT client_key, account_id, created_at FROM feed_subscriptions WHERE account_id IS NOT NULL
      UNION ALL SELECT client_key, account_id, refreshed_at FROM jira_users
      UNION ALL SELECT a.client_key, a.actor, r.refreshed_at FROM jira_role_actors a
        JOIN access_refreshes r ON r.client_key = a.client_key
        WHERE a.actor_kind = 'user' AND r.refreshed_at IS NOT NULL
      UNION ALL SELECT e.client_key, unnest(e.user_account_ids), f.created_at FROM feed_events e
        JOIN feeds f ON f.id = e.feed_id
    ) held
    WHERE account_id <> 'erased-account'
    GROUP BY client_key, account_id
    ON CONFLICT (client_key, account_id) DO NOTHING
  `);
}

export async function down(): Promise<void> {}
