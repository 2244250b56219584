import knexFactory from 'knex';
import { migrateLatest } from '../../src/db/database.js';

/**
 * Named after the database in DATABASE_URL, so test runs pointed at different databases of one server
 * (two checkouts, two CI jobs) never drop each other's template.
 */
export function templateDatabase(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
  return `calendar_sync_tpl_${name.replace(/[^a-z0-9_]/gi, '_').slice(0, 40)}`;
}

/**
 * With DATABASE_URL set, migrate one template database once; each test file then clones it
 * (CREATE DATABASE … TEMPLATE), which is much faster than migrating per file.
 */
export default async function setup(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  if (!url) return;
  const template = templateDatabase(url);
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.raw(`CREATE DATABASE ${template}`);
  } finally {
    await admin.destroy();
  }
  const templateUrl = new URL(url);
  templateUrl.pathname = `/${template}`;
  const templateDb = knexFactory({
    client: 'pg',
    connection: templateUrl.toString(),
    pool: { min: 0, max: 1 },
  });
  try {
    await migrateLatest(templateDb);
  } finally {
    await templateDb.destroy();
  }
}
