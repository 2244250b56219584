import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { MIGRATIONS_DIR } from '../paths.js';
import { EmbeddedPostgresServer } from './embedded-postgres-server.js';
import { listenPostgres, type NotificationHandlers, type StopListening } from './notifications.js';

// Counts come back as strings by default; int8 values here are row counts and sizes, far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export type Database = {
  knex: Knex;
  /** What other Postgres clients (the job queue) connect to: the real server, or the embedded one's socket. */
  connectionString: string;
  embedded: boolean;
  /** Calls `handlers` for each NOTIFY on `channel` (in-process for the embedded database). */
  listen(channel: string, handlers: NotificationHandlers): Promise<StopListening>;
  close(): Promise<void>;
};

export type DatabaseOptions = {
  /** PostgreSQL URL; null runs an embedded PostgreSQL (PGlite) instead. */
  url: string | null;
  /** Folder for the embedded database's files; null keeps it in memory. */
  embeddedDataDir: string | null;
  /** The pool's size on a real PostgreSQL; the embedded one keeps its own (one session serves all). */
  poolMax?: number;
};

export async function openDatabase(options: DatabaseOptions, logger: Logger): Promise<Database> {
  if (options.url) {
    const knex = createKnex(options.url, options.poolMax ?? 10, logger);
    const url = options.url;
    return {
      knex,
      connectionString: url,
      embedded: false,
      listen: (channel, handlers) => listenPostgres(url, channel, handlers, logger),
      close: () => knex.destroy(),
    };
  }
  return openEmbeddedDatabase(options, logger);
}

async function openEmbeddedDatabase(options: DatabaseOptions, logger: Logger): Promise<Database> {
  let dataDir: string | undefined;
  if (options.embeddedDataDir) {
    dataDir = path.resolve(options.embeddedDataDir);
    await mkdir(dataDir, { recursive: true });
  }
  const pglite = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  // The job queue and knex both speak the wire protocol, so PGlite is put behind a loopback socket.
  const server = new EmbeddedPostgresServer(pglite);
  const { host, port, password } = await server.start();
  const connectionString = `postgres://postgres:${encodeURIComponent(password)}@${host}:${port}/postgres?sslmode=disable`;
  logger.info({ dataDir: dataDir ?? 'memory' }, 'embedded PostgreSQL (PGlite) started');
  const knex = createKnex(connectionString, 4, logger);
  return {
    knex,
    connectionString,
    embedded: true,
    async listen(channel, handlers) {
      // The session itself listens; notifications raised through the socket are read from its output.
      const unlisten = await pglite.listen(channel, (payload) => handlers.message(payload));
      const off = server.onNotification((name, payload) => {
        if (name === channel) handlers.message(payload);
      });
      handlers.up();
      return async () => {
        off();
        await unlisten();
      };
    },
    async close() {
      await knex.destroy();
      await server.stop();
      await pglite.close();
    },
  };
}

function createKnex(connectionString: string, poolMax: number, logger: Logger): Knex {
  // knex writes connection trouble to the console; it belongs in the structured (and scrubbed) log.
  const log = logger.child({ component: 'knex' });
  const text = (message: unknown) => (message instanceof Error ? message.message : String(message));
  return knexFactory({
    client: 'pg',
    connection: { connectionString, application_name: 'calendar-sync' },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 30_000,
    // A failed statement's error names its placeholders, never its values (tokens, secrets, personal data).
    compileSqlOnError: false,
    log: {
      warn: (message: unknown) => log.warn(text(message)),
      error: (message: unknown) => log.error(text(message)),
      deprecate: (method: string, alternative: string) =>
        log.warn({ method, alternative }, 'knex deprecation'),
      debug: (message: unknown) => log.debug(text(message)),
    },
  });
}

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({
    directory: MIGRATIONS_DIR,
    loadExtensions: ['.ts', '.js'],
    tableName: 'knex_migrations',
  })) as [number, string[]];
  return applied;
}
