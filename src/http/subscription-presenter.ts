import type { AccountSubscriptionRow } from '../db/privacy-repository.js';
import type { SubscriptionClient } from '../db/subscription-client-repository.js';
import type { FeedSubscription } from '../domain/feed.js';
import type { PersonalCalendar } from '../services/my-calendars-service.js';

type Activity = Pick<FeedSubscription, 'createdAt' | 'lastFetchedAt' | 'fetchCount'>;

/** How a personal URL has been used, the same in every answer that shows one. */
export const presentActivity = (s: Activity) => ({
  createdAt: s.createdAt.toISOString(),
  lastFetchedAt: s.lastFetchedAt?.toISOString() ?? null,
  fetchCount: s.fetchCount,
});

/** How each calendar-app family fetched a URL: first and last fetch and how often. */
const presentClients = (clients: SubscriptionClient[]) =>
  clients.map((client) => ({
    family: client.family,
    firstFetchedAt: client.firstFetchedAt.toISOString(),
    lastFetchedAt: client.lastFetchedAt.toISOString(),
    fetchCount: client.fetchCount,
  }));

/** A feed's personal URL as its admins see it: whose, which calendar, how used; never the URL itself. */
export const presentSubscription = ({
  subscription: s,
  clients,
}: {
  subscription: FeedSubscription;
  clients: SubscriptionClient[];
}) => ({
  id: s.id,
  accountId: s.accountId,
  calendar: s.calendar,
  ...presentActivity(s),
  clients: presentClients(clients),
});

/** One of the signed-in user's own calendars, with its URL. */
export const presentPersonalCalendar = ({
  feed,
  calendar,
  subscription,
  url,
  clients,
  neverFetched,
}: PersonalCalendar) => ({
  feedId: feed.id,
  feedName: feed.name,
  calendar,
  label: calendar === 'all' ? feed.name : `${feed.name} — my items`,
  url,
  refreshIntervalMinutes: feed.config.syncIntervalMinutes,
  ...presentActivity(subscription),
  urlShownAt: subscription.urlShownAt?.toISOString() ?? null,
  clients: presentClients(clients),
  neverFetched,
});

/** A personal URL in a personal-data report. */
export const presentReportedSubscription = (s: AccountSubscriptionRow) => ({
  feedId: s.feedId,
  feedName: s.feedName,
  calendar: s.calendar,
  revokedAt: s.revokedAt?.toISOString() ?? null,
  ...presentActivity(s),
});
