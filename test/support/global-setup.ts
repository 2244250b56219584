import knexFactory from 'knex';
import { migrateLatest } from '../../src/db/database.js';

export const TEMPLATE_DATABASE = 'calendar_sync_test_template';

/**
 * With DATABASE_URL set, migrate one template database once; each test file then clones it
 * (CREATE DATABASE … TEMPLATE), which is much faster than migrating per file.
 */
export default async function setup(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  if (!url) return;
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.raw(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.destroy();
  }
  const templateUrl = new URL(url);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  const template = knexFactory({ client: 'pg', connection: templateUrl.toString(), pool: { min: 0, max: 1 } });
  try {
    await migrateLatest(template);
  } finally {
    await template.destroy();
  }
}
