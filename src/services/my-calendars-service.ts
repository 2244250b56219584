import type { AccessRepository } from '../db/access-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { SubscriptionRepository } from '../db/subscription-repository.js';
import type {
  SubscriptionClient,
  SubscriptionClientRepository,
} from '../db/subscription-client-repository.js';
import { neverFetchedSinceShown } from '../domain/client-family.js';
import {
  type CalendarName,
  isCalendarName,
  offeredCalendars,
  visibilityFor,
} from '../domain/access-rules.js';
import type { Feed, FeedSubscription } from '../domain/feed.js';
import { notFound } from '../errors.js';
import type { AccessService } from './access-service.js';
import { ACCESS_REFRESH_MS, type MembershipService } from './membership-service.js';
import type { Actor } from './actor.js';
import type { LiveCalendarTriggers } from './live-calendar-triggers.js';
import type { SubscriptionService } from './subscription-service.js';
import { withUpstreamErrors } from '../jira/upstream-errors.js';

/** One personal calendar of the signed-in user: the feed, which of its calendars, and the URL for it. */
export type PersonalCalendar = {
  feed: Feed;
  calendar: CalendarName;
  subscription: FeedSubscription;
  url: string;
  /** The app families that fetched the URL, most recent first. */
  clients: SubscriptionClient[];
  /** Shown over 48 hours ago and fetched by no calendar app since: likely imported, not subscribed. */
  neverFetched: boolean;
};

/** "My calendars": the personal URLs of the signed-in user, created when first asked for. */
export class MyCalendarsService {
  constructor(
    private readonly deps: {
      feeds: FeedRepository;
      subscriptions: SubscriptionService;
      subscriptionRepository: SubscriptionRepository;
      clients: SubscriptionClientRepository;
      access: AccessService;
      membership: MembershipService;
      accessRepository: AccessRepository;
      livePushes?: LiveCalendarTriggers;
      now: () => Date;
    },
  ) {}

  async list(actor: Actor): Promise<PersonalCalendar[]> {
    const feeds = await this.deps.feeds.list(actor.clientKey);
    // No feed, no calendar: nothing to ask Jira (on Data Center there is no feed owner to ask as yet).
    if (feeds.length === 0) return [];
    await withUpstreamErrors(() => this.deps.membership.ensureFresh(actor.installation, actor.accountId));
    const facts = await this.deps.membership.factsFor(actor.clientKey, actor.accountId);
    const shown: { feed: Feed; calendar: CalendarName; subscription: FeedSubscription }[] = [];
    for (const feed of feeds) {
      for (const calendar of offeredCalendars(feed.config)) {
        if (!visibilityFor(feed.config, calendar, actor.accountId, facts).allowed) continue;
        const subscription = await this.deps.subscriptions.ensure(
          actor.clientKey,
          feed.id,
          actor.accountId,
          calendar,
        );
        await this.resolveIfStale(actor, feed, subscription);
        shown.push({ feed, calendar, subscription });
      }
    }
    return this.presentShown(actor.clientKey, shown);
  }

  /** One of the actor's personal calendars, 404 when they may not have it. */
  async find(actor: Actor, feedId: string, calendarName: string): Promise<PersonalCalendar> {
    const { feed, calendar } = await this.allowed(actor, feedId, calendarName);
    const subscription = await this.deps.subscriptions.ensure(
      actor.clientKey,
      feed.id,
      actor.accountId,
      calendar,
    );
    await this.resolveIfStale(actor, feed, subscription);
    const [presented] = await this.presentShown(actor.clientKey, [{ feed, calendar, subscription }]);
    if (!presented) throw notFound('Calendar');
    return presented;
  }

  async regenerate(actor: Actor, feedId: string, calendarName: string): Promise<PersonalCalendar> {
    const { feed, calendar } = await this.allowed(actor, feedId, calendarName);
    const current = await this.deps.subscriptions.ensure(actor.clientKey, feed.id, actor.accountId, calendar);
    const rotated = await this.deps.subscriptions.rotate(actor.clientKey, current);
    await withUpstreamErrors(() => this.deps.access.resolve(actor.installation, feed, rotated));
    const [presented] = await this.presentShown(actor.clientKey, [{ feed, calendar, subscription: rotated }]);
    if (!presented) throw notFound('Calendar');
    return presented;
  }

  async revoke(actor: Actor, feedId: string, calendarName: string): Promise<void> {
    const feed = await this.deps.feeds.findById(actor.clientKey, feedId);
    if (!feed || !isCalendarName(calendarName)) throw notFound('Calendar');
    const subscription = await this.deps.subscriptionRepository.findLive(
      actor.clientKey,
      feed.id,
      actor.accountId,
      calendarName,
    );
    if (!subscription) throw notFound('Calendar');
    await this.deps.subscriptionRepository.revoke(actor.clientKey, subscription.id, this.deps.now());
    await this.deps.livePushes?.accountChanged(actor.clientKey, actor.accountId);
  }

  private async allowed(
    actor: Actor,
    feedId: string,
    calendarName: string,
  ): Promise<{ feed: Feed; calendar: CalendarName }> {
    const feed = await this.deps.feeds.findById(actor.clientKey, feedId);
    if (!feed || !isCalendarName(calendarName) || !offeredCalendars(feed.config).includes(calendarName))
      throw notFound('Calendar');
    await withUpstreamErrors(() => this.deps.membership.ensureFresh(actor.installation, actor.accountId));
    const facts = await this.deps.membership.factsFor(actor.clientKey, actor.accountId);
    if (!visibilityFor(feed.config, calendarName, actor.accountId, facts).allowed) throw notFound('Calendar');
    return { feed, calendar: calendarName };
  }

  private async resolveIfStale(actor: Actor, feed: Feed, subscription: FeedSubscription): Promise<void> {
    const access = await this.deps.accessRepository.findSubscriptionAccess(actor.clientKey, subscription.id);
    if (!access || this.deps.now().getTime() - access.refreshedAt.getTime() > ACCESS_REFRESH_MS) {
      await withUpstreamErrors(() => this.deps.access.resolve(actor.installation, feed, subscription));
    }
  }

  /** The calendars with their URLs, which counts as showing each URL to its owner. */
  private async presentShown(
    clientKey: string,
    shown: { feed: Feed; calendar: CalendarName; subscription: FeedSubscription }[],
  ): Promise<PersonalCalendar[]> {
    const now = this.deps.now();
    const ids = shown.map(({ subscription }) => subscription.id);
    await this.deps.subscriptionRepository.markShown(clientKey, ids, now);
    const clients = await this.deps.clients.listForSubscriptions(clientKey, ids);
    return shown.map(({ feed, calendar, subscription: stored }) => {
      const subscription = { ...stored, urlShownAt: stored.urlShownAt ?? now };
      const own = clients.filter((client) => client.subscriptionId === subscription.id);
      // The clients are read after the subscription: a fetch recorded in between shows in them first.
      const lastFetchedAt = [subscription.lastFetchedAt, ...own.map((client) => client.lastFetchedAt)].reduce(
        (latest, at) => (at && (!latest || at > latest) ? at : latest),
        null,
      );
      return {
        feed,
        calendar,
        subscription,
        url: this.deps.subscriptions.urlFor(subscription),
        clients: own,
        neverFetched: neverFetchedSinceShown({ urlShownAt: subscription.urlShownAt, lastFetchedAt }, now),
      };
    });
  }
}
