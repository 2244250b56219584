import path from 'node:path';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { migrateLatest, openDatabase } from './database.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel });
const db = await openDatabase(
  {
    url: config.databaseUrl,
    embeddedDataDir: config.databaseUrl ? null : path.join(config.dataDir, 'pglite'),
  },
  logger,
);
try {
  const applied = await migrateLatest(db.knex);
  logger.info({ applied }, applied.length > 0 ? 'migrations applied' : 'database already up to date');
} finally {
  await db.close();
}
