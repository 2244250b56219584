import type { Knex } from 'knex';

/** Jira requests a feed's syncs made on one UTC day (`YYYY-MM-DD`). */
export type RequestDay = { feedId: string; day: string; jiraRequests: number; syncs: number };

/** `feed_sync_days`: how many syncs each feed ran, and Jira requests they made, per UTC day. */
export class FeedSyncDayRepository {
  constructor(private readonly knex: Knex) {}

  /** Adds a sync's Jira requests to the feed's count for the UTC day it finished on. */
  async countRequests(
    clientKey: string,
    feedId: string,
    at: Date,
    requests: number,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<void> {
    await db.raw(
      `INSERT INTO feed_sync_days (client_key, feed_id, day, jira_requests, syncs)
       SELECT client_key, feed_id, ?::date, ?, 1 FROM feed_syncs WHERE client_key = ? AND feed_id = ?
       ON CONFLICT (feed_id, day) DO UPDATE
         SET jira_requests = feed_sync_days.jira_requests + EXCLUDED.jira_requests, syncs = feed_sync_days.syncs + 1`,
      [at.toISOString().slice(0, 10), requests, clientKey, feedId],
    );
  }

  /** Requests per feed per day of the site, from `sinceDay` (`YYYY-MM-DD`) on, oldest first. */
  async listRequestDays(clientKey: string, sinceDay: string): Promise<RequestDay[]> {
    const result = await this.knex.raw<{
      rows: { feed_id: string; day: string; jira_requests: number; syncs: number }[];
    }>(
      `SELECT feed_id, to_char(day, 'YYYY-MM-DD') AS day, jira_requests, syncs FROM feed_sync_days
        WHERE client_key = ? AND day >= ?::date ORDER BY day, feed_id`,
      [clientKey, sinceDay],
    );
    return result.rows.map((row) => ({
      feedId: row.feed_id,
      day: row.day,
      jiraRequests: row.jira_requests,
      syncs: row.syncs,
    }));
  }
}
