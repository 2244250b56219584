import type { Knex } from 'knex';
import type { Config } from '../config.js';
import { AccessRepository } from '../db/access-repository.js';
import { connectJiraAuth } from '../doors/connect/connect-jira-auth.js';
import { ConnectPersonalDataReporter } from '../doors/connect/connect-personal-data.js';
import { ConnectStoreRepository } from '../db/connect-store-repository.js';
import { DataCenterSessionRepository } from '../db/datacenter-session-repository.js';
import { DataCenterSignInStateRepository } from '../db/datacenter-sign-in-state-repository.js';
import { DataCenterTokenRepository } from '../db/datacenter-token-repository.js';
import { DataCenterDoor, dataCenterClientKey } from '../doors/datacenter/datacenter-door.js';
import { DataCenterOAuth } from '../doors/datacenter/datacenter-oauth.js';
import { DataCenterTokens, ownerSignInNeeded } from '../doors/datacenter/datacenter-tokens.js';
import { FeedTakeoverService } from '../doors/datacenter/feed-takeover-service.js';
import { TokenCipher } from '../db/token-cipher.js';
import type { DeploymentScope } from '../domain/deployment.js';
import { runsAs } from '../domain/feed.js';
import { AppError } from '../errors.js';
import { FeedEventRevisionRepository } from '../db/feed-event-revision-repository.js';
import { FeedEventRepository } from '../db/feed-event-repository.js';
import { FeedRenderRepository } from '../db/feed-render-repository.js';
import { FeedRepository } from '../db/feed-repository.js';
import { FeedSyncItemRepository } from '../db/feed-sync-item-repository.js';
import { FeedSyncRepository } from '../db/feed-sync-repository.js';
import { ForgeTokenRepository } from '../db/forge-token-repository.js';
import { InstallationRepository } from '../db/installation-repository.js';
import { LifecycleTokenRepository } from '../db/lifecycle-token-repository.js';
import { SiteSettingsRepository } from '../db/site-settings-repository.js';
import { PersonalDataAccountRepository } from '../db/personal-data-account-repository.js';
import { PersonalDataReportRepository } from '../db/personal-data-report-repository.js';
import { PrivacyRepository } from '../db/privacy-repository.js';
import { UserSweepRepository } from '../db/user-sweep-repository.js';
import { SubscriptionRepository } from '../db/subscription-repository.js';
import type { ActiveInstallation } from '../domain/installation.js';
import { ForgeDoor } from '../doors/forge/forge-door.js';
import { forgeJiraAuth } from '../doors/forge/forge-jira-auth.js';
import { InvocationTokenVerifier } from '../doors/forge/invocation-token.js';
import type { JiraAuth } from '../jira/jira-auth.js';
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
import { Metrics } from '../services/metrics.js';
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
import { SyncService } from '../services/sync-service.js';

export type Services = ReturnType<typeof createServices>;
export type SiteChangeQueue = { enqueueSiteChanged(payload: SiteChangedPayload): Promise<void> };

/** Rendered feeds kept in memory per process; a feed is at most a few MB, most far less. */
const RENDER_CACHE_BYTES = 64 * 1024 * 1024;
/** Feed URLs whose answer a process keeps in memory (a few hundred bytes each, bytes shared via the cache). */
const SERVED_URLS_MAX = 100_000;

export type ServiceDeps = {
  config: Config & { feedTokenSecret: string };
  logger: Logger;
  knex: Knex;
  queue: SyncQueue &
    SiteChangeQueue & { depth(): Promise<number>; enqueueAccessRefresh(clientKey: string): Promise<void> };
  now?: () => Date;
  errorReportingFetch?: typeof fetch;
  /** How often batched feed-fetch statistics are written; tests shorten it. */
  fetchStatsFlushMs?: number;
  jiraClientOverrides?: ConstructorParameters<typeof JiraClients>[0] extends infer T ? Partial<T> : never;
};

/** The Cloud edition serves every Connect and Forge installation; a Data Center one, its one Jira. */
export function deploymentScopeOf(config: Pick<Config, 'datacenter'>): DeploymentScope {
  return config.datacenter
    ? { edition: 'datacenter', clientKey: dataCenterClientKey(config.datacenter.baseUrl) }
    : { edition: 'cloud' };
}

/** Builds every repository and use case once; main.ts and the tests compose the app from this. */
export function createServices(deps: ServiceDeps) {
  const { config, logger, knex, queue } = deps;
  const now = deps.now ?? (() => new Date());
  const scope = deploymentScopeOf(config);

  const installationRepository = new InstallationRepository(knex);
  const connectStoreRepository = new ConnectStoreRepository(knex);
  const feedRepository = new FeedRepository(knex);
  const syncRepository = new FeedSyncRepository(knex);
  const eventRepository = new FeedEventRepository(knex);
  const renderRepository = new FeedRenderRepository(knex);
  const subscriptionRepository = new SubscriptionRepository(knex);
  const siteSettingsRepository = new SiteSettingsRepository(knex);
  const accessRepository = new AccessRepository(knex);
  const forgeTokenRepository = new ForgeTokenRepository(knex);
  const lifecycleTokenRepository = new LifecycleTokenRepository(knex);
  const dataCenterTokenRepository = new DataCenterTokenRepository(knex);
  const dataCenterSessionRepository = new DataCenterSessionRepository(knex);
  const personalDataAccounts = new PersonalDataAccountRepository(knex);

  const reporter = new ErrorReporter({
    url: config.errorReportingUrl,
    environment: config.env,
    settings: siteSettingsRepository,
    logger,
    now,
    ...(deps.errorReportingFetch ? { fetch: deps.errorReportingFetch } : {}),
  });
  const installations = new InstallationService(installationRepository, { logger, now });
  const dataCenterOAuth = config.datacenter
    ? new DataCenterOAuth({
        baseUrl: config.datacenter.baseUrl,
        clientId: config.datacenter.clientId,
        clientSecret: config.datacenter.clientSecret,
        redirectUri: `${config.baseUrl}/oauth/callback`,
      })
    : null;
  const dataCenterTokens =
    config.datacenter && dataCenterOAuth
      ? new DataCenterTokens({
          knex,
          tokens: dataCenterTokenRepository,
          cipher: new TokenCipher(config.datacenter.tokenEncryptionKey),
          oauth: dataCenterOAuth,
          apiBaseUrl: config.datacenter.baseUrl,
          siteReaders: async (clientKey) => (await feedRepository.list(clientKey)).map(runsAs),
          logger,
          now,
        })
      : null;
  const authFor = (installation: ActiveInstallation): JiraAuth => {
    const { credentials } = installation;
    switch (credentials.door) {
      case 'connect':
        return connectJiraAuth(
          { baseUrl: installation.baseUrl, sharedSecret: credentials.sharedSecret },
          { appKey: config.appKey },
        );
      case 'forge':
        return forgeJiraAuth(
          { ...installation, credentials },
          { tokens: forgeTokenRepository, now: () => now().getTime() },
        );
      case 'datacenter':
        if (!dataCenterTokens)
          throw new AppError(
            503,
            'datacenter_off',
            'This Calendar Sync server is not set up for Jira Data Center (EDITION=datacenter)',
          );
        return dataCenterTokens.siteAuth(installation.clientKey);
    }
  };
  const metrics = new Metrics(async () => {
    const [queueDepth, oldest] = await Promise.all([
      queue.depth(),
      syncRepository.oldestDueSince(scope, now()),
    ]);
    return {
      queueDepth,
      oldestDueFeedSeconds: oldest ? Math.max(0, (now().getTime() - oldest.getTime()) / 1000) : 0,
    };
  });
  const jira = new JiraClients({
    authFor,
    feedAuthFor: (installation, feed) =>
      installation.credentials.door === 'datacenter' && dataCenterTokens
        ? dataCenterTokens.userAuth(installation.clientKey, runsAs(feed), ownerSignInNeeded)
        : null,
    requestsPerSecond: config.jiraRequestsPerSecond,
    logger,
    onResponse: (clientKey, status) => metrics.recordJiraResponse(clientKey, status),
    ...deps.jiraClientOverrides,
  });
  const forgeVerifier = config.forge
    ? new InvocationTokenVerifier({ ...config.forge, allowHttp: config.env !== 'production' })
    : null;
  const forgeDoor = forgeVerifier
    ? new ForgeDoor({
        verifier: forgeVerifier,
        installations,
        tokens: forgeTokenRepository,
        jira,
        logger,
        now,
        dataRegion: config.dataRegion,
      })
    : null;
  const subscriptions = new SubscriptionService({
    subscriptions: subscriptionRepository,
    tokens: new FeedTokens(config.feedTokenSecret),
    baseUrl: config.baseUrl,
    now,
  });
  const publisher = new FeedPublisher({ renders: renderRepository, now });
  const syncRequests = new SyncRequests({
    syncs: syncRepository,
    queue,
    now,
    heartbeatStaleMs: config.syncHeartbeatStaleMs,
  });
  const feeds = new FeedService({
    syncRequests,
    knex,
    feeds: feedRepository,
    syncs: syncRepository,
    subscriptions,
    subscriptionRepository,
    publisher,
    renders: renderRepository,
    jira,
    now,
  });
  const access = new AccessService({
    access: accessRepository,
    feeds: feedRepository,
    syncs: syncRepository,
    subscriptions: subscriptionRepository,
    events: eventRepository,
    renders: renderRepository,
    publisher,
    installations,
    jira,
    logger,
    now,
  });
  const sync = new SyncService({
    knex,
    installations,
    feeds: feedRepository,
    syncs: syncRepository,
    items: new FeedSyncItemRepository(knex),
    events: eventRepository,
    revisions: new FeedEventRevisionRepository(knex),
    renders: renderRepository,
    publisher,
    jira,
    heartbeatStaleMs: config.syncHeartbeatStaleMs,
    logger,
    reporter,
    access,
    now,
  });
  const fetches = new FetchRecorder({
    subscriptions: subscriptionRepository,
    logger,
    now,
    flushIntervalMs: deps.fetchStatsFlushMs ?? 5_000,
  });
  const serving = new FeedServingService({
    subscriptions,
    renders: renderRepository,
    cache: new RenderCache(RENDER_CACHE_BYTES, (hit) => metrics.recordServingCache(hit)),
    served: new ServedFeeds(SERVED_URLS_MAX),
    logger,
    now,
    fetches,
    feeds: feedRepository,
    access: accessRepository,
    accessService: access,
  });
  const myCalendars = new MyCalendarsService({
    feeds: feedRepository,
    subscriptions,
    subscriptionRepository,
    access,
    accessRepository,
    now,
  });
  const admins = new AdminAccess({ jira, now });
  const lookups = new JiraLookupService(jira);
  const previews = new PreviewService({ feeds, jira, now });
  const explanations = new ExplainService({ feeds, jira, access, now });
  const dataCenterDoor =
    config.datacenter && dataCenterTokens && dataCenterOAuth
      ? new DataCenterDoor({
          config: config.datacenter,
          appBaseUrl: config.baseUrl,
          oauth: dataCenterOAuth,
          tokens: dataCenterTokens,
          sessions: dataCenterSessionRepository,
          signInStates: new DataCenterSignInStateRepository(knex),
          installations,
          jira,
          cipher: new TokenCipher(config.datacenter.tokenEncryptionKey),
          queue,
          logger,
          now,
        })
      : null;
  const takeovers = new FeedTakeoverService({ feeds: feedRepository, feedService: feeds, syncRequests, now });
  const privacy = new PrivacyService({
    privacy: new PrivacyRepository(knex),
    syncRequests,
    ...(dataCenterTokens
      ? {
          forgetInMemory: (clientKey: string, accountId: string) =>
            dataCenterTokens.forget(clientKey, accountId),
        }
      : {}),
  });

  const userSweeps = new UserSweepService({
    sweeps: new UserSweepRepository(knex),
    accounts: personalDataAccounts,
    installations,
    jira,
    access,
    privacy,
    logger,
    now,
  });

  const personalDataReportRepository = new PersonalDataReportRepository(knex);
  const personalDataReporting = new PersonalDataReporting({
    knex,
    accounts: personalDataAccounts,
    reports: personalDataReportRepository,
    installations,
    privacy,
    syncRequests,
    queue,
    metrics,
    logger,
    now,
  });
  const settings = new SettingsService({
    settings: siteSettingsRepository,
    reporter,
    personalData: personalDataReporting,
    now,
  });
  const connectPersonalData = new ConnectPersonalDataReporter({
    reporting: personalDataReporting,
    installations,
    appKey: config.appKey,
    now,
  });

  return {
    installationRepository,
    connectStoreRepository,
    feedRepository,
    syncRepository,
    eventRepository,
    renderRepository,
    subscriptionRepository,
    siteSettingsRepository,
    accessRepository,
    forgeTokenRepository,
    lifecycleTokenRepository,
    personalDataAccounts,
    installations,
    forgeDoor,
    dataCenterDoor,
    dataCenterTokens,
    dataCenterTokenRepository,
    dataCenterSessionRepository,
    takeovers,
    metrics,
    jira,
    subscriptions,
    publisher,
    feeds,
    sync,
    serving,
    fetches,
    admins,
    access,
    myCalendars,
    lookups,
    previews,
    explanations,
    settings,
    privacy,
    personalDataReporting,
    userSweeps,
    personalDataReportRepository,
    connectPersonalData,
    reporter,
    queue,
  };
}
