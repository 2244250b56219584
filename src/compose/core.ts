import type { Knex } from 'knex';
import type { Config } from '../config.js';
import { AccessRepository } from '../db/access-repository.js';
import { ConnectStoreRepository } from '../db/connect-store-repository.js';
import type { DeploymentScope } from '../domain/deployment.js';
import { AppError } from '../errors.js';
import type { DoorName, JiraAccess } from '../doors/door.js';
import { FeedEventRevisionRepository } from '../db/feed-event-revision-repository.js';
import { FeedEventRepository } from '../db/feed-event-repository.js';
import { FeedRenderRepository } from '../db/feed-render-repository.js';
import { FeedRepository } from '../db/feed-repository.js';
import { FeedSyncItemRepository } from '../db/feed-sync-item-repository.js';
import { FeedSyncDayRepository } from '../db/feed-sync-day-repository.js';
import { FeedSyncRepository } from '../db/feed-sync-repository.js';
import { ForgeTokenRepository } from '../db/forge-token-repository.js';
import { InstallationRepository } from '../db/installation-repository.js';
import { LifecycleTokenRepository } from '../db/lifecycle-token-repository.js';
import { SiteSettingsRepository } from '../db/site-settings-repository.js';
import { PersonalDataAccountRepository } from '../db/personal-data-account-repository.js';
import { PersonalDataReportRepository } from '../db/personal-data-report-repository.js';
import { PrivacyRepository } from '../db/privacy-repository.js';
import { UserSweepRepository } from '../db/user-sweep-repository.js';
import { SubscriptionClientRepository } from '../db/subscription-client-repository.js';
import { SubscriptionRepository } from '../db/subscription-repository.js';
import type { Logger } from '../logger.js';
import { AccessService } from '../services/access-service.js';
import { AdminAccess } from '../services/admin-access.js';
import { ErrorReporter } from '../services/error-reporter.js';
import { FeedPublisher } from '../services/feed-publisher.js';
import { FeedServingService } from '../services/feed-serving-service.js';
import { FetchRecorder } from '../services/fetch-recorder.js';
import { FeedService, type SyncQueue } from '../services/feed-service.js';
import type { SiteChangedPayload } from '../jobs/site-changed-job.js';
import { FeedTokens } from '../services/feed-tokens.js';
import { InstallationService } from '../services/installation-service.js';
import { JiraClients } from '../services/jira-clients.js';
import { JiraLookupService } from '../services/jira-lookup-service.js';
import { MembershipService } from '../services/membership-service.js';
import { Metrics } from '../services/metrics.js';
import type { ProviderQuotas } from '../domain/provider-quotas.js';
import { MyCalendarsService } from '../services/my-calendars-service.js';
import { ExplainService } from '../services/explain-service.js';
import { PreviewService } from '../services/preview-service.js';
import { PersonalDataReporting } from '../services/personal-data-reporting.js';
import { PrivacyService } from '../services/privacy-service.js';
import { UserSweepService } from '../services/user-sweep-service.js';
import { RenderCache } from '../services/render-cache.js';
import { ServedFeeds } from '../services/served-feeds.js';
import { SettingsService } from '../services/settings-service.js';
import { SubscriptionService } from '../services/subscription-service.js';
import { SyncRequests } from '../services/sync-requests.js';
import { SyncReader } from '../services/sync-reader.js';
import { SyncService } from '../services/sync-service.js';
import { SyncSettler } from '../services/sync-settler.js';
import { SyncStore } from '../services/sync-store.js';
import { CalendarConnectAttemptRepository } from '../db/calendar-connect-attempt-repository.js';
import { CalendarConnectionRepository } from '../db/calendar-connection-repository.js';
import { CalendarPushedEventRepository } from '../db/calendar-pushed-event-repository.js';
import { ProviderBudgetRepository } from '../db/provider-budget-repository.js';
import { type CalendarPushQueue, LiveCalendarTriggers } from '../services/live-calendar-triggers.js';
import { createLiveCalendarParts } from './live-calendars.js';
import { PUSH_CALENDAR_TASK } from '../jobs/push-calendar-job.js';

export type Services = ReturnType<typeof createServices>;
export type SiteChangeQueue = { enqueueSiteChanged(payload: SiteChangedPayload): Promise<void> };
export type Repositories = ReturnType<typeof createRepositories>;

/** Rendered feeds kept in memory per process; a feed is at most a few MB, most far less. */
const RENDER_CACHE_BYTES = 64 * 1024 * 1024;
/**
 * Feed URLs whose answer a process keeps in memory (bytes shared via the cache). Each takes ~1.9 KB of heap
 * (`bench/served-memory.ts`), so a full map holds ~55 MiB on top of the render cache; a URL beyond it is
 * looked up in the database (one indexed query) and displaces the oldest.
 */
const SERVED_URLS_MAX = 30_000;

export type ServiceDeps = {
  config: Config & { feedTokenSecret: string };
  logger: Logger;
  knex: Knex;
  queue: SyncQueue &
    SiteChangeQueue &
    CalendarPushQueue & {
      depth(task?: string): Promise<number>;
      enqueueAccessRefresh(clientKey: string): Promise<void>;
    };
  now: () => Date;
  scope: DeploymentScope;
  repositories: Repositories;
  /** How each door's installations reach Jira; a door this deployment cannot serve has none. */
  jiraAccess: Record<DoorName, JiraAccess | null>;
  /** Drops what a door holds in memory for a person whose data is erased (Data Center's tokens). */
  forgetInMemory?: (clientKey: string, accountId: string) => void;
  errorReportingFetch?: typeof fetch;
  /** How often batched feed-fetch statistics are written; tests shorten it. */
  fetchStatsFlushMs?: number;
  jiraClientOverrides?: ConstructorParameters<typeof JiraClients>[0] extends infer T ? Partial<T> : never;
  /** Provider quotas to pace live calendars by; the bench compresses them (see compressQuotas). */
  providerQuotas?: ProviderQuotas;
};

/** One repository per table, each on the same knex. */
export function createRepositories(knex: Knex) {
  return {
    installationRepository: new InstallationRepository(knex),
    connectStoreRepository: new ConnectStoreRepository(knex),
    feedRepository: new FeedRepository(knex),
    syncRepository: new FeedSyncRepository(knex),
    syncDayRepository: new FeedSyncDayRepository(knex),
    eventRepository: new FeedEventRepository(knex),
    renderRepository: new FeedRenderRepository(knex),
    subscriptionRepository: new SubscriptionRepository(knex),
    subscriptionClientRepository: new SubscriptionClientRepository(knex),
    siteSettingsRepository: new SiteSettingsRepository(knex),
    accessRepository: new AccessRepository(knex),
    forgeTokenRepository: new ForgeTokenRepository(knex),
    lifecycleTokenRepository: new LifecycleTokenRepository(knex),
    personalDataAccounts: new PersonalDataAccountRepository(knex),
    personalDataReportRepository: new PersonalDataReportRepository(knex),
    itemRepository: new FeedSyncItemRepository(knex),
    revisionRepository: new FeedEventRevisionRepository(knex),
    privacyRepository: new PrivacyRepository(knex),
    userSweepRepository: new UserSweepRepository(knex),
    calendarConnectionRepository: new CalendarConnectionRepository(knex),
    calendarPushedEventRepository: new CalendarPushedEventRepository(knex),
    providerBudgetRepository: new ProviderBudgetRepository(knex),
    calendarConnectAttemptRepository: new CalendarConnectAttemptRepository(knex),
  };
}

const dataCenterOff = (): AppError =>
  new AppError(
    503,
    'datacenter_off',
    'This Calendar Sync server is not set up for Jira Data Center (EDITION=datacenter)',
  );

/** The error reporter, the metrics and the Jira clients, which reach each site as its door says. */
function createJiraParts(deps: ServiceDeps) {
  const { config, logger, queue, now, scope, repositories: repos, jiraAccess } = deps;
  const reporter = new ErrorReporter({
    url: config.errorReportingUrl,
    environment: config.env,
    settings: repos.siteSettingsRepository,
    logger,
    now,
    ...(deps.errorReportingFetch ? { fetch: deps.errorReportingFetch } : {}),
  });
  const metrics = new Metrics(async () => {
    const [queueDepth, oldest, pushQueueDepth] = await Promise.all([
      queue.depth(),
      repos.syncRepository.oldestDueSince(scope, now()),
      queue.depth(PUSH_CALENDAR_TASK),
    ]);
    return {
      queueDepth,
      pushQueueDepth,
      oldestDueFeedSeconds: oldest ? Math.max(0, (now().getTime() - oldest.getTime()) / 1000) : 0,
    };
  });
  const accessOf = (door: DoorName): JiraAccess => {
    const access = jiraAccess[door];
    if (!access) throw dataCenterOff();
    return access;
  };
  const jira = new JiraClients({
    authFor: (installation) => accessOf(installation.credentials.door).forInstallation(installation),
    feedAuthFor: (installation, feed) =>
      jiraAccess[installation.credentials.door]?.forFeed?.(installation, feed) ?? null,
    requestsPerSecond: config.jiraRequestsPerSecond,
    logger,
    onResponse: (clientKey, status) => metrics.recordJiraResponse(clientKey, status),
    ...deps.jiraClientOverrides,
  });
  return { reporter, metrics, jira };
}

/** Feeds and their syncs: creating, queueing, publishing, resolving who may see them. */
function createFeedParts(deps: ServiceDeps, parts: ReturnType<typeof createJiraParts>) {
  const { config, knex, queue, now, logger, repositories: repos } = deps;
  const { jira, reporter } = parts;
  const livePushes = new LiveCalendarTriggers({ connections: repos.calendarConnectionRepository, queue });
  const installations = new InstallationService(repos.installationRepository, { logger, now });
  const subscriptions = new SubscriptionService({
    subscriptions: repos.subscriptionRepository,
    tokens: new FeedTokens(config.feedTokenSecret),
    baseUrl: config.baseUrl,
    now,
  });
  const publisher = new FeedPublisher({ renders: repos.renderRepository, now });
  const syncRequests = new SyncRequests({
    syncs: repos.syncRepository,
    queue,
    now,
    heartbeatStaleMs: config.syncHeartbeatStaleMs,
  });
  const feeds = new FeedService({
    syncRequests,
    knex,
    feeds: repos.feedRepository,
    syncs: repos.syncRepository,
    subscriptions,
    subscriptionRepository: repos.subscriptionRepository,
    clients: repos.subscriptionClientRepository,
    publisher,
    renders: repos.renderRepository,
    jira,
    livePushes,
    connections: repos.calendarConnectionRepository,
    now,
  });
  const membership = new MembershipService({
    access: repos.accessRepository,
    feeds: repos.feedRepository,
    syncs: repos.syncRepository,
    subscriptions: repos.subscriptionRepository,
    jira,
    logger,
    now,
  });
  const access = new AccessService({
    access: repos.accessRepository,
    membership,
    feeds: repos.feedRepository,
    subscriptions: repos.subscriptionRepository,
    events: repos.eventRepository,
    renders: repos.renderRepository,
    publisher,
    installations,
    jira,
    livePushes,
    now,
  });
  const sync = createSync(deps, { jira, reporter, installations, publisher, access, livePushes });
  return {
    installations,
    subscriptions,
    publisher,
    syncRequests,
    feeds,
    membership,
    access,
    sync,
    livePushes,
  };
}

/** One sync in its steps: read what changed, settle it within the size budget, store it. */
function createSync(
  deps: ServiceDeps,
  parts: Pick<ReturnType<typeof createJiraParts>, 'jira' | 'reporter'> & {
    installations: InstallationService;
    publisher: FeedPublisher;
    access: AccessService;
    livePushes: LiveCalendarTriggers;
  },
) {
  const { config, knex, now, logger, repositories: repos } = deps;
  const { jira, reporter, installations, publisher, access, livePushes } = parts;
  const stores = {
    syncs: repos.syncRepository,
    syncDays: repos.syncDayRepository,
    items: repos.itemRepository,
    events: repos.eventRepository,
    revisions: repos.revisionRepository,
    renders: repos.renderRepository,
  };
  return new SyncService({
    installations,
    feeds: repos.feedRepository,
    syncs: repos.syncRepository,
    syncDays: repos.syncDayRepository,
    reader: new SyncReader({ ...stores, jira, now }),
    settler: new SyncSettler({ ...stores, publisher }),
    store: new SyncStore({ ...stores, knex, now }),
    heartbeatStaleMs: config.syncHeartbeatStaleMs,
    logger,
    reporter,
    access,
    livePushes,
    now,
  });
}

/** What pages and calendar apps read: served feeds, the editor's look-ups, previews and explanations. */
function createReadingParts(
  deps: ServiceDeps,
  parts: ReturnType<typeof createJiraParts> & ReturnType<typeof createFeedParts>,
) {
  const { logger, now, repositories: repos } = deps;
  const { jira, metrics, subscriptions, feeds, access, membership, livePushes } = parts;
  const fetches = new FetchRecorder({
    subscriptions: repos.subscriptionRepository,
    clients: repos.subscriptionClientRepository,
    logger,
    now,
    flushIntervalMs: deps.fetchStatsFlushMs ?? 5_000,
  });
  const serving = new FeedServingService({
    subscriptions,
    renders: repos.renderRepository,
    cache: new RenderCache(RENDER_CACHE_BYTES, (hit) => metrics.recordServingCache(hit)),
    served: new ServedFeeds(SERVED_URLS_MAX),
    logger,
    now,
    fetches,
    feeds: repos.feedRepository,
    access: repos.accessRepository,
    accessService: access,
  });
  const myCalendars = new MyCalendarsService({
    feeds: repos.feedRepository,
    subscriptions,
    subscriptionRepository: repos.subscriptionRepository,
    clients: repos.subscriptionClientRepository,
    access,
    membership,
    accessRepository: repos.accessRepository,
    livePushes,
    now,
  });
  return {
    fetches,
    serving,
    myCalendars,
    admins: new AdminAccess({ jira, now }),
    lookups: new JiraLookupService(jira),
    previews: new PreviewService({ feeds, jira, events: repos.eventRepository, now }),
    explanations: new ExplainService({ feeds, jira, access, now }),
  };
}

/** Erasure, the sweep of departed users, Personal Data Reporting and the site's settings. */
function createPrivacyParts(
  deps: ServiceDeps,
  parts: ReturnType<typeof createJiraParts> & ReturnType<typeof createFeedParts>,
) {
  const { knex, queue, logger, now, repositories: repos } = deps;
  const { syncRequests, installations, jira, access, membership, metrics, reporter } = parts;
  const privacy = new PrivacyService({
    privacy: repos.privacyRepository,
    syncRequests,
    ...(deps.forgetInMemory ? { forgetInMemory: deps.forgetInMemory } : {}),
  });
  const userSweeps = new UserSweepService({
    sweeps: repos.userSweepRepository,
    accounts: repos.personalDataAccounts,
    installations,
    jira,
    access,
    membership,
    privacy,
    logger,
    now,
  });
  const personalDataReporting = new PersonalDataReporting({
    knex,
    accounts: repos.personalDataAccounts,
    reports: repos.personalDataReportRepository,
    installations,
    privacy,
    syncRequests,
    queue,
    metrics,
    logger,
    now,
  });
  const settings = new SettingsService({
    settings: repos.siteSettingsRepository,
    reporter,
    personalData: personalDataReporting,
    now,
  });
  return { privacy, userSweeps, personalDataReporting, settings };
}

/** The core every door shares: every repository and use case, built once. */
export function createServices(deps: ServiceDeps) {
  const jiraParts = createJiraParts(deps);
  const feedParts = createFeedParts(deps, jiraParts);
  const both = { ...jiraParts, ...feedParts };
  const reading = createReadingParts(deps, both);
  return {
    ...deps.repositories,
    ...both,
    ...reading,
    ...createLiveCalendarParts(deps, { ...both, myCalendars: reading.myCalendars }),
    ...createPrivacyParts(deps, both),
    queue: deps.queue,
  };
}
