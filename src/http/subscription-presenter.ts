import type { AccountSubscriptionRow } from '../db/privacy-repository.js';
import type { FeedSubscription } from '../domain/feed.js';
import type { PersonalCalendar } from '../services/my-calendars-service.js';

type Activity = Pick<FeedSubscription, 'createdAt' | 'lastFetchedAt' | 'fetchCount' | 'lastUserAgent'>;

/** How a personal URL has been used, the same in every answer that shows one. */
export const presentActivity = (s: Activity) => ({
  createdAt: s.createdAt.toISOString(),
  lastFetchedAt: s.lastFetchedAt?.toISOString() ?? null,
  fetchCount: s.fetchCount,
  lastUserAgent: s.lastUserAgent,
});

/** A feed's personal URL as its admins see it: whose, which calendar, how used; never the URL itself. */
export const presentSubscription = (s: FeedSubscription) => ({
  id: s.id,
  accountId: s.accountId,
  calendar: s.calendar,
  ...presentActivity(s),
});

/** One of the signed-in user's own calendars, with its URL. */
export const presentPersonalCalendar = ({ feed, calendar, subscription, url }: PersonalCalendar) => ({
  feedId: feed.id,
  feedName: feed.name,
  calendar,
  label: calendar === 'all' ? feed.name : `${feed.name} — my items`,
  url,
  refreshIntervalMinutes: feed.config.syncIntervalMinutes,
  ...presentActivity(subscription),
});

/** A personal URL in a personal-data report. */
export const presentReportedSubscription = (s: AccountSubscriptionRow) => ({
  feedId: s.feedId,
  feedName: s.feedName,
  calendar: s.calendar,
  revokedAt: s.revokedAt?.toISOString() ?? null,
  ...presentActivity(s),
});
