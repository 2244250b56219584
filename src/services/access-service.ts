import { createHash } from 'node:crypto';
import type {
  AccessRepository,
  JiraUserFacts,
  RoleActor,
  SubscriptionAccess,
} from '../db/access-repository.js';
import type { FeedEventRepository } from '../db/feed-event-repository.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { FeedSyncRepository } from '../db/feed-sync-repository.js';
import type { SubscriptionRepository } from '../db/subscription-repository.js';
import {
  type CalendarName,
  isCalendarName,
  type MembershipFacts,
  offeredCalendars,
  visibilityFor,
  visibleEvents,
} from '../domain/access-rules.js';
import { ALL_CALENDAR, type Feed, type FeedSubscription, type RenderedFeed } from '../domain/feed.js';
import type { FeedConfig } from '../domain/feed-config.js';
import type { FeedEvent } from '../domain/feed-event.js';
import type { ActiveInstallation } from '../domain/installation.js';
import type { JiraReader } from '../jira/jira-reader.js';
import type { JiraUser } from '../jira/jira-schemas.js';
import { isJiraError } from '../jira/jira-error.js';
import type { Logger } from '../logger.js';
import { FeedPublisher } from './feed-publisher.js';
import type { InstallationService } from './installation-service.js';
import type { JiraClients } from './jira-clients.js';

/** How long cached memberships count as current; also the longest a removed user keeps access. */
export const ACCESS_REFRESH_MS = 15 * 60_000;
const PERMISSION_CHECK_CHUNK = 500;

export const MISSING_PROJECT_ADMIN = 'missing_project_admin';

class RoleAccessDenied extends Error {}

/**
 * Decides what each personal feed URL may show. Membership (groups, project roles) is read from Jira
 * as the app user on a schedule and cached; feed requests are answered from the cache and from the
 * per-URL result stored here, never from Jira.
 */
export class AccessService {
  constructor(
    private readonly deps: {
      access: AccessRepository;
      feeds: FeedRepository;
      syncs: FeedSyncRepository;
      subscriptions: SubscriptionRepository;
      events: FeedEventRepository;
      renders: FeedRenderRepository;
      publisher: FeedPublisher;
      installations: InstallationService;
      jira: JiraClients;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  /** The scheduled refresh of one site: role actors, every subscriber's account, then every personal URL. */
  async refreshSite(clientKey: string): Promise<void> {
    const installation = await this.deps.installations.findActive(clientKey);
    if (!installation) return;
    await this.refreshRoles(installation);
    for (const accountId of await this.deps.subscriptions.listLiveAccounts(clientKey)) {
      const facts = await this.refreshUser(installation, accountId);
      // Data Center keeps a deactivated user's URLs (refused while inactive) for when they come back;
      // a deleted one is erased by the sweep of stored users.
      if (!facts.active && installation.door !== 'datacenter')
        await this.deps.subscriptions.revokeAllForAccount(clientKey, accountId, this.deps.now());
    }
    for (const feed of await this.deps.feeds.list(clientKey)) await this.recomputeFeed(installation, feed);
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
    const facts = { accountId, active, groupNames, refreshedAt: this.deps.now() };
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

  /** Whether the cache holds the account as active; null when it holds nothing for it. */
  async cachedActive(clientKey: string, accountId: string): Promise<boolean | null> {
    return (await this.deps.access.findUser(clientKey, accountId))?.active ?? null;
  }

  /** Re-decides every live personal URL of one account, from the cache. */
  async recomputeAccount(installation: ActiveInstallation, accountId: string): Promise<void> {
    for (const feed of await this.deps.feeds.list(installation.clientKey)) {
      for (const subscription of await this.deps.subscriptions.listLivePersonal(
        installation.clientKey,
        feed.id,
      )) {
        if (subscription.accountId === accountId) await this.resolve(installation, feed, subscription);
      }
    }
  }

  async recomputeFeed(installation: ActiveInstallation, feed: Feed): Promise<void> {
    for (const subscription of await this.deps.subscriptions.listLivePersonal(
      installation.clientKey,
      feed.id,
    )) {
      await this.resolve(installation, feed, subscription);
    }
  }

  /** Works out and stores what one personal URL may show, and renders that variant. */
  async resolve(
    installation: ActiveInstallation,
    feed: Feed,
    subscription: FeedSubscription,
  ): Promise<SubscriptionAccess> {
    const { clientKey } = installation;
    const accountId = subscription.accountId;
    const calendar: CalendarName | null = isCalendarName(subscription.calendar)
      ? subscription.calendar
      : null;
    const now = this.deps.now();
    const denied = (reason: string): SubscriptionAccess => ({
      subscriptionId: subscription.id,
      allowed: false,
      projectIds: null,
      issueIds: null,
      variant: null,
      reason,
      refreshedAt: now,
    });
    let result: SubscriptionAccess;
    if (accountId === null || calendar === null) {
      result = denied('Not a personal calendar');
    } else {
      const visibility = visibilityFor(
        feed.config,
        calendar,
        accountId,
        await this.factsFor(clientKey, accountId),
      );
      if (!visibility.allowed) {
        result = denied(visibility.reason);
      } else {
        const events = visibleEvents(await this.deps.events.list(clientKey, feed.id), visibility, null);
        const browsable = feed.config.access.respectPermissions
          ? await this.browsable(installation, accountId, events)
          : null;
        const projectIds =
          browsable === null
            ? visibility.projectIds
            : intersect(visibility.projectIds, browsable.projects, events);
        const issueIds = browsable?.issues ?? null;
        const unrestricted = projectIds === null && visibility.accountFilter === null && issueIds === null;
        result = {
          subscriptionId: subscription.id,
          allowed: true,
          projectIds,
          issueIds: issueIds === null ? null : [...issueIds].sort(),
          variant: unrestricted
            ? ALL_CALENDAR
            : variantKey(calendar, projectIds, visibility.accountFilter, issueIds),
          reason: null,
          refreshedAt: now,
        };
      }
    }
    await this.deps.access.saveSubscriptionAccess(clientKey, result);
    if (result.allowed && result.variant !== ALL_CALENDAR)
      await this.renderVariant(clientKey, feed, subscription, result);
    return result;
  }

  /**
   * Which of `events` the user would see through any calendar of a feed with `config`, by the same rules
   * a personal URL follows (access mode, roles, "divide by user", Jira's browse permission), or why none.
   */
  async visibleTo(
    installation: ActiveInstallation,
    config: FeedConfig,
    accountId: string,
    events: FeedEvent[],
  ): Promise<{ events: FeedEvent[]; reason: string | null }> {
    await this.ensureFresh(installation, accountId);
    const facts = await this.factsFor(installation.clientKey, accountId);
    const reasons: string[] = [];
    for (const calendar of offeredCalendars(config)) {
      const visibility = visibilityFor(config, calendar, accountId, facts);
      if (!visibility.allowed) {
        reasons.push(visibility.reason.charAt(0).toLowerCase() + visibility.reason.slice(1));
        continue;
      }
      let visible = visibleEvents(events, visibility, null);
      if (visible.length === 0) {
        reasons.push(
          calendar === 'mine'
            ? "the feed's user fields do not name them"
            : "their project roles do not cover the issue's project",
        );
        continue;
      }
      if (config.access.respectPermissions) {
        const browsable = await this.browsable(installation, accountId, visible);
        visible = visible.filter((event) =>
          event.issueId === null
            ? event.projectIds.some((project) => browsable.projects.has(project))
            : browsable.issues.has(event.issueId),
        );
        if (visible.length === 0) {
          reasons.push('Jira does not let them browse the issue');
          continue;
        }
      }
      return { events: visible, reason: null };
    }
    return { events: [], reason: reasons[0] ?? 'this feed is not shared with users' };
  }

  /** Renders (or reuses) the bytes for a restricted URL from the feed's stored events; never calls Jira. */
  async renderVariant(
    clientKey: string,
    feed: Feed,
    subscription: FeedSubscription,
    access: SubscriptionAccess,
  ): Promise<RenderedFeed | null> {
    if (
      !access.allowed ||
      access.variant === null ||
      subscription.accountId === null ||
      !isCalendarName(subscription.calendar)
    )
      return null;
    const visibility = {
      allowed: true as const,
      projectIds: access.projectIds,
      accountFilter: subscription.calendar === 'mine' ? subscription.accountId : null,
    };
    const events = visibleEvents(
      await this.deps.events.list(clientKey, feed.id),
      visibility,
      access.issueIds === null ? null : new Set(access.issueIds),
    );
    const dataHash = FeedPublisher.dataHash(feed, events);
    const existing = await this.deps.renders.find(clientKey, feed.id, access.variant);
    if (existing?.dataHash === dataHash) return existing;
    const rendered = await this.deps.publisher.render(feed, access.variant, events, dataHash);
    await this.deps.renders.save(clientKey, rendered);
    return rendered;
  }

  /**
   * Asks Jira which of the feed's projects and issues the user may browse (project permission plus
   * issue-level security), as the user would see them in Jira.
   */
  private async browsable(
    installation: ActiveInstallation,
    accountId: string,
    events: { issueId: string | null; projectIds: string[] }[],
  ): Promise<{ projects: Set<string>; issues: Set<string> }> {
    const issueIds = [
      ...new Set(events.map((event) => event.issueId).filter((id): id is string => id !== null)),
    ];
    const projectIds = [...new Set(events.flatMap((event) => event.projectIds))];
    const result = { projects: new Set<string>(), issues: new Set<string>() };
    const client = this.deps.jira.forInstallation(installation);
    const check = async (scope: { projects?: number[]; issues?: number[] }) => {
      const grants = await client.checkPermissions({
        accountId,
        projectPermissions: [{ permissions: ['BROWSE_PROJECTS'], ...scope }],
      });
      for (const grant of grants.projectPermissions) {
        if (grant.permission !== 'BROWSE_PROJECTS') continue;
        for (const project of grant.projects) result.projects.add(String(project));
        for (const issue of grant.issues) result.issues.add(String(issue));
      }
    };
    if (projectIds.length > 0) await check({ projects: projectIds.map(Number) });
    for (let index = 0; index < issueIds.length; index += PERMISSION_CHECK_CHUNK) {
      await check({ issues: issueIds.slice(index, index + PERMISSION_CHECK_CHUNK).map(Number) });
    }
    return result;
  }
}

/** Projects allowed by the access rule and by Jira's browse permission; null keeps "all" only if nothing was taken away. */
function intersect(
  allowedByRule: string[] | null,
  browsable: Set<string>,
  events: { projectIds: string[] }[],
): string[] | null {
  const candidates = allowedByRule ?? [...new Set(events.flatMap((event) => event.projectIds))];
  const kept = candidates.filter((project) => browsable.has(project)).sort();
  return allowedByRule === null && kept.length === candidates.length ? null : kept;
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

function variantKey(
  calendar: CalendarName,
  projectIds: string[] | null,
  accountFilter: string | null,
  issueIds: Set<string> | null,
): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify({
        calendar,
        projectIds,
        accountFilter,
        issueIds: issueIds === null ? null : [...issueIds].sort(),
      }),
    )
    .digest('base64url');
  return `v-${digest.slice(0, 32)}`;
}
