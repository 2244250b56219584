import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import knexFactory, { type Knex } from 'knex';
import { AccessRepository } from '../src/db/access-repository.js';
import { FeedSyncRepository } from '../src/db/feed-sync-repository.js';
import { PersonalDataReportRepository } from '../src/db/personal-data-report-repository.js';
import { scheduleDueFeedsTask } from '../src/jobs/schedule-due-feeds-job.js';
import { freePort } from '../test/support/app-process.js';
import { rawGet } from './bench-site.js';
import { rollingRestart } from './scale-restart.js';
import { percentile, round } from './bench-stats.js';
import {
  createScaleDatabase,
  guardScaleProcesses,
  startScaleProcess,
  type ScaleProcess,
} from './scale-processes.js';
import {
  editIssue,
  inParallel,
  installAndCreateFeeds,
  startSites,
  stopSites,
  type ScaleSite,
  type SiteSettings,
} from './scale-sites.js';

export type ScaleSettings = SiteSettings & {
  webOnlyProcesses: number;
  workerProcesses: number;
  syncConcurrency: number;
  /** The feeds' interval squeezed into this many seconds: every feed falls due once within it. */
  compressedIntervalSeconds: number;
  /** DATABASE_POOL_SIZE of every process. */
  databasePoolSize: number;
  /** Each process stopped and started in turn while feeds sync and are polled, within this window. */
  restartWindowSeconds: number;
  servingConnections: number;
  /** Feed requests per second over all processes: calendar apps polling, not a flood that starves the syncs. */
  servingRatePerSecond: number;
  /** Edits on a small site while the biggest site syncs. */
  delayProbes: number;
  budgetSeconds: number;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LIVENESS = { heartbeatStaleMs: 60_000, queuedStaleMs: 30 * 60_000 };
const FEED_INTERVAL_MINUTES = 60;
/** Past this an edit counts as lost, not late. */
const PROBE_LIMIT_MS = 120_000;

/** Samples that run for the whole case: PostgreSQL connections and the tick's cost on the live database. */
function startSamplers(knex: Knex, dbName: string) {
  const state = { connectionsPeak: 0, tickMs: [] as number[], stop: false };
  const helpers = { logger: { info: () => undefined } } as unknown as Parameters<
    ReturnType<typeof scheduleDueFeedsTask>
  >[1];
  const connections = (async () => {
    while (!state.stop) {
      const { rows } = await knex.raw<{ rows: { n: number }[] }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ?',
        [dbName],
      );
      state.connectionsPeak = Math.max(state.connectionsPeak, rows[0]?.n ?? 0);
      await sleep(1000);
    }
  })();
  // The tick's queries in a transaction that is rolled back, so the app's own ticks are not disturbed
  // beyond the few milliseconds its claim holds row locks (which theirs skip, not wait for).
  const ticks = (async () => {
    while (!state.stop) {
      const started = performance.now();
      await knex
        .transaction(async (trx) => {
          const inTrx = scheduleDueFeedsTask({
            scope: { edition: 'cloud' },
            syncs: new FeedSyncRepository(trx),
            access: new AccessRepository(trx),
            personalDataReports: new PersonalDataReportRepository(trx),
            queue: {
              enqueueSync: () => Promise.resolve(),
              enqueueAccessRefresh: () => Promise.resolve(),
              enqueueUserSweep: () => Promise.resolve(),
              enqueuePersonalDataReport: () => Promise.resolve(),
              requestTickAt: () => Promise.resolve(),
            },
            now: () => new Date(),
            liveness: LIVENESS,
          });
          await inTrx({}, helpers);
          throw new RolledBack();
        })
        .catch((error: unknown) => {
          if (!(error instanceof RolledBack)) throw error;
        });
      state.tickMs.push(performance.now() - started);
      await sleep(5000);
    }
  })();
  return {
    state,
    async stop() {
      state.stop = true;
      await Promise.all([connections, ticks]);
    },
  };
}

class RolledBack extends Error {}

async function syncedSince(knex: Knex, since: Date): Promise<{ synced: number; total: number }> {
  const { rows } = await knex.raw<{ rows: { synced: number; total: number }[] }>(
    `SELECT count(*) FILTER (WHERE last_success_at >= ?)::int AS synced, count(*)::int AS total FROM feed_syncs`,
    [since],
  );
  return rows[0] ?? { synced: 0, total: 0 };
}

async function waitForSynced(knex: Knex, since: Date, feeds: number, deadline: number): Promise<number> {
  for (;;) {
    const { synced } = await syncedSince(knex, since);
    if (synced >= feeds || Date.now() > deadline) return synced;
    await sleep(1000);
  }
}

/** Edits on the first (small) site while a big site's sync runs; seconds until each reached the feed. */
async function probeDelays(
  knex: Knex,
  sites: readonly ScaleSite[],
  appUrl: string,
  probes: number,
  until: number,
): Promise<{ delays: number[]; missed: number }> {
  const small = sites[0]!;
  const bigKeys = sites.filter((site) => site.big).map((site) => site.jira.clientKey);
  const feed = small.feeds.find((candidate) => candidate.jql.includes('CAL'))!;
  const delays: number[] = [];
  let missed = 0;
  for (let probe = 0; probe < probes && Date.now() < until; probe++) {
    while (Date.now() < until) {
      const running = await knex('feed_syncs')
        .whereIn('client_key', bigKeys)
        .where({ state: 'running' })
        .first();
      if (running) break;
      await sleep(250);
    }
    const started = Date.now();
    const summary = await editIssue(small, appUrl, `${probe}-${randomBytes(3).toString('hex')}`);
    const path = new URL(feed.url).pathname;
    for (;;) {
      const response = await rawGet(`${appUrl}${path}`);
      if (response.body.toString('utf8').includes(summary)) {
        delays.push((Date.now() - started) / 1000);
        break;
      }
      if (Date.now() - started > PROBE_LIMIT_MS) {
        missed += 1;
        break;
      }
      await sleep(500);
    }
  }
  return { delays, missed };
}

/** A mixed load over every site's feed URL (plain and gzip, some unknown tokens), spread over all processes. */
async function serve(
  processes: readonly ScaleProcess[],
  paths: readonly string[],
  settings: ScaleSettings,
  seconds: number,
) {
  let cursor = 0;
  const statuses: Record<string, number> = {};
  const results = await Promise.all(
    processes.map((app) =>
      autocannon({
        url: app.url,
        connections: Math.max(1, Math.round(settings.servingConnections / processes.length)),
        overallRate: Math.max(1, Math.round(settings.servingRatePerSecond / processes.length)),
        duration: seconds,
        timeout: 10,
        requests: [
          {
            setupRequest: (request: Record<string, unknown>) => {
              const n = cursor++;
              const path =
                n % 50 === 49 ? `/feeds/${randomBytes(16).toString('hex')}.ics` : paths[n % paths.length]!;
              const headers = n % 2 === 0 ? { 'accept-encoding': 'gzip' } : {};
              return { ...request, method: 'GET', path, headers };
            },
            onResponse: (status: number) => {
              statuses[status] = (statuses[status] ?? 0) + 1;
            },
          },
        ],
      }),
    ),
  );
  const p99 = Math.max(...results.map((result) => result.latency.p99));
  const requests = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  const errors = results.reduce((sum, result) => sum + result.errors + result.timeouts, 0);
  return { p99, requests, errors, statuses };
}

export async function runScaleBench(settings: ScaleSettings, log: (message: string) => void) {
  guardScaleProcesses();
  const begun = Date.now();
  const hardDeadline = begun + settings.budgetSeconds * 1000;
  const database = await createScaleDatabase('scale');
  const knex = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 3 } });
  const processes: ScaleProcess[] = [];
  let sites: ScaleSite[] = [];
  let samplers: ReturnType<typeof startSamplers> | null = null;
  try {
    log(`scale: starting ${settings.sites} fake Jira sites`);
    sites = await startSites(settings);
    const total = settings.webOnlyProcesses + settings.workerProcesses;
    const ports = await Promise.all(Array.from({ length: total }, () => freePort()));
    const baseUrl = `http://127.0.0.1:${ports[0]}`;
    const feedTokenSecret = randomBytes(32).toString('hex');
    const launch = (i: number) => {
      const web = i < settings.webOnlyProcesses;
      return startScaleProcess(web ? `web-${i}` : `worker-${i}`, `http://127.0.0.1:${ports[i]}`, {
        DATABASE_URL: database.url,
        PORT: String(ports[i]),
        HOST: '127.0.0.1',
        BASE_URL: baseUrl,
        CONNECT_KEYS_URL: sites[0]!.jira.keysUrl,
        JIRA_HOSTS: '127.0.0.1',
        FEED_TOKEN_SECRET: feedTokenSecret,
        LOG_LEVEL: 'info',
        SCHEDULER_ENABLED: web ? 'false' : 'true',
        SYNC_CONCURRENCY: String(settings.syncConcurrency),
        DATABASE_POOL_SIZE: String(settings.databasePoolSize),
      });
    };
    const relaunch = async (i: number) => {
      const app = launch(i);
      await app.waitFor(
        app.name.startsWith('worker') ? 'sync scheduler started' : 'Calendar Sync listening',
        120_000,
      );
      return app;
    };
    for (let i = 0; i < total; i++) processes.push(launch(i));
    await Promise.all(processes.map((app) => app.waitFor('Calendar Sync listening', 120_000)));
    await Promise.all(
      processes
        .filter((app) => app.name.startsWith('worker'))
        .map((app) => app.waitFor('sync scheduler started', 120_000)),
    );
    const rssStart = processes.map((app) => app.rssMb());
    samplers = startSamplers(knex, database.name);
    const web = processes[0]!;

    log(`scale: installing ${sites.length} sites and creating their feeds through ${web.name}`);
    const fillStarted = new Date();
    await inParallel(sites, 12, (site) => installAndCreateFeeds(site, web.url, settings.feedsPerSite));
    const feeds = sites.reduce((sum, site) => sum + site.feeds.length, 0);
    const installedSeconds = (Date.now() - fillStarted.getTime()) / 1000;
    log(`scale: ${feeds} feeds created in ${round(installedSeconds)} s; waiting for the first fill`);
    const filled = await waitForSynced(
      knex,
      fillStarted,
      feeds,
      hardDeadline - settings.compressedIntervalSeconds * 1000,
    );
    const firstFillSeconds = (Date.now() - fillStarted.getTime()) / 1000;
    log(`scale: first fill ${filled}/${feeds} in ${round(firstFillSeconds)} s`);
    const rssAfterFill = processes.map((app) => app.rssMb());

    // One interval, squeezed: each feed falls due once at a random moment within it.
    const roundStarted = new Date();
    const requestsBefore = sites.reduce((sum, site) => sum + site.jira.requests.length, 0);
    await knex.raw(`UPDATE feed_syncs SET next_sync_at = now() + random() * make_interval(secs => ?)`, [
      settings.compressedIntervalSeconds,
    ]);
    const roundEnd = Date.now() + settings.compressedIntervalSeconds * 1000;
    const paths = sites.flatMap((site) => site.feeds.map((feed) => new URL(feed.url).pathname));
    log(
      `scale: interval round over ${settings.compressedIntervalSeconds} s with serving load and edit probes`,
    );
    const [served, probed] = await Promise.all([
      serve(processes, paths, settings, Math.max(5, settings.compressedIntervalSeconds - 5)),
      probeDelays(knex, sites, web.url, settings.delayProbes, roundEnd),
    ]);
    // A feed due at the end of the interval is claimed by the next cron tick, up to a minute later.
    const resynced = await waitForSynced(
      knex,
      roundStarted,
      feeds,
      Math.min(hardDeadline, roundEnd + 75_000),
    );
    const roundSeconds = (Date.now() - roundStarted.getTime()) / 1000;
    const requestsInRound = sites.reduce((sum, site) => sum + site.jira.requests.length, 0) - requestsBefore;
    const rssEnd = processes.map((app) => app.rssMb());
    const errorLogLines = processes.reduce((sum, app) => sum + app.errors.count, 0);
    const errorLines = processes.flatMap((app) => app.errors.first.map((line) => `${app.name}: ${line}`));
    log(`scale: rolling restart of ${processes.length} processes`);
    const restart = await rollingRestart({
      processes,
      relaunch,
      knex,
      paths,
      feeds,
      windowSeconds: settings.restartWindowSeconds,
    });
    await samplers.stop();
    // The first sample opens the bench's own connection: not the tick's cost.
    const tickMs = samplers.state.tickMs.slice(1).sort((a, b) => a - b);
    const status5xx = Object.entries(served.statuses)
      .filter(([status]) => Number(status) >= 500)
      .reduce((sum, [, count]) => sum + count, 0);
    return {
      sites: sites.length,
      feeds,
      processes: processes.map((app) => app.name),
      syncConcurrency: settings.syncConcurrency,
      jiraLatencyMs: settings.latencyMs,
      issuesPerSite: settings.issuesPerSite,
      bigSites: settings.bigSites,
      bigSiteIssues: settings.bigSiteIssues,
      installAndCreateSeconds: round(installedSeconds),
      firstFillSeconds: round(firstFillSeconds),
      firstFillComplete: filled === feeds,
      compressedIntervalSeconds: settings.compressedIntervalSeconds,
      intervalRoundSeconds: round(roundSeconds),
      staleFeedsAfterOneInterval: feeds - resynced,
      schedulerTickP99Ms: tickMs.length > 0 ? round(percentile(tickMs, 99)) : null,
      schedulerTickMedianMs: tickMs.length > 0 ? round(percentile(tickMs, 50)) : null,
      schedulerTickSamples: tickMs.length,
      jiraRequestsPerSiteHour: round((requestsInRound / sites.length) * (60 / FEED_INTERVAL_MINUTES)),
      maxFeedDelaySeconds: probed.delays.length > 0 ? round(Math.max(...probed.delays)) : null,
      feedDelaysSeconds: probed.delays.map((delay) => round(delay)),
      delayProbesMissed: probed.missed,
      rssMbPerProcess: processes.map((app, i) => ({
        process: app.name,
        start: rssStart[i],
        afterFirstFill: rssAfterFill[i],
        end: rssEnd[i],
      })),
      pgConnectionsPeak: samplers.state.connectionsPeak,
      servingP99Ms: served.p99,
      servingRequests: served.requests,
      servingStatuses: served.statuses,
      status5xx,
      errors: served.errors + errorLogLines + probed.missed,
      errorLines,
      rollingRestart: restart,
      appExits: processes.filter((app) => app.child.exitCode !== null).length,
      seconds: round((Date.now() - begun) / 1000),
    };
  } finally {
    await samplers?.stop().catch(() => undefined);
    await Promise.all(processes.map((app) => app.stop()));
    await stopSites(sites);
    await knex.destroy();
    await database.drop();
  }
}
