import { liveCalendarTokenKey } from '../config-live-calendars.js';
import { TokenCipher } from '../db/token-cipher.js';
import { createCalendarProviders } from '../providers/index.js';
import type { AccessService } from '../services/access-service.js';
import { CalendarPushService } from '../services/calendar-push-service.js';
import type { InstallationService } from '../services/installation-service.js';
import { LiveCalendarService } from '../services/live-calendar-service.js';
import type { MyCalendarsService } from '../services/my-calendars-service.js';
import { ProviderSessions } from '../services/provider-sessions.js';
import type { ServiceDeps } from './core.js';
import { PROVIDER_QUOTAS } from '../domain/provider-quotas.js';
import type { Metrics } from '../services/metrics.js';

/** Live calendars: the configured providers, connecting people to them, and the push that keeps them live. */
export function createLiveCalendarParts(
  deps: ServiceDeps & { calendarFetch?: typeof fetch },
  parts: {
    access: AccessService;
    installations: InstallationService;
    myCalendars: MyCalendarsService;
    metrics: Metrics;
  },
) {
  const { config, logger, now, queue, repositories: repos } = deps;
  const providers = createCalendarProviders(config, deps.calendarFetch ? { fetch: deps.calendarFetch } : {});
  const key = liveCalendarTokenKey({ google: config.google, microsoft: config.microsoft });
  const cipher = key ? new TokenCipher(key) : null;
  const sessions = new ProviderSessions({
    providers,
    connections: repos.calendarConnectionRepository,
    feeds: repos.feedRepository,
    cipher,
    now,
    budget: repos.providerBudgetRepository,
    quotas: deps.providerQuotas ?? PROVIDER_QUOTAS,
    onCall: (provider, status) => parts.metrics.recordProviderCall(provider, status),
  });
  const calendarPushes = new CalendarPushService({
    connections: repos.calendarConnectionRepository,
    pushed: repos.calendarPushedEventRepository,
    subscriptions: repos.subscriptionRepository,
    feeds: repos.feedRepository,
    access: repos.accessRepository,
    accessService: parts.access,
    installations: parts.installations,
    sessions,
    logger,
    now,
  });
  const liveCalendars = new LiveCalendarService({
    providers,
    sessions,
    connections: repos.calendarConnectionRepository,
    pushed: repos.calendarPushedEventRepository,
    attempts: repos.calendarConnectAttemptRepository,
    myCalendars: parts.myCalendars,
    cipher,
    queue,
    baseUrl: config.baseUrl,
    logger,
    now,
  });
  return { calendarPushes, liveCalendars };
}
