import type { Knex } from 'knex';
import type { DeploymentScope } from '../domain/deployment.js';
import type { PersonalZone } from '../domain/subscriber-days.js';
import { inScopeSql } from './deployment-scope.js';
import { recordAccountsFetched } from './personal-data-account-repository.js';

export type RoleActor = { roleId: string; projectId: string; kind: 'user' | 'group'; actor: string };
export type JiraUserFacts = {
  accountId: string;
  active: boolean;
  groupNames: string[];
  refreshedAt: Date;
  /** The profile time zone Jira gave (absent or null: none given; the last known one is kept). */
  timeZone?: string | null;
};
export type CachedJiraUser = Omit<JiraUserFacts, 'timeZone'> & { zone: PersonalZone | null };
export type AccessRefresh = {
  refreshedAt: Date | null;
  roleIds: string[];
  errorCode: string | null;
  errorMessage: string | null;
};
export type SubscriptionAccess = {
  subscriptionId: string;
  allowed: boolean;
  projectIds: string[] | null;
  issueIds: string[] | null;
  variant: string | null;
  reason: string | null;
  refreshedAt: Date;
};

type JiraUserRow = {
  client_key: string;
  account_id: string;
  active: boolean;
  group_names: string[];
  refreshed_at: Date;
  time_zone: string | null;
  time_zone_sequence: number;
  time_zone_changed_at: Date | null;
};
type RoleActorRow = {
  client_key: string;
  role_id: string;
  project_id: string;
  actor_kind: 'user' | 'group';
  actor: string;
};
type AccessRefreshRow = {
  client_key: string;
  refreshed_at: Date | null;
  role_ids: string[];
  error_code: string | null;
  error_message: string | null;
};
type SubscriptionAccessRow = {
  subscription_id: string;
  client_key: string;
  allowed: boolean;
  project_ids: string[] | null;
  issue_ids: string[] | null;
  variant: string | null;
  reason: string | null;
  refreshed_at: Date;
};

const CHUNK = 1000;

/** The access cache (users' groups, project role actors) and each personal URL's resolved access. */
export class AccessRepository {
  constructor(private readonly knex: Knex) {}

  /** Replaces the site's role actors at once, so readers never see half a refresh. */
  async replaceRoleActors(clientKey: string, actors: RoleActor[], refresh: AccessRefresh): Promise<void> {
    await this.knex.transaction(async (trx) => {
      await trx<RoleActorRow>('jira_role_actors').where({ client_key: clientKey }).delete();
      for (let i = 0; i < actors.length; i += CHUNK) {
        await trx<RoleActorRow>('jira_role_actors')
          .insert(
            actors.slice(i, i + CHUNK).map((a) => ({
              client_key: clientKey,
              role_id: a.roleId,
              project_id: a.projectId,
              actor_kind: a.kind,
              actor: a.actor,
            })),
          )
          .onConflict()
          .ignore();
      }
      if (refresh.refreshedAt)
        await recordAccountsFetched(
          trx,
          clientKey,
          actors.filter((actor) => actor.kind === 'user').map((actor) => actor.actor),
          refresh.refreshedAt,
        );
      await this.saveRefresh(clientKey, refresh, trx);
    });
  }

  async saveRefresh(
    clientKey: string,
    refresh: AccessRefresh,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<void> {
    await db<AccessRefreshRow>('access_refreshes')
      .insert({
        client_key: clientKey,
        refreshed_at: refresh.refreshedAt,
        role_ids: refresh.roleIds,
        error_code: refresh.errorCode,
        error_message: refresh.errorMessage,
      })
      .onConflict('client_key')
      .merge();
  }

  async findRefresh(clientKey: string): Promise<AccessRefresh | null> {
    const row = await this.knex<AccessRefreshRow>('access_refreshes')
      .where({ client_key: clientKey })
      .first();
    return row
      ? {
          refreshedAt: row.refreshed_at,
          roleIds: row.role_ids,
          errorCode: row.error_code,
          errorMessage: row.error_message,
        }
      : null;
  }

  /** Stores what Jira said of a user; a zone other than the one held counts as a change (see `PersonalZone`). */
  async saveUser(clientKey: string, user: JiraUserFacts): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const before = await trx<JiraUserRow>('jira_users')
        .where({ client_key: clientKey, account_id: user.accountId })
        .forUpdate()
        .first();
      const given = user.timeZone ?? null;
      const timeZone = given ?? before?.time_zone ?? null;
      const moved = before !== undefined && given !== null && before.time_zone !== given;
      await trx<JiraUserRow>('jira_users')
        .insert({
          client_key: clientKey,
          account_id: user.accountId,
          active: user.active,
          group_names: user.groupNames,
          refreshed_at: user.refreshedAt,
          time_zone: timeZone,
          time_zone_sequence: (before?.time_zone_sequence ?? 0) + (moved ? 1 : 0),
          time_zone_changed_at: moved ? user.refreshedAt : (before?.time_zone_changed_at ?? null),
        })
        .onConflict(['client_key', 'account_id'])
        .merge();
      await recordAccountsFetched(trx, clientKey, [user.accountId], user.refreshedAt);
    });
  }

  async findUser(clientKey: string, accountId: string): Promise<CachedJiraUser | null> {
    const row = await this.knex<JiraUserRow>('jira_users')
      .where({ client_key: clientKey, account_id: accountId })
      .first();
    return row
      ? {
          accountId: row.account_id,
          active: row.active,
          groupNames: row.group_names,
          refreshedAt: row.refreshed_at,
          zone:
            row.time_zone === null
              ? null
              : {
                  timeZone: row.time_zone,
                  sequence: row.time_zone_sequence,
                  changedAt: row.time_zone_changed_at?.toISOString() ?? null,
                },
        }
      : null;
  }

  /** Role memberships of a user, directly or through one of their groups. */
  async rolesOf(
    clientKey: string,
    accountId: string,
    groupNames: string[],
  ): Promise<{ roleId: string; projectId: string }[]> {
    const rows = await this.knex<RoleActorRow>('jira_role_actors')
      .where({ client_key: clientKey })
      .andWhere((q) =>
        q
          .where({ actor_kind: 'user', actor: accountId })
          .orWhere((g) => g.where({ actor_kind: 'group' }).whereIn('actor', groupNames)),
      )
      .distinct('role_id', 'project_id');
    return rows.map((row) => ({ roleId: row.role_id, projectId: row.project_id }));
  }

  async saveSubscriptionAccess(clientKey: string, access: SubscriptionAccess): Promise<void> {
    await this.knex<SubscriptionAccessRow>('subscription_access')
      .insert({
        subscription_id: access.subscriptionId,
        client_key: clientKey,
        allowed: access.allowed,
        project_ids: access.projectIds,
        issue_ids: access.issueIds,
        variant: access.variant,
        reason: access.reason,
        refreshed_at: access.refreshedAt,
      })
      .onConflict('subscription_id')
      .merge();
  }

  async findSubscriptionAccess(
    clientKey: string,
    subscriptionId: string,
  ): Promise<SubscriptionAccess | null> {
    const row = await this.knex<SubscriptionAccessRow>('subscription_access')
      .where({ client_key: clientKey, subscription_id: subscriptionId })
      .first();
    return row
      ? {
          subscriptionId: row.subscription_id,
          allowed: row.allowed,
          projectIds: row.project_ids,
          issueIds: row.issue_ids,
          variant: row.variant,
          reason: row.reason,
          refreshedAt: row.refreshed_at,
        }
      : null;
  }

  /**
   * Sites whose access was last refreshed before `before` and that have personal URLs to keep honest.
   * Cross-tenant on purpose: it is the scheduler's entry point, run every minute. It starts from the sites and
   * asks, for the few that are due, whether one personal URL exists (through the (client_key, feed_id)
   * index), so its cost follows the sites, not the personal URLs of every site.
   */
  async sitesDueForRefresh(scope: DeploymentScope, before: Date): Promise<string[]> {
    const inScope = inScopeSql(scope, 'i.client_key');
    const rows: { client_key: string }[] = await this.knex('installations as i')
      .leftJoin('access_refreshes as r', 'r.client_key', 'i.client_key')
      .where('i.state', 'installed')
      .andWhereRaw(inScope.sql, inScope.bindings)
      .andWhere((q) => q.whereNull('r.refreshed_at').orWhere('r.refreshed_at', '<', before))
      .whereExists((q) =>
        q
          .select(this.knex.raw('1'))
          .from('feed_subscriptions as s')
          .whereRaw('s.client_key = i.client_key')
          .whereNotNull('s.account_id')
          .whereNull('s.revoked_at'),
      )
      .select('i.client_key');
    return rows.map((row) => row.client_key);
  }
}
