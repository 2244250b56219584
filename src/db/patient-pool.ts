import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from '../logger.js';

/** Errors that mean "the server is not there right now" rather than "this query is wrong". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
]);

export function isDatabaseUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && UNREACHABLE_CODES.has(code)) || /Connection terminated/i.test(error.message)
  );
}

export type PatientPoolOptions = {
  connectionString: string;
  max: number;
  logger: Logger;
  /** How long one checkout waits for the server to come back before giving up. */
  maxWaitMs: number;
};

/**
 * A pg pool whose checkouts wait (with backoff) while the server is unreachable, instead of failing at
 * once. graphile-worker records the end of a job with a query it neither awaits nor retries on a refused
 * connection, so during a database restart that record became an unhandled rejection and the job stayed
 * locked for hours. With this pool the record waits for the database and is written when it is back.
 */
/**
 * A pg pool that logs a lost connection instead of throwing it as an uncaught 'error' event, for as long
 * as the pool lives. (graphile-worker installs such handlers on the pools it makes, but removes them
 * before it ends the pool, so a connection dropped during shutdown took the process down.)
 */
export function loggedPool(options: { connectionString: string; max: number; logger: Logger }): pg.Pool {
  const log = options.logger;
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.max });
  pool.on('error', (error) =>
    log.warn({ code: codeOf(error) }, `idle database connection lost: ${error.message}`),
  );
  pool.on('connect', (client) => {
    client.on('error', (error) =>
      log.warn({ code: codeOf(error) }, `database connection lost: ${error.message}`),
    );
  });
  return pool;
}

export function patientPool(options: PatientPoolOptions): pg.Pool {
  const log = options.logger;
  const pool = loggedPool(options);
  let ended = false;
  const connect = pool.connect.bind(pool);
  const patientConnect = async (): Promise<pg.PoolClient> => {
    const deadline = Date.now() + options.maxWaitMs;
    let waitMs = 250;
    let warned = false;
    for (;;) {
      try {
        const client = await connect();
        if (warned) log.info('database reachable again: job queue connections resumed');
        return client;
      } catch (error) {
        if (ended || !isDatabaseUnreachable(error) || Date.now() + waitMs > deadline) throw error;
        if (!warned) log.warn({ code: codeOf(error) }, 'database unreachable: job queue waits for it');
        warned = true;
        await sleep(waitMs);
        waitMs = Math.min(waitMs * 2, 5_000);
      }
    }
  };
  pool.connect = ((
    callback?: (error: Error | undefined, client?: pg.PoolClient, done?: () => void) => void,
  ) => {
    if (callback) return connect(callback);
    return patientConnect();
  }) as typeof pool.connect;
  const end = pool.end.bind(pool);
  pool.end = () => {
    ended = true;
    return end();
  };
  return pool;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
