import type { Knex } from 'knex';

export type AccountSubscriptionRow = {
  feedId: string;
  feedName: string;
  calendar: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastFetchedAt: Date | null;
  fetchCount: number;
};

export type AccountFootprint = {
  subscriptions: AccountSubscriptionRow[];
  cachedAccount: { active: boolean; groups: string[]; refreshedAt: Date } | null;
  projectRoles: { roleId: string; projectId: string }[];
  feedsTouched: { feedId: string; feedName: string; created: boolean; lastEdited: boolean }[];
  eventsNaming: { feedId: string; feedName: string; count: number }[];
  /** Data Center: that the account signed in through Jira and when; never the token, which stays sealed. */
  dataCenterSignIn: { scope: string; signedInAt: Date; refreshedAt: Date; refusedAt: Date | null } | null;
  dataCenterSessions: { createdAt: Date; expiresAt: Date }[];
};

type RoleActorRow = {
  client_key: string;
  actor_kind: string;
  actor: string;
  role_id: string;
  project_id: string;
};
type FeedAuthorRow = {
  client_key: string;
  id: string;
  name: string;
  created_by_account_id: string;
  updated_by_account_id: string;
};

/**
 * Everything stored about one Atlassian account on one site, across the tables that hold it, and its
 * erasure. Deliberately one repository over several tables: a personal-data request is one question.
 */
export class PrivacyRepository {
  constructor(private readonly knex: Knex) {}

  async footprint(clientKey: string, accountId: string): Promise<AccountFootprint> {
    return {
      subscriptions: await this.subscriptionsOf(clientKey, accountId),
      cachedAccount: await this.cachedAccountOf(clientKey, accountId),
      projectRoles: await this.projectRolesOf(clientKey, accountId),
      feedsTouched: await this.feedsTouchedBy(clientKey, accountId),
      eventsNaming: await this.eventsNaming(clientKey, accountId),
      dataCenterSignIn: await this.dataCenterSignInOf(clientKey, accountId),
      dataCenterSessions: await this.dataCenterSessionsOf(clientKey, accountId),
    };
  }

  private async subscriptionsOf(
    clientKey: string,
    accountId: string,
  ): Promise<AccountFootprint['subscriptions']> {
    const rows = (await this.knex('feed_subscriptions as s')
      .join('feeds as f', 'f.id', 's.feed_id')
      .where({ 's.client_key': clientKey, 'f.client_key': clientKey, 's.account_id': accountId })
      .select(
        's.feed_id',
        'f.name',
        's.calendar',
        's.created_at',
        's.revoked_at',
        's.last_fetched_at',
        's.fetch_count',
      )
      .orderBy('s.created_at')) as {
      feed_id: string;
      name: string;
      calendar: string;
      created_at: Date;
      revoked_at: Date | null;
      last_fetched_at: Date | null;
      fetch_count: number;
    }[];
    return rows.map((s) => ({
      feedId: s.feed_id,
      feedName: s.name,
      calendar: s.calendar,
      createdAt: s.created_at,
      revokedAt: s.revoked_at,
      lastFetchedAt: s.last_fetched_at,
      fetchCount: s.fetch_count,
    }));
  }

  private async cachedAccountOf(
    clientKey: string,
    accountId: string,
  ): Promise<AccountFootprint['cachedAccount']> {
    const cached = (await this.knex('jira_users')
      .where({ client_key: clientKey, account_id: accountId })
      .first()) as { active: boolean; group_names: string[]; refreshed_at: Date } | undefined;
    return cached
      ? { active: cached.active, groups: cached.group_names, refreshedAt: cached.refreshed_at }
      : null;
  }

  private async projectRolesOf(
    clientKey: string,
    accountId: string,
  ): Promise<AccountFootprint['projectRoles']> {
    const roles = await this.knex<RoleActorRow>('jira_role_actors')
      .where({ client_key: clientKey, actor_kind: 'user', actor: accountId })
      .select('role_id', 'project_id');
    return roles.map((role) => ({ roleId: role.role_id, projectId: role.project_id }));
  }

  private async feedsTouchedBy(
    clientKey: string,
    accountId: string,
  ): Promise<AccountFootprint['feedsTouched']> {
    const feeds = await this.knex<FeedAuthorRow>('feeds')
      .where({ client_key: clientKey })
      .andWhere((q) =>
        q.where({ created_by_account_id: accountId }).orWhere({ updated_by_account_id: accountId }),
      )
      .select('id', 'name', 'created_by_account_id', 'updated_by_account_id');
    return feeds.map((feed) => ({
      feedId: feed.id,
      feedName: feed.name,
      created: feed.created_by_account_id === accountId,
      lastEdited: feed.updated_by_account_id === accountId,
    }));
  }

  private async eventsNaming(
    clientKey: string,
    accountId: string,
  ): Promise<AccountFootprint['eventsNaming']> {
    const events = await this.knex.raw<{
      rows: { feed_id: string; name: string; count: number | string }[];
    }>(
      `SELECT e.feed_id, f.name, count(*) AS count FROM feed_events e JOIN feeds f ON f.id = e.feed_id AND f.client_key = e.client_key
        WHERE e.client_key = ? AND ? = ANY(e.user_account_ids) GROUP BY e.feed_id, f.name ORDER BY f.name`,
      [clientKey, accountId],
    );
    return events.rows.map((row) => ({ feedId: row.feed_id, feedName: row.name, count: Number(row.count) }));
  }

  private async dataCenterSignInOf(
    clientKey: string,
    accountId: string,
  ): Promise<AccountFootprint['dataCenterSignIn']> {
    const signIn = await this.knex<{
      client_key: string;
      account_id: string;
      scope: string;
      signed_in_at: Date;
      refreshed_at: Date;
      refused_at: Date | null;
    }>('datacenter_user_tokens')
      .where({ client_key: clientKey, account_id: accountId })
      .first('scope', 'signed_in_at', 'refreshed_at', 'refused_at');
    return signIn
      ? {
          scope: signIn.scope,
          signedInAt: signIn.signed_in_at,
          refreshedAt: signIn.refreshed_at,
          refusedAt: signIn.refused_at,
        }
      : null;
  }

  private async dataCenterSessionsOf(
    clientKey: string,
    accountId: string,
  ): Promise<AccountFootprint['dataCenterSessions']> {
    const sessions = await this.knex<{
      client_key: string;
      account_id: string;
      created_at: Date;
      expires_at: Date;
    }>('datacenter_sessions')
      .where({ client_key: clientKey, account_id: accountId })
      .orderBy('created_at')
      .select('created_at', 'expires_at');
    return sessions.map((row) => ({ createdAt: row.created_at, expiresAt: row.expires_at }));
  }

  /**
   * Deletes the account's URLs (with their statistics) and cached memberships, replaces its authorship
   * with `erasedMarker`, and unlinks it from stored events, in one transaction. Returns the feeds whose
   * events named it, which need a fresh sync.
   */
  async erase(
    clientKey: string,
    accountId: string,
    erasedMarker: string,
  ): Promise<{ subscriptionsDeleted: number; feedsNamingAccount: string[] }> {
    return this.knex.transaction(async (trx) => {
      // feed_events is keyed by (feed_id, uid): the site's rows are found through its feeds, not by a
      // scan of every site's events.
      const siteFeeds = trx('feeds').where({ client_key: clientKey }).select('id');
      const affected = await trx<{ client_key: string; feed_id: string }>('feed_events')
        .where({ client_key: clientKey })
        .whereIn('feed_id', siteFeeds)
        .whereRaw('? = ANY(user_account_ids)', [accountId])
        .distinct('feed_id');
      const subscriptionsDeleted = await trx('feed_subscriptions')
        .where({ client_key: clientKey, account_id: accountId })
        .delete();
      await trx('jira_users').where({ client_key: clientKey, account_id: accountId }).delete();
      // Data Center: the sealed refresh token and every browser session (the account is signed out).
      await trx('datacenter_user_tokens').where({ client_key: clientKey, account_id: accountId }).delete();
      await trx('datacenter_sessions').where({ client_key: clientKey, account_id: accountId }).delete();
      // Live calendars: the sealed provider grant and what was pushed (the calendar itself is the person's).
      await trx('calendar_connections').where({ client_key: clientKey, account_id: accountId }).delete();
      await trx('calendar_connect_attempts').where({ client_key: clientKey, account_id: accountId }).delete();
      await trx('jira_role_actors')
        .where({ client_key: clientKey, actor_kind: 'user', actor: accountId })
        .delete();
      await trx('feeds')
        .where({ client_key: clientKey, created_by_account_id: accountId })
        .update({ created_by_account_id: erasedMarker });
      await trx('feeds')
        .where({ client_key: clientKey, updated_by_account_id: accountId })
        .update({ updated_by_account_id: erasedMarker });
      // Data Center: the feed no longer names whose rights it read with; it waits for a take-over.
      await trx('feeds')
        .where({ client_key: clientKey, run_as_account_id: accountId })
        .update({ run_as_account_id: erasedMarker });
      // Until the re-sync lands, events no longer link the account to per-user calendars.
      await trx('feed_events')
        .where({ client_key: clientKey })
        .whereIn('feed_id', siteFeeds)
        .whereRaw('? = ANY(user_account_ids)', [accountId])
        .update({ user_account_ids: trx.raw('array_remove(user_account_ids, ?)', [accountId]) });
      return { subscriptionsDeleted, feedsNamingAccount: affected.map((row) => row.feed_id) };
    });
  }
}
