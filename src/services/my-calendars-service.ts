import type { AccessRepository } from '../db/access-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { SubscriptionRepository } from '../db/subscription-repository.js';
import { type CalendarName, isCalendarName, offeredCalendars, visibilityFor } from '../domain/access-rules.js';
import type { Feed, FeedSubscription } from '../domain/feed.js';
import { notFound } from '../errors.js';
import { ACCESS_REFRESH_MS, type AccessService } from './access-service.js';
import type { Actor } from './actor.js';
import type { SubscriptionService } from './subscription-service.js';
import { withUpstreamErrors } from '../jira/upstream-errors.js';

export type MyCalendar = {
  feedId: string;
  feedName: string;
  calendar: CalendarName;
  label: string;
  url: string;
  refreshIntervalMinutes: number;
  createdAt: string;
  lastFetchedAt: string | null;
  fetchCount: number;
  lastUserAgent: string | null;
};

/** "My calendars": the personal URLs of the signed-in user, created when first asked for. */
export class MyCalendarsService {
  constructor(
    private readonly deps: {
      feeds: FeedRepository;
      subscriptions: SubscriptionService;
      subscriptionRepository: SubscriptionRepository;
      access: AccessService;
      accessRepository: AccessRepository;
      now: () => Date;
    },
  ) {}

  async list(actor: Actor): Promise<MyCalendar[]> {
    await withUpstreamErrors(() => this.deps.access.ensureFresh(actor.installation, actor.accountId));
    const facts = await this.deps.access.factsFor(actor.clientKey, actor.accountId);
    const calendars: MyCalendar[] = [];
    for (const feed of await this.deps.feeds.list(actor.clientKey)) {
      for (const calendar of offeredCalendars(feed.config)) {
        if (!visibilityFor(feed.config, calendar, actor.accountId, facts).allowed) continue;
        const subscription = await this.deps.subscriptions.ensure(actor.clientKey, feed.id, actor.accountId, calendar);
        await this.resolveIfStale(actor, feed, subscription);
        calendars.push(this.present(feed, calendar, subscription));
      }
    }
    return calendars;
  }

  async regenerate(actor: Actor, feedId: string, calendarName: string): Promise<MyCalendar> {
    const { feed, calendar } = await this.allowed(actor, feedId, calendarName);
    const current = await this.deps.subscriptions.ensure(actor.clientKey, feed.id, actor.accountId, calendar);
    const rotated = await this.deps.subscriptions.rotate(actor.clientKey, current);
    await withUpstreamErrors(() => this.deps.access.resolve(actor.installation, feed, rotated));
    return this.present(feed, calendar, rotated);
  }

  async revoke(actor: Actor, feedId: string, calendarName: string): Promise<void> {
    const feed = await this.deps.feeds.findById(actor.clientKey, feedId);
    if (!feed || !isCalendarName(calendarName)) throw notFound('Calendar');
    const subscription = await this.deps.subscriptionRepository.findLive(actor.clientKey, feed.id, actor.accountId, calendarName);
    if (!subscription) throw notFound('Calendar');
    await this.deps.subscriptionRepository.revoke(actor.clientKey, subscription.id, this.deps.now());
  }

  private async allowed(actor: Actor, feedId: string, calendarName: string): Promise<{ feed: Feed; calendar: CalendarName }> {
    const feed = await this.deps.feeds.findById(actor.clientKey, feedId);
    if (!feed || !isCalendarName(calendarName) || !offeredCalendars(feed.config).includes(calendarName)) throw notFound('Calendar');
    await withUpstreamErrors(() => this.deps.access.ensureFresh(actor.installation, actor.accountId));
    const facts = await this.deps.access.factsFor(actor.clientKey, actor.accountId);
    if (!visibilityFor(feed.config, calendarName, actor.accountId, facts).allowed) throw notFound('Calendar');
    return { feed, calendar: calendarName };
  }

  private async resolveIfStale(actor: Actor, feed: Feed, subscription: FeedSubscription): Promise<void> {
    const access = await this.deps.accessRepository.findSubscriptionAccess(actor.clientKey, subscription.id);
    if (!access || this.deps.now().getTime() - access.refreshedAt.getTime() > ACCESS_REFRESH_MS) {
      await withUpstreamErrors(() => this.deps.access.resolve(actor.installation, feed, subscription));
    }
  }

  private present(feed: Feed, calendar: CalendarName, subscription: FeedSubscription): MyCalendar {
    return {
      feedId: feed.id,
      feedName: feed.name,
      calendar,
      label: calendar === 'all' ? feed.name : `${feed.name} — my items`,
      url: this.deps.subscriptions.urlFor(subscription),
      refreshIntervalMinutes: feed.config.syncIntervalMinutes,
      createdAt: subscription.createdAt.toISOString(),
      lastFetchedAt: subscription.lastFetchedAt?.toISOString() ?? null,
      fetchCount: subscription.fetchCount,
      lastUserAgent: subscription.lastUserAgent,
    };
  }
}
