import type { AccessRepository, JiraUserFacts, RoleActor } from '../db/access-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { FeedSyncRepository } from '../db/feed-sync-repository.js';
import type { SubscriptionRepository } from '../db/subscription-repository.js';
import type { MembershipFacts } from '../domain/access-rules.js';
import type { Feed } from '../domain/feed.js';
import type { PersonalZone } from '../domain/subscriber-days.js';
import { isValidTimeZone } from '../domain/time-zones.js';
import type { ActiveInstallation } from '../domain/installation.js';
import type { JiraReader } from '../jira/jira-reader.js';
import type { JiraUser } from '../jira/jira-schemas.js';
import { isJiraError } from '../jira/jira-error.js';
import type { Logger } from '../logger.js';
import type { JiraClients } from './jira-clients.js';

/** How long cached memberships count as current; also the longest a removed user keeps access. */
export const ACCESS_REFRESH_MS = 15 * 60_000;

export const MISSING_PROJECT_ADMIN = 'missing_project_admin';

class RoleAccessDenied extends Error {}

/**
 * The membership facts access is decided from: whether an account is active, its groups, and who holds
 * the project roles the site's feeds name. Read from Jira as the app user on a schedule and cached; the
 * cache answers every question, Jira none.
 */
export class MembershipService {
  constructor(
    private readonly deps: {
      access: AccessRepository;
      feeds: FeedRepository;
      syncs: FeedSyncRepository;
      subscriptions: SubscriptionRepository;
      jira: JiraClients;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  /** The scheduled refresh of one site's facts: role actors, then every subscriber's account. */
  async refreshSite(installation: ActiveInstallation): Promise<void> {
    const { clientKey } = installation;
    await this.refreshRoles(installation);
    for (const accountId of await this.deps.subscriptions.listLiveAccounts(clientKey)) {
      const facts = await this.refreshUser(installation, accountId);
      // Data Center keeps a deactivated user's URLs (refused while inactive) for when they come back;
      // a deleted one is erased by the sweep of stored users.
      if (!facts.active && installation.door !== 'datacenter')
        await this.deps.subscriptions.revokeAllForAccount(clientKey, accountId, this.deps.now());
    }
  }

  /**
   * Reads who holds the project roles the site's feeds name. Jira shows role actors only to project
   * admins; without that grant the last good cache stays and role-based feeds say what to fix.
   */
  async refreshRoles(installation: ActiveInstallation): Promise<void> {
    const { clientKey } = installation;
    const feeds = await this.deps.feeds.list(clientKey);
    const roleIds = rolesNamedBy(feeds);
    try {
      const actors =
        roleIds.length > 0
          ? await this.readRoleActors(this.deps.jira.forInstallation(installation), roleIds)
          : [];
      await this.deps.access.replaceRoleActors(clientKey, actors, {
        refreshedAt: this.deps.now(),
        roleIds,
        errorCode: null,
        errorMessage: null,
      });
      await this.setRoleFeedsError(clientKey, feeds, null);
    } catch (error) {
      if (!(error instanceof RoleAccessDenied)) throw error;
      await this.keepRolesWithoutGrant(clientKey, feeds);
    }
  }

  /** The app user may not read role actors: the last good cache stays, and role-based feeds say why. */
  private async keepRolesWithoutGrant(clientKey: string, feeds: Feed[]): Promise<void> {
    const accessError = {
      code: MISSING_PROJECT_ADMIN,
      message:
        'Calendar Sync cannot read project role members. Give the "Calendar Sync" app user the Administer Projects ' +
        'permission (it only reads role membership), or switch this feed to group-based access. Until then, ' +
        'subscribers keep the access they had at the last successful check.',
    };
    const previous = await this.deps.access.findRefresh(clientKey);
    await this.deps.access.saveRefresh(clientKey, {
      refreshedAt: this.deps.now(),
      roleIds: previous?.roleIds ?? [],
      errorCode: accessError.code,
      errorMessage: accessError.message,
    });
    await this.setRoleFeedsError(clientKey, feeds, accessError);
    this.deps.logger.warn({ clientKey }, 'app user cannot read project roles');
  }

  private async readRoleActors(client: JiraReader, roleIds: string[]): Promise<RoleActor[]> {
    const actors: RoleActor[] = [];
    for await (const page of client.listProjects()) {
      for (const project of page) {
        for (const roleId of roleIds) {
          let role;
          try {
            role = await client.getProjectRole(project.id, roleId);
          } catch (error) {
            if (isJiraError(error) && error.jiraStatus === 404) continue;
            if (isJiraError(error) && (error.jiraStatus === 403 || error.jiraStatus === 401))
              throw new RoleAccessDenied();
            throw error;
          }
          for (const user of role.actors.users)
            actors.push({ roleId, projectId: project.id, kind: 'user', actor: user.accountId });
          for (const group of role.actors.groups)
            actors.push({ roleId, projectId: project.id, kind: 'group', actor: group.name });
        }
      }
    }
    return actors;
  }

  private async setRoleFeedsError(
    clientKey: string,
    feeds: Feed[],
    error: { code: string; message: string } | null,
  ): Promise<void> {
    for (const feed of feeds) {
      await this.deps.syncs.setAccessError(
        clientKey,
        feed.id,
        feed.config.access.mode === 'roles' ? error : null,
      );
    }
  }

  /**
   * Re-reads one account from Jira: deactivated or deleted accounts come back inactive. `known` is the
   * account as Jira just answered for it, when the caller already asked.
   */
  async refreshUser(
    installation: ActiveInstallation,
    accountId: string,
    known?: JiraUser | null,
  ): Promise<JiraUserFacts> {
    const client = this.deps.jira.forInstallation(installation);
    const user = known === undefined ? await client.getUser(accountId) : known;
    const active = user !== null && user.active !== false;
    const groupNames = active
      ? (await client.getUserGroups(accountId)).map((group) => group.name).sort()
      : [];
    const timeZone = user?.timeZone && isValidTimeZone(user.timeZone) ? user.timeZone : null;
    const facts = { accountId, active, groupNames, refreshedAt: this.deps.now(), timeZone };
    await this.deps.access.saveUser(installation.clientKey, facts);
    return facts;
  }

  /** Makes sure the cache can answer for this user (the first visit to "My calendars", or after a long break). */
  async ensureFresh(installation: ActiveInstallation, accountId: string): Promise<void> {
    const refresh = await this.deps.access.findRefresh(installation.clientKey);
    const known = new Set(refresh?.roleIds ?? []);
    const needed = rolesNamedBy(await this.deps.feeds.list(installation.clientKey));
    if (!refresh?.refreshedAt || needed.some((roleId) => !known.has(roleId)))
      await this.refreshRoles(installation);
    const user = await this.deps.access.findUser(installation.clientKey, accountId);
    if (!user || this.deps.now().getTime() - user.refreshedAt.getTime() > ACCESS_REFRESH_MS)
      await this.refreshUser(installation, accountId);
  }

  async factsFor(clientKey: string, accountId: string): Promise<MembershipFacts> {
    const user = await this.deps.access.findUser(clientKey, accountId);
    if (!user) return { active: false, groups: new Set(), roleProjects: new Map() };
    const roleProjects = new Map<string, Set<string>>();
    for (const { roleId, projectId } of await this.deps.access.rolesOf(
      clientKey,
      accountId,
      user.groupNames,
    )) {
      const projects = roleProjects.get(roleId) ?? new Set<string>();
      projects.add(projectId);
      roleProjects.set(roleId, projects);
    }
    return { active: user.active, groups: new Set(user.groupNames), roleProjects };
  }

  /** The account's Jira profile time zone as the cache holds it; null when it holds none. */
  async zoneOf(clientKey: string, accountId: string): Promise<PersonalZone | null> {
    return (await this.deps.access.findUser(clientKey, accountId))?.zone ?? null;
  }

  /** Whether the cache holds the account as active; null when it holds nothing for it. */
  async cachedActive(clientKey: string, accountId: string): Promise<boolean | null> {
    return (await this.deps.access.findUser(clientKey, accountId))?.active ?? null;
  }
}

function rolesNamedBy(feeds: Feed[]): string[] {
  return [
    ...new Set(
      feeds.flatMap(({ config }) =>
        config.access.mode === 'roles' ? config.access.roles.map((role) => role.id) : [],
      ),
    ),
  ].sort();
}
