import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Application } from 'express';
import { composeApp } from '../../src/compose/compose.js';
import type { ProviderQuotas } from '../../src/domain/provider-quotas.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import type { JobQueue } from '../../src/jobs/scheduler.js';
import type { Composed } from '../../src/compose/compose.js';
import type { Services } from '../../src/compose/core.js';
import { captureLogs } from './log-capture.js';
import { openTestDatabase } from './test-database.js';

export type TestApp = {
  url: string;
  /** The Express app the real composition built, for tests that read its router stacks. */
  express: Application;
  config: Config & { feedTokenSecret: string };
  services: Services;
  doors: Composed['doors'];
  connectPersonalData: Composed['connectPersonalData'];
  queue: JobQueue;
  db: Database;
  logs: () => string;
  stop: () => Promise<void>;
};

export type TestAppOptions = {
  /** Share a database between app instances (several "processes" on one database). */
  db?: Database;
  connectKeysUrl?: string;
  config?: Partial<Config>;
  /** Configuration that depends on the app's own address (an OAuth redirect URL, say). */
  configFor?: (url: string) => Partial<Config>;
  now?: () => Date;
  errorReportingFetch?: typeof fetch;
  /** Work the job queue in this app (cron tick and syncs), as a deployed process does. */
  worker?: boolean;
  /** Provider quotas to pace live calendars by, shortened so a test sees a minute's pacing in seconds. */
  providerQuotas?: ProviderQuotas;
};

/** The real app on a real port with a real database, as Jira and calendar clients would reach it. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await openTestDatabase());
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config: Config & { feedTokenSecret: string } = {
    ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug' }),
    baseUrl: url,
    jiraHosts: ['127.0.0.1', 'localhost', '*.atlassian.net'],
    schedulerEnabled: false,
    // The pacer has its own unit tests; here it would only make every test wait.
    jiraRequestsPerSecond: 100,
    ...(options.connectKeysUrl ? { connectKeysUrl: options.connectKeysUrl } : {}),
    ...options.config,
    ...options.configFor?.(url),
    feedTokenSecret: options.config?.feedTokenSecret ?? randomBytes(32).toString('hex'),
  };
  const { logger, text } = captureLogs();
  const composed = await composeApp({
    config,
    logger,
    db,
    ...(options.now ? { now: options.now } : {}),
    // Tests must not sit in real backoff sleeps; the client's retry logic has its own unit tests.
    jiraClientOverrides: { baseBackoffMs: 5, maxBackoffMs: 20, requestTimeoutMs: 2_000 },
    fetchStatsFlushMs: 20,
    ...(options.errorReportingFetch ? { errorReportingFetch: options.errorReportingFetch } : {}),
    ...(options.providerQuotas ? { providerQuotas: options.providerQuotas } : {}),
  });
  const { app, services, doors, connectPersonalData, queue } = composed;
  if (options.worker) await composed.startWorker({ concurrency: 2, pollIntervalMs: 100 });
  server.on('request', app);
  return {
    url,
    express: app,
    config,
    services,
    doors,
    connectPersonalData,
    queue,
    db,
    logs: text,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await composed.stop();
      if (!options.db) await db.close();
    },
  };
}
