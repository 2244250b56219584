import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { type Database, migrateLatest, openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { templateDatabase } from './global-setup.js';

/**
 * A fresh database for one test file: a clone of the migrated template on the real PostgreSQL when
 * DATABASE_URL is set, otherwise an in-memory embedded PostgreSQL with the same migrations.
 */
export async function openTestDatabase(): Promise<Database> {
  const logger = createLogger({ level: 'silent' });
  const url = process.env['DATABASE_URL'];
  if (!url) {
    const db = await openDatabase({ url: null, embeddedDataDir: null }, logger);
    await migrateLatest(db.knex);
    return db;
  }
  const name = `calendar_sync_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase(url)}`);
  } finally {
    await admin.destroy();
  }
  const testUrl = new URL(url);
  testUrl.pathname = `/${name}`;
  const db = await openDatabase({ url: testUrl.toString(), embeddedDataDir: null }, logger);
  return {
    ...db,
    async close() {
      await db.close();
      const cleanup = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
      try {
        await cleanup.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.destroy();
      }
    },
  };
}
