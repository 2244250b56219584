import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { composeApp } from './compose/compose.js';
import { ConfigError, loadConfig } from './config.js';
import { migrateLatest, openDatabase } from './db/database.js';
import { loadOrCreateFeedTokenSecret } from './feed-token-secret.js';
import { createLogger } from './logger.js';

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

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  const db = await openDatabase(
    {
      url: config.databaseUrl,
      embeddedDataDir: config.databaseUrl ? null : path.join(config.dataDir, 'pglite'),
    },
    logger,
  );
  const applied = await migrateLatest(db.knex);
  logger.info({ applied: applied.length, embedded: db.embedded }, 'database migrated');

  const feedTokenSecret = config.feedTokenSecret ?? (await loadOrCreateFeedTokenSecret(config.dataDir));
  const composed = await composeApp({ config: { ...config, feedTokenSecret }, logger, db });
  const { app } = composed;

  const server: Server = await new Promise((resolve) => {
    const listening = createServer(SLOW_CLIENT_LIMITS, app).listen(config.port, config.host, () =>
      resolve(listening),
    );
  });
  logger.info({ port: config.port, baseUrl: config.baseUrl }, 'Calendar Sync listening');
  if (config.schedulerEnabled) {
    await composed.startWorker();
    logger.info({ concurrency: config.syncConcurrency }, 'sync scheduler started');
  }

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
      await composed.stop();
      await db.close();
      logger.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
