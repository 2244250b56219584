import { createHash } from 'node:crypto';
import type { AccessRepository, SubscriptionAccess } from '../db/access-repository.js';
import type { FeedEventRepository } from '../db/feed-event-repository.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { SubscriptionRepository } from '../db/subscription-repository.js';
import {
  type CalendarName,
  isCalendarName,
  offeredCalendars,
  visibilityFor,
  visibleEvents,
} from '../domain/access-rules.js';
import { ALL_CALENDAR, type Feed, type FeedSubscription, type RenderedFeed } from '../domain/feed.js';
import type { FeedConfig } from '../domain/feed-config.js';
import type { FeedEvent } from '../domain/feed-event.js';
import { hasSubscriberDays, inSubscriberZone, type PersonalZone } from '../domain/subscriber-days.js';
import type { ActiveInstallation } from '../domain/installation.js';
import { FeedPublisher } from './feed-publisher.js';
import type { InstallationService } from './installation-service.js';
import type { JiraClients } from './jira-clients.js';
import type { LiveCalendarTriggers } from './live-calendar-triggers.js';
import type { MembershipService } from './membership-service.js';

const PERMISSION_CHECK_CHUNK = 500;

/**
 * Decides what each personal feed URL may show, from the membership facts `MembershipService` caches and,
 * when the feed asks for it, Jira's browse permission. The per-URL result and bytes are stored here: feed
 * requests are answered from them, never from Jira.
 */
export class AccessService {
  constructor(
    private readonly deps: {
      access: AccessRepository;
      membership: MembershipService;
      feeds: FeedRepository;
      subscriptions: SubscriptionRepository;
      events: FeedEventRepository;
      renders: FeedRenderRepository;
      publisher: FeedPublisher;
      installations: InstallationService;
      jira: JiraClients;
      livePushes?: LiveCalendarTriggers;
      now: () => Date;
    },
  ) {}

  /** The scheduled refresh of one site: its membership facts, then every personal URL. */
  async refreshSite(clientKey: string): Promise<void> {
    const installation = await this.deps.installations.findActive(clientKey);
    if (!installation) return;
    await this.deps.membership.refreshSite(installation);
    for (const feed of await this.deps.feeds.list(clientKey)) await this.recomputeFeed(installation, feed);
    await this.deps.livePushes?.siteChanged(clientKey);
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
    await this.deps.livePushes?.accountChanged(installation.clientKey, accountId);
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
    const result = await this.decide(installation, feed, subscription, this.deps.now());
    await this.deps.access.saveSubscriptionAccess(installation.clientKey, result);
    if (result.allowed && result.variant !== ALL_CALENDAR)
      await this.renderVariant(installation.clientKey, feed, subscription, result);
    return result;
  }

  private async decide(
    installation: ActiveInstallation,
    feed: Feed,
    subscription: FeedSubscription,
    now: Date,
  ): Promise<SubscriptionAccess> {
    const { clientKey } = installation;
    const accountId = subscription.accountId;
    const calendar: CalendarName | null = isCalendarName(subscription.calendar)
      ? subscription.calendar
      : null;
    const denied = (reason: string): SubscriptionAccess => ({
      subscriptionId: subscription.id,
      allowed: false,
      projectIds: null,
      issueIds: null,
      variant: null,
      reason,
      refreshedAt: now,
    });
    if (accountId === null || calendar === null) return denied('Not a personal calendar');
    const facts = await this.deps.membership.factsFor(clientKey, accountId);
    const visibility = visibilityFor(feed.config, calendar, accountId, facts);
    if (!visibility.allowed) return denied(visibility.reason);
    const events = visibleEvents(await this.deps.events.list(clientKey, feed.id), visibility, null);
    const browsable = feed.config.access.respectPermissions
      ? await this.browsable(installation, accountId, events)
      : null;
    const projectIds =
      browsable === null
        ? visibility.projectIds
        : intersect(visibility.projectIds, browsable.projects, events);
    const issueIds = browsable?.issues ?? null;
    const zone = await this.zoneFor(clientKey, feed, accountId);
    const unrestricted =
      projectIds === null && visibility.accountFilter === null && issueIds === null && zone === null;
    return {
      subscriptionId: subscription.id,
      allowed: true,
      projectIds,
      issueIds: issueIds === null ? null : [...issueIds].sort(),
      variant: unrestricted
        ? ALL_CALENDAR
        : variantKey(calendar, projectIds, visibility.accountFilter, issueIds, zone),
      reason: null,
      refreshedAt: now,
    };
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
    await this.deps.membership.ensureFresh(installation, accountId);
    const facts = await this.deps.membership.factsFor(installation.clientKey, accountId);
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

  /**
   * The events a personal URL serves under `access`, or null when it serves none: what its bytes are
   * rendered from, and what a live calendar of it holds.
   */
  async servedEvents(
    clientKey: string,
    feed: Feed,
    subscription: FeedSubscription,
    access: SubscriptionAccess,
  ): Promise<FeedEvent[] | null> {
    if (
      !access.allowed ||
      access.variant === null ||
      subscription.accountId === null ||
      !isCalendarName(subscription.calendar)
    )
      return null;
    const events = await this.deps.events.list(clientKey, feed.id);
    if (access.variant === ALL_CALENDAR) return events;
    const visibility = {
      allowed: true as const,
      projectIds: access.projectIds,
      accountFilter: subscription.calendar === 'mine' ? subscription.accountId : null,
    };
    return inSubscriberZone(
      visibleEvents(events, visibility, access.issueIds === null ? null : new Set(access.issueIds)),
      await this.zoneFor(clientKey, feed, subscription.accountId),
    );
  }

  /** Renders (or reuses) the bytes for a restricted URL from the feed's stored events; never calls Jira. */
  async renderVariant(
    clientKey: string,
    feed: Feed,
    subscription: FeedSubscription,
    access: SubscriptionAccess,
  ): Promise<RenderedFeed | null> {
    const events = await this.servedEvents(clientKey, feed, subscription, access);
    if (events === null || access.variant === null) return null;
    const dataHash = FeedPublisher.dataHash(feed, events);
    const existing = await this.deps.renders.find(clientKey, feed.id, access.variant);
    if (existing?.dataHash === dataHash) return existing;
    const rendered = await this.deps.publisher.render(feed, access.variant, events, dataHash);
    await this.deps.renders.save(clientKey, rendered);
    return rendered;
  }

  /** The subscriber's own zone when a rule of the feed puts events on their day (null: the feed's day). */
  private async zoneFor(clientKey: string, feed: Feed, accountId: string): Promise<PersonalZone | null> {
    return hasSubscriberDays(feed.config) ? this.deps.membership.zoneOf(clientKey, accountId) : null;
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

function variantKey(
  calendar: CalendarName,
  projectIds: string[] | null,
  accountFilter: string | null,
  issueIds: Set<string> | null,
  zone: PersonalZone | null,
): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify({
        calendar,
        projectIds,
        accountFilter,
        issueIds: issueIds === null ? null : [...issueIds].sort(),
        // Only when there is one, so the variants of every other URL keep their keys.
        ...(zone === null ? {} : { zone }),
      }),
    )
    .digest('base64url');
  return `v-${digest.slice(0, 32)}`;
}
