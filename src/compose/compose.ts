import type { Application } from 'express';
import { createApp } from '../app.js';
import { ConnectPersonalDataReporter } from '../doors/connect/connect-personal-data.js';
import { createRepositories, createServices, type ServiceDeps, type Services } from './core.js';
import { createJiraAccess, deploymentScopeOf, type EditionDoors, openDoors } from './doors.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { poolBudget } from '../db/pool-budget.js';
import { JobQueue } from '../jobs/scheduler.js';
import { liveCalendarTokenKey } from '../config-live-calendars.js';
import { type Logger, treatAsSecret } from '../logger.js';

export type Composed = {
  app: Application;
  services: Services;
  doors: EditionDoors;
  /** Sends Connect sites' Personal Data Reporting batches; the worker runs it on any deployment. */
  connectPersonalData: ConnectPersonalDataReporter;
  queue: JobQueue;
  /** Works the job queue in this process: the minute tick, syncs and access refreshes. */
  startWorker: (options?: { concurrency?: number; pollIntervalMs?: number }) => Promise<void>;
  /** Writes pending fetch statistics, stops the worker and releases the queue's connections (the database stays open). */
  stop: () => Promise<void>;
};

/** Everything between an open database and a ready Express app, shared by main, the demo and the tests. */
export async function composeApp(deps: {
  config: Config & { feedTokenSecret: string };
  logger: Logger;
  db: Database;
  now?: () => Date;
  jiraClientOverrides?: ServiceDeps['jiraClientOverrides'];
  errorReportingFetch?: typeof fetch;
  fetchStatsFlushMs?: number;
  providerQuotas?: ServiceDeps['providerQuotas'];
}): Promise<Composed> {
  const { config, logger, db } = deps;
  hideSecrets(config);
  const now = deps.now ?? (() => new Date());
  const queue = await JobQueue.connect({
    connectionString: db.connectionString,
    scope: deploymentScopeOf(config),
    logger,
    sharedSession: db.embedded,
    // Sized as if this process ran jobs: its runner's connections are only opened if it does.
    ...(db.embedded ? {} : { pools: poolBudget(config.databasePoolSize, config.syncConcurrency, true) }),
  });
  const doorDeps = { config, knex: db.knex, logger, now, repositories: createRepositories(db.knex) };
  const access = createJiraAccess(doorDeps);
  const services = createServices({
    ...doorDeps,
    queue,
    scope: deploymentScopeOf(config),
    jiraAccess: access.jiraAccess,
    ...(access.dataCenter ? { forgetInMemory: forgetterOf(access.dataCenter.tokens) } : {}),
    ...(deps.jiraClientOverrides ? { jiraClientOverrides: deps.jiraClientOverrides } : {}),
    ...(deps.errorReportingFetch ? { errorReportingFetch: deps.errorReportingFetch } : {}),
    ...(deps.fetchStatsFlushMs === undefined ? {} : { fetchStatsFlushMs: deps.fetchStatsFlushMs }),
    ...(deps.providerQuotas ? { providerQuotas: deps.providerQuotas } : {}),
  });
  const doors = openDoors(doorDeps, services, access);
  const connectPersonalData = new ConnectPersonalDataReporter({
    reporting: services.personalDataReporting,
    installations: services.installations,
    appKey: config.appKey,
    now,
  });
  await services.serving.startListening(db);
  const app = await createApp({
    config,
    logger,
    core: services,
    doors: doors.list,
    healthCheck: async () => {
      await db.knex.raw('select 1');
    },
  });
  return {
    app,
    services,
    doors,
    connectPersonalData,
    queue,
    startWorker: (options = {}) =>
      queue.startWorker({ ...workerDeps(config, services, connectPersonalData, now), ...options }),
    stop: async () => {
      await services.serving.stopListening();
      await services.fetches.stop();
      await queue.stop();
    },
  };
}

/** Secrets the logger must never print, whichever object carries them. */
function hideSecrets(config: Config & { feedTokenSecret: string }): void {
  const encryptionKey = config.datacenter?.tokenEncryptionKey;
  const liveKey = liveCalendarTokenKey({ google: config.google, microsoft: config.microsoft });
  treatAsSecret(
    config.feedTokenSecret,
    config.metricsToken,
    config.datacenter?.clientSecret,
    config.google?.clientSecret,
    config.microsoft?.clientSecret,
    liveKey?.toString('hex'),
    liveKey?.toString('base64'),
    encryptionKey?.toString('hex'),
    encryptionKey?.toString('base64'),
  );
}

/** What the worker runs: syncs, access refreshes, the sweep of users, Personal Data Reporting. */
function workerDeps(
  config: Config,
  services: Services,
  connectPersonalData: ConnectPersonalDataReporter,
  now: () => Date,
) {
  return {
    sync: services.sync,
    syncs: services.syncRepository,
    access: services.access,
    accessRepository: services.accessRepository,
    userSweeps: services.userSweeps,
    personalDataReports: services.personalDataReportRepository,
    connectPersonalData,
    calendarPushes: services.calendarPushes,
    concurrency: config.syncConcurrency,
    now,
    liveness: {
      heartbeatStaleMs: config.syncHeartbeatStaleMs,
      queuedStaleMs: config.staleSyncMinutes * 60_000,
    },
    metrics: services.metrics,
  };
}

const forgetterOf =
  (tokens: { forget(clientKey: string, accountId: string): void }) =>
  (clientKey: string, accountId: string) =>
    tokens.forget(clientKey, accountId);
