import type { Knex } from 'knex';
import { z } from 'zod';
import { badRequest } from '../errors.js';
import type { Actor } from './actor.js';
import type { SyncQueue } from './feed-service.js';

const accountIdSchema = z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9:_-]+$/, 'Must be an Atlassian account id');

export type PersonalDataReport = {
  accountId: string;
  subscriptions: {
    feedId: string;
    feedName: string;
    calendar: string;
    createdAt: string;
    revokedAt: string | null;
    lastFetchedAt: string | null;
    fetchCount: number;
    lastUserAgent: string | null;
  }[];
  cachedAccount: { active: boolean; groups: string[]; refreshedAt: string } | null;
  projectRoles: { roleId: string; projectId: string }[];
  feedsCreatedOrEdited: { feedId: string; feedName: string; created: boolean; lastEdited: boolean }[];
  /** Events currently stored that name this account (in a "divide by user" field); their text comes from Jira. */
  eventsNamingAccount: { feedId: string; feedName: string; count: number }[];
};

export const ERASED_ACCOUNT = 'erased-account';

/**
 * What the app stores about one Atlassian account on one site, and erasing it. Everything here is
 * scoped to the caller's site; the app holds no e-mail addresses or names of its own.
 */
export class PrivacyService {
  constructor(private readonly deps: { knex: Knex; queue: SyncQueue; now: () => Date }) {}

  parseAccountId(raw: string): string {
    const parsed = accountIdSchema.safeParse(raw);
    if (!parsed.success) throw badRequest('Not an account id', [{ path: 'accountId', message: parsed.error.issues[0]?.message ?? 'invalid' }]);
    return parsed.data;
  }

  async report(actor: Actor, accountId: string): Promise<PersonalDataReport> {
    const { knex } = this.deps;
    const clientKey = actor.clientKey;
    const subscriptions = (await knex('feed_subscriptions as s')
      .join('feeds as f', 'f.id', 's.feed_id')
      .where({ 's.client_key': clientKey, 's.account_id': accountId })
      .select('s.feed_id', 'f.name', 's.calendar', 's.created_at', 's.revoked_at', 's.last_fetched_at', 's.fetch_count', 's.last_user_agent')
      .orderBy('s.created_at')) as {
      feed_id: string;
      name: string;
      calendar: string;
      created_at: Date;
      revoked_at: Date | null;
      last_fetched_at: Date | null;
      fetch_count: number;
      last_user_agent: string | null;
    }[];
    const cached = (await knex('jira_users').where({ client_key: clientKey, account_id: accountId }).first()) as
      | { active: boolean; group_names: string[]; refreshed_at: Date }
      | undefined;
    const roles = await knex<{ client_key: string; actor_kind: string; actor: string; role_id: string; project_id: string }>('jira_role_actors')
      .where({ client_key: clientKey, actor_kind: 'user', actor: accountId })
      .select('role_id', 'project_id');
    const feeds = await knex<{ client_key: string; id: string; name: string; created_by_account_id: string; updated_by_account_id: string }>('feeds')
      .where({ client_key: clientKey })
      .andWhere((q) => q.where({ created_by_account_id: accountId }).orWhere({ updated_by_account_id: accountId }))
      .select('id', 'name', 'created_by_account_id', 'updated_by_account_id');
    const events = await knex.raw<{ rows: { feed_id: string; name: string; count: number }[] }>(
      `SELECT e.feed_id, f.name, count(*) AS count FROM feed_events e JOIN feeds f ON f.id = e.feed_id
        WHERE e.client_key = ? AND ? = ANY(e.user_account_ids) GROUP BY e.feed_id, f.name ORDER BY f.name`,
      [clientKey, accountId],
    );
    return {
      accountId,
      subscriptions: subscriptions.map((s) => ({
        feedId: s.feed_id,
        feedName: s.name,
        calendar: s.calendar,
        createdAt: s.created_at.toISOString(),
        revokedAt: s.revoked_at?.toISOString() ?? null,
        lastFetchedAt: s.last_fetched_at?.toISOString() ?? null,
        fetchCount: s.fetch_count,
        lastUserAgent: s.last_user_agent,
      })),
      cachedAccount: cached ? { active: cached.active, groups: cached.group_names, refreshedAt: cached.refreshed_at.toISOString() } : null,
      projectRoles: roles.map((role) => ({ roleId: role.role_id, projectId: role.project_id })),
      feedsCreatedOrEdited: feeds.map((feed) => ({
        feedId: feed.id,
        feedName: feed.name,
        created: feed.created_by_account_id === accountId,
        lastEdited: feed.updated_by_account_id === accountId,
      })),
      eventsNamingAccount: events.rows.map((row) => ({ feedId: row.feed_id, feedName: row.name, count: Number(row.count) })),
    };
  }

  /**
   * Erases the account: its URLs and their statistics are deleted (not just revoked), cached
   * memberships dropped, authorship replaced, and feeds whose events name the account are re-synced
   * so their text comes fresh from Jira (which anonymises closed accounts).
   */
  async erase(actor: Actor, accountId: string): Promise<{ subscriptionsDeleted: number; feedsResynced: number }> {
    const clientKey = actor.clientKey;
    const affectedFeeds = await this.deps.knex<{ client_key: string; feed_id: string }>('feed_events')
      .where({ client_key: clientKey })
      .whereRaw('? = ANY(user_account_ids)', [accountId])
      .distinct('feed_id');
    const subscriptionsDeleted = await this.deps.knex.transaction(async (trx) => {
      const deleted = await trx('feed_subscriptions').where({ client_key: clientKey, account_id: accountId }).delete();
      await trx('jira_users').where({ client_key: clientKey, account_id: accountId }).delete();
      await trx('jira_role_actors').where({ client_key: clientKey, actor_kind: 'user', actor: accountId }).delete();
      await trx('feeds').where({ client_key: clientKey, created_by_account_id: accountId }).update({ created_by_account_id: ERASED_ACCOUNT });
      await trx('feeds').where({ client_key: clientKey, updated_by_account_id: accountId }).update({ updated_by_account_id: ERASED_ACCOUNT });
      // Until the re-sync lands, events no longer link the account to per-user calendars.
      await trx.raw('UPDATE feed_events SET user_account_ids = array_remove(user_account_ids, ?) WHERE client_key = ? AND ? = ANY(user_account_ids)', [
        accountId,
        clientKey,
        accountId,
      ]);
      return deleted;
    });
    for (const { feed_id: feedId } of affectedFeeds) {
      await this.deps.knex('feed_syncs').where({ client_key: clientKey, feed_id: feedId }).update({ next_sync_at: this.deps.now() });
      await this.deps.queue.enqueueSync(clientKey, feedId);
    }
    return { subscriptionsDeleted, feedsResynced: affectedFeeds.length };
  }
}
