import type { Knex } from 'knex';
import type { DeploymentScope } from '../domain/deployment.js';
import { inScopeSql } from './deployment-scope.js';
import type { FeedSyncStatus, OmittedIssues, SyncBasis, SyncKind, SyncState } from '../domain/feed.js';

type FeedSyncRow = {
  feed_id: string;
  client_key: string;
  state: SyncState;
  next_sync_at: Date;
  requested_at: Date | null;
  change_seen_at: Date | null;
  started_at: Date | null;
  heartbeat_at: Date | null;
  finished_at: Date | null;
  last_success_at: Date | null;
  duration_ms: number | null;
  issue_count: number | null;
  event_count: number | null;
  omitted_count: number | null;
  omitted: OmittedIssues | null;
  cap_reached: boolean;
  progress_issues: number | null;
  error_code: string | null;
  error_message: string | null;
  consecutive_failures: number;
  data_hash: string | null;
  access_error_code: string | null;
  access_error_message: string | null;
  sync_kind: SyncKind | null;
  jira_requests: number | null;
  issues_fetched: number | null;
  basis_hash: string | null;
  watermark_at: Date | null;
  last_full_at: Date | null;
  window_entry_at: Date | null;
};

const toStatus = (row: FeedSyncRow & { requests_today?: number | null }): FeedSyncStatus => ({
  feedId: row.feed_id,
  state: row.state,
  nextSyncAt: row.next_sync_at,
  requestedAt: row.requested_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  lastSuccessAt: row.last_success_at,
  durationMs: row.duration_ms,
  issueCount: row.issue_count,
  eventCount: row.event_count,
  omittedCount: row.omitted_count,
  omitted: row.omitted,
  capReached: row.cap_reached,
  progressIssues: row.progress_issues,
  errorCode: row.error_code,
  errorMessage: row.error_message,
  consecutiveFailures: row.consecutive_failures,
  dataHash: row.data_hash,
  lastSync: row.sync_kind
    ? { kind: row.sync_kind, jiraRequests: row.jira_requests ?? 0, issuesFetched: row.issues_fetched ?? 0 }
    : null,
  jiraRequestsToday: row.requests_today ?? 0,
  accessError: row.access_error_code
    ? { code: row.access_error_code, message: row.access_error_message ?? '' }
    : null,
});

export type SyncSuccess = {
  finishedAt: Date;
  durationMs: number;
  issueCount: number;
  eventCount: number;
  omitted: OmittedIssues;
  capReached: boolean;
  dataHash: string;
  nextSyncAt: Date;
  kind: SyncKind;
  jiraRequests: number;
  issuesFetched: number;
  /** Left unchanged when absent. */
  basis?: SyncBasis;
};

/**
 * When a sync counts as abandoned: a running one whose heartbeat stopped (its process died or froze), a
 * queued one whose job never started (the queue lost it).
 */
export type SyncLiveness = { heartbeatStaleMs: number; queuedStaleMs: number };

/** `changed`: a change Jira reported brought it forward; `stale`: a process died with it queued or running. */
export type DueFeed = { clientKey: string; feedId: string; stale: boolean; changed: boolean };

export class FeedSyncRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<FeedSyncRow>('feed_syncs').where({ client_key: clientKey });
  }

  /** Status rows with today's (UTC) Jira request count of each feed. */
  private withRequestsToday(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return this.scoped(clientKey, db).select(
      'feed_syncs.*',
      db.raw(
        `(SELECT d.jira_requests FROM feed_sync_days d
           WHERE d.client_key = feed_syncs.client_key AND d.feed_id = feed_syncs.feed_id
             AND d.day = (now() AT TIME ZONE 'UTC')::date) AS requests_today`,
      ),
    );
  }

  async create(clientKey: string, feedId: string, nextSyncAt: Date, db: Knex.Transaction): Promise<void> {
    await db<FeedSyncRow>('feed_syncs').insert({
      client_key: clientKey,
      feed_id: feedId,
      state: 'pending',
      next_sync_at: nextSyncAt,
    });
  }

  async find(clientKey: string, feedId: string, db?: Knex.Transaction): Promise<FeedSyncStatus | null> {
    const row = (await this.withRequestsToday(clientKey, db).andWhere({ feed_id: feedId }).first()) as
      FeedSyncRow | undefined;
    return row ? toStatus(row) : null;
  }

  async listByFeed(clientKey: string): Promise<Map<string, FeedSyncStatus>> {
    const rows = (await this.withRequestsToday(clientKey)) as FeedSyncRow[];
    return new Map(rows.map((row) => [row.feed_id, toStatus(row)]));
  }

  async reschedule(clientKey: string, feedId: string, nextSyncAt: Date): Promise<void> {
    await this.scoped(clientKey).andWhere({ feed_id: feedId }).update({ next_sync_at: nextSyncAt });
  }

  /**
   * Brings the next sync of the site's idle feeds forward to `at` (never later than already planned);
   * `failedWith` limits it to feeds whose last sync failed with that code. Returns how many moved. A
   * running sync may already have read what changed: it is marked, and ends due again (markSucceeded).
   */
  async bringForward(clientKey: string, at: Date, failedWith?: string): Promise<number> {
    if (failedWith === undefined)
      await this.scoped(clientKey).andWhere({ state: 'running' }).update({ change_seen_at: at });
    let query = this.scoped(clientKey)
      .whereNotIn('state', ['queued', 'running'])
      .andWhere('next_sync_at', '>', at);
    if (failedWith !== undefined) query = query.andWhere({ state: 'error', error_code: failedWith });
    // change_seen_at tells the claim that a change, not the interval, made the feed due.
    return query.update({ next_sync_at: at, change_seen_at: at });
  }

  /**
   * Marks a feed queued; false when it is already queued or running (nothing to do). A sync whose
   * heartbeat stopped is no longer running: asking again takes it over.
   */
  async markQueued(clientKey: string, feedId: string, now: Date, heartbeatStaleMs: number): Promise<boolean> {
    const updated = await this.scoped(clientKey)
      .andWhere({ feed_id: feedId })
      .andWhere((where) =>
        where
          .whereNotIn('state', ['queued', 'running'])
          .orWhere((silent) =>
            silent
              .where({ state: 'running' })
              .andWhere(
                this.knex.raw('COALESCE(heartbeat_at, started_at)'),
                '<',
                new Date(now.getTime() - heartbeatStaleMs),
              ),
          ),
      )
      .update({ state: 'queued', requested_at: now, started_at: null, heartbeat_at: null });
    return updated > 0;
  }

  /**
   * Claims feeds whose next sync is due, across the deployment's tenants. SKIP LOCKED plus the state
   * change make a feed claimable by exactly one process per interval; syncs abandoned by a crashed
   * process are reclaimed once `staleAfterMs` has passed.
   */
  async claimDue(
    scope: DeploymentScope,
    now: Date,
    limit: number,
    liveness: SyncLiveness,
  ): Promise<DueFeed[]> {
    const silentSince = new Date(now.getTime() - liveness.heartbeatStaleMs);
    const queuedSince = new Date(now.getTime() - liveness.queuedStaleMs);
    const inScope = inScopeSql(scope);
    const rows = await this.knex.raw<{
      rows: { client_key: string; feed_id: string; stale: boolean; changed: boolean }[];
    }>(
      `WITH due AS (
         SELECT feed_id, state IN ('queued', 'running') AS stale, change_seen_at IS NOT NULL AS changed FROM feed_syncs
          WHERE ${inScope.sql}
            AND ((next_sync_at <= ? AND state NOT IN ('queued', 'running'))
             OR (state = 'running' AND COALESCE(heartbeat_at, started_at) < ?)
             OR (state = 'queued' AND requested_at < ?))
          ORDER BY next_sync_at
          LIMIT ?
          FOR UPDATE SKIP LOCKED)
       UPDATE feed_syncs SET state = 'queued', requested_at = ?, started_at = NULL, heartbeat_at = NULL
         FROM due WHERE feed_syncs.feed_id = due.feed_id
       RETURNING feed_syncs.client_key, feed_syncs.feed_id, due.stale, due.changed`,
      [...inScope.bindings, now, silentSince, queuedSince, limit, now],
    );
    return rows.rows.map((row) => ({
      clientKey: row.client_key,
      feedId: row.feed_id,
      stale: row.stale,
      changed: row.changed,
    }));
  }

  /**
   * When the earliest live-looking running or queued sync would turn stale if it stops beating, across
   * the deployment's tenants; null when none is in flight. The tick uses it to come back for a takeover
   * then, rather than at the next cron minute.
   */
  async nextStaleAt(scope: DeploymentScope, liveness: SyncLiveness): Promise<Date | null> {
    const inScope = inScopeSql(scope);
    const row = await this.knex.raw<{ rows: { at: Date | null }[] }>(
      `SELECT min(at) AS at FROM (
         SELECT COALESCE(heartbeat_at, started_at) + make_interval(secs => ?) AS at FROM feed_syncs
          WHERE state = 'running' AND ${inScope.sql}
         UNION ALL
         SELECT requested_at + make_interval(secs => ?) AS at FROM feed_syncs
          WHERE state = 'queued' AND ${inScope.sql}
       ) AS pending`,
      [
        liveness.heartbeatStaleMs / 1000,
        ...inScope.bindings,
        liveness.queuedStaleMs / 1000,
        ...inScope.bindings,
      ],
    );
    const at = row.rows[0]?.at;
    return at ? new Date(at) : null;
  }

  /** Since when the most overdue idle feed has been due, across the deployment's tenants (the operator's view); null when none is. */
  async oldestDueSince(scope: DeploymentScope, now: Date): Promise<Date | null> {
    const inScope = inScopeSql(scope);
    const row = await this.knex<FeedSyncRow>('feed_syncs')
      .whereRaw(inScope.sql, inScope.bindings)
      .andWhere('next_sync_at', '<=', now)
      .whereNotIn('state', ['queued', 'running'])
      .min<{ oldest: Date | null }>('next_sync_at as oldest')
      .first();
    return row?.oldest ?? null;
  }

  async setAccessError(
    clientKey: string,
    feedId: string,
    error: { code: string; message: string } | null,
  ): Promise<void> {
    await this.scoped(clientKey)
      .andWhere({ feed_id: feedId })
      .update({ access_error_code: error?.code ?? null, access_error_message: error?.message ?? null });
  }

  /**
   * Marks the feed running unless another feed of the same site is running (one sync at a time per
   * site). A per-site advisory lock makes the check and the update one step across processes; a
   * "running" row whose heartbeat is older than `heartbeatStaleMs` belongs to a dead process and does not count.
   */
  async tryMarkRunning(
    clientKey: string,
    feedId: string,
    startedAt: Date,
    heartbeatStaleMs: number,
  ): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`feed-sync:${clientKey}`]);
      const busy = await this.scoped(clientKey, trx)
        .andWhere({ state: 'running' })
        .whereNot({ feed_id: feedId })
        .andWhere(
          trx.raw('COALESCE(heartbeat_at, started_at)'),
          '>',
          new Date(startedAt.getTime() - heartbeatStaleMs),
        )
        .first('feed_id');
      if (busy) return false;
      const updated = await this.scoped(clientKey, trx)
        .andWhere({ feed_id: feedId })
        .update({ state: 'running', started_at: startedAt, heartbeat_at: startedAt, progress_issues: 0 });
      return updated > 0;
    });
  }

  /** The running sync that started at `startedAt` is alive; a run that was taken over is left alone. */
  async heartbeat(clientKey: string, feedId: string, startedAt: Date, at: Date): Promise<void> {
    await this.scoped(clientKey)
      .andWhere({ feed_id: feedId, state: 'running', started_at: startedAt })
      .update({ heartbeat_at: at });
  }

  async recordProgress(clientKey: string, feedId: string, issues: number): Promise<void> {
    await this.scoped(clientKey).andWhere({ feed_id: feedId }).update({ progress_issues: issues });
  }

  async markSucceeded(
    clientKey: string,
    feedId: string,
    result: SyncSuccess,
    db: Knex.Transaction,
  ): Promise<void> {
    await this.scoped(clientKey, db)
      .andWhere({ feed_id: feedId })
      .update({
        state: 'ok',
        finished_at: result.finishedAt,
        last_success_at: result.finishedAt,
        duration_ms: result.durationMs,
        issue_count: result.issueCount,
        event_count: result.eventCount,
        omitted_count: result.omitted.count,
        omitted: JSON.stringify(result.omitted) as unknown as OmittedIssues,
        cap_reached: result.capReached,
        progress_issues: null,
        error_code: null,
        error_message: null,
        consecutive_failures: 0,
        data_hash: result.dataHash,
        next_sync_at: db.raw(
          'CASE WHEN change_seen_at >= started_at THEN ?::timestamptz ELSE ?::timestamptz END',
          [result.finishedAt, result.nextSyncAt],
        ),
        // A change seen while this sync ran makes it due again at once, and still counts as a change.
        change_seen_at: db.raw('CASE WHEN change_seen_at >= started_at THEN change_seen_at ELSE NULL END'),
        sync_kind: result.kind,
        jira_requests: result.jiraRequests,
        issues_fetched: result.issuesFetched,
        ...(result.basis
          ? {
              basis_hash: result.basis.hash,
              watermark_at: result.basis.watermarkAt,
              last_full_at: result.basis.lastFullAt,
              window_entry_at: result.basis.windowChangeAt,
            }
          : {}),
      });
  }

  /** What the feed's stored items were read with; null when its next sync must read everything. */
  async findBasis(clientKey: string, feedId: string): Promise<SyncBasis | null> {
    const row = await this.scoped(clientKey).andWhere({ feed_id: feedId }).first();
    if (!row?.basis_hash || !row.watermark_at || !row.last_full_at || !row.window_entry_at) return null;
    return {
      hash: row.basis_hash,
      watermarkAt: row.watermark_at,
      lastFullAt: row.last_full_at,
      windowChangeAt: row.window_entry_at,
    };
  }

  /** The next sync of the feed reads everything (its configuration changed). */
  async forgetBasis(clientKey: string, feedId: string, db?: Knex.Transaction): Promise<void> {
    await this.scoped(clientKey, db).andWhere({ feed_id: feedId }).update({ basis_hash: null });
  }

  /** The last good events and bytes stay as they are; only the status says what went wrong. */
  async markFailed(
    clientKey: string,
    feedId: string,
    failure: {
      finishedAt: Date;
      durationMs: number;
      code: string;
      message: string;
      nextSyncAt: Date;
    },
  ): Promise<void> {
    await this.scoped(clientKey)
      .andWhere({ feed_id: feedId })
      .update({
        state: 'error',
        finished_at: failure.finishedAt,
        duration_ms: failure.durationMs,
        progress_issues: null,
        error_code: failure.code,
        error_message: failure.message,
        consecutive_failures: this.knex.raw('consecutive_failures + 1'),
        next_sync_at: failure.nextSyncAt,
      });
  }
}
