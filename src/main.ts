import { createServer, type RequestListener, type Server } from 'node:http';
import path from 'node:path';
import { composeApp } from './compose/compose.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { migrateLatest, openDatabase } from './db/database.js';
import { poolBudget } from './db/pool-budget.js';
import { loadOrCreateFeedTokenSecret } from './feed-token-secret.js';
import { createLogger, type Logger } from './logger.js';

/**
 * Slow clients: request headers must arrive within 10 s and a whole request within 30 s (the largest
 * body the API takes is 1 MB), checked every second, so a trickle of bytes cannot hold sockets for the
 * five minutes Node allows by default. Calendar apps and Jira send a request in one go.
 */
const SLOW_CLIENT_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: 1_000,
};

/** The configuration, or exit 2 with every bad value listed. */
function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

function listen(app: RequestListener, config: Config): Promise<Server> {
  return new Promise((resolve) => {
    const listening = createServer(SLOW_CLIENT_LIMITS, app).listen(config.port, config.host, () =>
      resolve(listening),
    );
  });
}

/** On SIGTERM or SIGINT: stop taking requests, let those in flight finish, then stop the rest, within the timeout. */
function stopOnSignals(server: Server, stop: () => Promise<void>, config: Config, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    forced.unref();
    server.close();
    server.closeIdleConnections();
    void (async () => {
      await new Promise<void>((resolve) => server.once('close', () => resolve()));
      await stop();
      logger.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  const db = await openDatabase(
    {
      url: config.databaseUrl,
      embeddedDataDir: config.databaseUrl ? null : path.join(config.dataDir, 'pglite'),
      poolMax: poolBudget(config.databasePoolSize, config.syncConcurrency, config.schedulerEnabled).queries,
    },
    logger,
  );
  const applied = await migrateLatest(db.knex);
  logger.info({ applied: applied.length, embedded: db.embedded }, 'database migrated');

  const feedTokenSecret = config.feedTokenSecret ?? (await loadOrCreateFeedTokenSecret(config.dataDir));
  const composed = await composeApp({ config: { ...config, feedTokenSecret }, logger, db });

  const server = await listen(composed.app, config);
  logger.info({ port: config.port, baseUrl: config.baseUrl }, 'Calendar Sync listening');
  if (config.schedulerEnabled) {
    await composed.startWorker();
    logger.info({ concurrency: config.syncConcurrency }, 'sync scheduler started');
  }
  stopOnSignals(
    server,
    async () => {
      await composed.stop();
      await db.close();
    },
    config,
    logger,
  );
}

await main();
