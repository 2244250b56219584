import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { composeApp, type Composed } from '../src/compose/compose.js';
import { type Config, loadConfig } from '../src/config.js';
import type { Database } from '../src/db/database.js';
import type { ProviderQuotas } from '../src/domain/provider-quotas.js';
import { createLogger } from '../src/logger.js';
import type { Services } from '../src/compose/core.js';
import { defaultSeed, FakeJira } from '../test/support/fake-jira/fake-jira.js';
import setupTemplateDatabase from '../test/support/global-setup.js';
import { ADMIN, apiAs } from '../test/support/site.js';
import { openTestDatabase } from '../test/support/test-database.js';

/** The pacer's ceiling (config allows at most 100); the production default of 10/s would dominate every sync. */
export const BENCH_JIRA_REQUESTS_PER_SECOND = 100;

export type LogCounts = { total: number; warn: number; error: number; lastErrors: string[] };

export type BenchSite = {
  url: string;
  jira: FakeJira;
  services: Services;
  db: Database;
  databaseKind: string;
  admin: ReturnType<typeof apiAs>;
  logs: LogCounts;
  /** Starts the job worker as deployed (the bench runs without one until a case needs it). */
  startWorker: () => Promise<void>;
  stop: () => Promise<void>;
};

/**
 * The app as deployed (info-level logging, no debug request log) on a real port and database, joined
 * to a fake Jira site by a real signed install. Logs are counted, not kept, so they cost what pino costs.
 */
export async function startBenchSite(
  extraConfig: Partial<Omit<Config, 'feedTokenSecret'>> = {},
  options: { providerQuotas?: ProviderQuotas } = {},
): Promise<BenchSite> {
  const databaseUrl = process.env['DATABASE_URL'];
  if (databaseUrl) await setupTemplateDatabase();
  const db = await openTestDatabase();
  const databaseKind = await describeDatabase(db, databaseUrl);

  const logs: LogCounts = { total: 0, warn: 0, error: 0, lastErrors: [] };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        logs.total += 1;
        const level = /"level":(\d+)/.exec(line)?.[1];
        if (level === '40') logs.warn += 1;
        if (level !== undefined && Number(level) >= 50) {
          logs.error += 1;
          if (logs.lastErrors.length < 5) logs.lastErrors.push(line.slice(0, 500));
        }
      }
      callback();
    },
  });
  const logger = createLogger({ level: 'info' }, sink);

  const jira = await FakeJira.start({ seed: { ...defaultSeed(), issues: [] } });
  const server: Server = createServer();
  let composed: Composed | undefined;
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = {
      ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' }),
      baseUrl: url,
      connectKeysUrl: jira.keysUrl,
      jiraHosts: ['127.0.0.1'],
      schedulerEnabled: false,
      jiraRequestsPerSecond: BENCH_JIRA_REQUESTS_PER_SECOND,
      ...extraConfig,
      feedTokenSecret: randomBytes(32).toString('hex'),
    };
    composed = await composeApp({ config, logger, db, ...options });
    server.on('request', composed.app);
    const install = await jira.install(url);
    if (install.status !== 204) throw new Error(`install failed: ${install.status} ${install.body}`);
    const app = composed;
    return {
      url,
      jira,
      services: app.services,
      db,
      databaseKind,
      admin: apiAs({ url } as Parameters<typeof apiAs>[0], jira, ADMIN),
      logs,
      startWorker: () => app.startWorker(),
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await app.stop();
        await db.close();
        await jira.stop();
      },
    };
  } catch (error) {
    server.closeAllConnections();
    server.close();
    await composed?.stop();
    await db.close();
    await jira.stop();
    throw error;
  }
}

async function describeDatabase(db: Database, databaseUrl: string | undefined): Promise<string> {
  if (!databaseUrl) return 'PGlite (embedded, in memory)';
  const { rows } = await db.knex.raw<{ rows: { server_version: string }[] }>('show server_version');
  const where = new URL(databaseUrl);
  return `PostgreSQL ${rows[0]?.server_version ?? '?'} at ${where.hostname}:${where.port || '5432'}`;
}

export type RawResponse = { status: number; headers: IncomingHttpHeaders; body: Buffer };

/** A GET that keeps the body as sent (fetch would inflate gzip). */
export function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
