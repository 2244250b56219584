/**
 * `npm run bench` (add `-- --quick` for a short smoke run): sync, render, feed serving and a mixed load
 * test against the real app on loopback. Tables go to stdout, the full results to bench/results/.
 * With DATABASE_URL set it runs on a clone of the migrated test template there, otherwise on PGlite.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_JIRA_REQUESTS_PER_SECOND, startBenchSite, type BenchSite } from './bench-site.js';
import { formatBytes, round, table } from './bench-stats.js';
import { runGrowthCases } from './growth-run.js';
import { runIncrementalBench } from './incremental-bench.js';
import { runLoadBench, type LoadBenchResult } from './load-bench.js';
import { runLiveCalendarBench } from './live-calendar-bench.js';
import { runLiveFillBench } from './live-fill-bench.js';
import { runRenderBench, type RenderBenchRow } from './render-bench.js';
import { runScaleCases } from './scale-run.js';
import { runServingBench, type ServingBenchRow } from './serving-bench.js';
import { runSyncBench, SyncStuckError, type SyncBenchRow } from './sync-bench.js';
import {
  reportTwoProcessLoad,
  runTwoProcessLoadBench,
  type TwoProcessLoadOutcome,
} from './two-process-load-bench.js';

const quick = process.argv.includes('--quick');
/** `--only=incremental` runs the incremental sync cases alone. */
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
/** `--only=scale --size=full`: the scale case at the issue's size, 1,000 sites × 10 feeds (about 40 minutes). */
const fullScale = process.argv.includes('--size=full');
/** `--fill=100x500`: the paced first fill's people × issues (default 100 × 100, quick 10 × 100). */
const fillArg = process.argv.find((arg) => arg.startsWith('--fill='))?.slice('--fill='.length);
const SETTINGS = {
  syncSizes: quick ? [1000] : [1000, 10_000],
  syncRuns: 3,
  syncLimitMs: 60_000,
  renderSizes: [1000, 5000, 10_000],
  serving: { connections: 50, durationSeconds: quick ? 2 : 10, warmupSeconds: quick ? 1 : 2 },
  load: {
    feeds: 20,
    issues: 1500,
    connections: 50,
    durationSeconds: quick ? 3 : 20,
    warmupSeconds: 0,
    syncLoops: 1,
    maxSyncs: 2000,
  },
  twoProcessLoad: { feeds: 10, issues: 1000, connectionsPerProcess: 25, durationSeconds: quick ? 3 : 20 },
};
/** Past this the run is stuck, not slow: stop everything rather than leave servers behind. */
const WATCHDOG_MS = (only === 'scale' ? (fullScale ? 110 : 14) : only === 'growth' ? 8 : 6) * 60_000;
const STOP_LIMIT_MS = 15_000;

type SyncRow = SyncBenchRow | { issues: number; stuck: string };

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const out = (text = '') => process.stdout.write(`${text}\n`);

function machine(databaseKind: string) {
  const cpu = cpus()[0];
  return {
    cpu: cpu?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    database: databaseKind,
    /** Other work on the machine skews every number; this shows how busy it was when the run began. */
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
  };
}

function syncTable(rows: SyncRow[]): string {
  return table(
    [
      'issues',
      'events',
      'sync median (ms)',
      'runs (ms)',
      'Jira requests',
      'search pages',
      'feed size',
      'unchanged re-sync (ms)',
    ],
    rows.map((row) =>
      'stuck' in row
        ? [row.issues, '-', `STUCK: ${row.stuck}`, '-', '-', '-', '-', '-']
        : [
            row.issues,
            row.eventCount,
            row.medianMs,
            row.allMs.join(' / '),
            row.jiraRequests,
            row.jiraSearchPages,
            formatBytes(row.bytes),
            typeof row.unchangedResyncMs === 'string' ? 'STUCK (see PROBLEM below)' : row.unchangedResyncMs,
          ],
    ),
  );
}

function renderTable(rows: RenderBenchRow[]): string {
  return table(
    ['events', 'runs', 'render median (ms)', 'ms per 1,000 events', 'bytes', 'gzip bytes'],
    rows.map((row) => [
      row.events,
      row.runs,
      row.medianMs,
      row.msPer1000Events,
      formatBytes(row.bytes),
      formatBytes(row.gzipBytes),
    ]),
  );
}

function servingTable(rows: ServingBenchRow[]): string {
  return table(
    ['target', 'encoding', 'response', 'req/s', 'p50 (ms)', 'p99 (ms)', 'MB/s', 'errors', 'non-2xx'],
    rows.map((row) => [
      row.target,
      row.encoding,
      formatBytes(row.responseBytes),
      row.requestsPerSecond,
      row.p50Ms,
      row.p99Ms,
      row.mbPerSecond,
      row.errors,
      row.non2xx,
    ]),
  );
}

function loadTable(result: LoadBenchResult): string {
  return table(
    [
      'URLs (shared + personal)',
      'req/s',
      'requests',
      'p50 (ms)',
      'p99 (ms)',
      'max (ms)',
      'errors',
      'non-2xx',
      '5xx',
      'syncs ok (rendered)',
      'syncs not ok',
      'sync median (ms)',
      'URLs broken after',
    ],
    [
      [
        `${result.sharedUrls + result.personalUrls} (${result.sharedUrls} + ${result.personalUrls})`,
        result.requestsPerSecond,
        result.requests,
        result.p50Ms,
        result.p99Ms,
        result.maxMs,
        result.errors,
        result.non2xx,
        result.status5xx,
        `${result.syncsOk} (${result.syncsRendered})`,
        Object.entries(result.syncsNotOk)
          .map(([kind, count]) => `${count} ${kind}`)
          .join(', ') || 0,
        result.syncMedianMs ?? '-',
        result.urlsBrokenAfter,
      ],
    ],
  );
}

/** `--only=live`: live calendars in the fake Google, on a site of their own. */
async function liveCalendars(): Promise<void> {
  const size = quick ? 200 : 500;
  log(`live calendars: ${size} issues pushed to the fake Google, unchanged and changed syncs, freshness`);
  const result = await runLiveCalendarBench(size, quick ? 3 : 20);
  out(`## Live calendars (fake Google)\n\n\`\`\`json\n${JSON.stringify(result, null, 2)}\n\`\`\`\n`);
  // 100 × 500 is 50,000 calls: about 10 minutes of this machine's time alone; `--fill=100x500` asks for it.
  const asked = /^(\d+)x(\d+)$/.exec(fillArg ?? '');
  const fill = asked
    ? { people: Number(asked[1]), events: Number(asked[2]), compression: 20 }
    : { people: quick ? 10 : 100, events: 100, compression: 20 };
  log(
    `live calendars: first fill of ${fill.people} people × ${fill.events} issues, quotas ${fill.compression}× faster`,
  );
  const filled = await runLiveFillBench(fill.people, fill.events, fill.compression);
  out(`## Live calendars, paced first fill\n\n\`\`\`json\n${JSON.stringify(filled, null, 2)}\n\`\`\`\n`);
}

async function main(): Promise<void> {
  if (only === 'live') return liveCalendars();
  if (only === 'growth') return runGrowthCases(quick, machine, log, out);
  const begun = Date.now();
  if (only === 'scale' || only === 'tick') {
    const size = fullScale ? 'full' : quick ? 'quick' : 'default';
    await runScaleCases(only, size, machine('PostgreSQL'), log, out);
    return;
  }
  log('starting the app, the fake Jira and the database');
  const site: BenchSite = await startBenchSite();
  const results: Record<string, unknown> = {
    startedAt: new Date(begun).toISOString(),
    quick,
    settings: SETTINGS,
  };
  const host = machine(site.databaseKind);
  results['machine'] = host;
  const syncRows: SyncRow[] = [];
  let stuck = false;
  const incremental = async () => {
    const size = quick ? 1000 : 10_000;
    log(
      `incremental: ${size} issues, unchanged and 1% changed re-syncs, 300 ms per request, template amplification`,
    );
    results['incremental'] = await runIncrementalBench(site, size, 300);
    out(`## Incremental sync\n\n\`\`\`json\n${JSON.stringify(results['incremental'], null, 2)}\n\`\`\`\n`);
  };
  if (only === 'incremental') {
    try {
      await incremental();
    } finally {
      await site.stop();
    }
    return;
  }
  const syncSize = async (size: number) => {
    log(`sync: ${size} issues × ${SETTINGS.syncRuns} runs, then one unchanged re-sync`);
    try {
      const { row, feed } = await runSyncBench(site, size, SETTINGS.syncRuns, SETTINGS.syncLimitMs);
      syncRows.push(row);
      if (typeof row.unchangedResyncMs === 'string') {
        stuck = true;
        return null;
      }
      return feed;
    } catch (error) {
      if (!(error instanceof SyncStuckError)) throw error;
      stuck = true;
      syncRows.push({ issues: size, stuck: error.message });
      return null;
    }
  };

  let render: RenderBenchRow[] = [];
  let serving: ServingBenchRow[] = [];
  let load: LoadBenchResult | null = null;
  let twoProcessLoad: TwoProcessLoadOutcome | null = null;
  try {
    // The largest syncs go last: a stuck one leaves the database unusable for every later phase.
    const [smallest, ...larger] = [...SETTINGS.syncSizes].sort((a, b) => a - b);
    const servedFeed = await syncSize(smallest!);
    if (!servedFeed) throw new Error(`the ${smallest} issue sync got stuck; nothing else can run`);

    const source = await site.services.eventRepository.list(site.jira.clientKey, servedFeed.id);
    log(`render: ${SETTINGS.renderSizes.join(', ')} events (from ${source.length} synced events)`);
    render = runRenderBench(source, SETTINGS.renderSizes);

    log(
      `serving: ${SETTINGS.serving.durationSeconds} s per target and encoding, ${SETTINGS.serving.connections} connections`,
    );
    serving = await runServingBench(servedFeed.url, SETTINGS.serving);

    log(
      `load: ${SETTINGS.load.feeds} feeds, ${SETTINGS.load.durationSeconds} s with ${SETTINGS.load.syncLoops} sync loops`,
    );
    load = await runLoadBench(site, SETTINGS.load);

    log('two-process load: two app processes on one PostgreSQL while URLs are rotated and revoked');
    twoProcessLoad = await runTwoProcessLoadBench(SETTINGS.twoProcessLoad);

    for (const size of larger) {
      if (stuck) syncRows.push({ issues: size, stuck: 'not run: an earlier sync got stuck' });
      else await syncSize(size);
    }
    if (!stuck) await incremental();
  } finally {
    Object.assign(results, { sync: syncRows, render, serving, load, twoProcessLoad, logs: site.logs });
    // A stuck sync holds a database connection that will never be released: do not wait on it.
    const stopped = await Promise.race([
      site.stop().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), stuck ? 0 : STOP_LIMIT_MS).unref()),
    ]);
    if (!stopped) log('the app did not stop cleanly; the process will exit without waiting for it');
    results['stoppedCleanly'] = stopped;
  }

  out(`# Calendar Sync benchmark${quick ? ' (quick)' : ''}`);
  out();
  out(
    `CPU ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node} (${host.platform}), load average ${host.loadAverage1m} at start`,
  );
  out(
    `Database: ${host.database}. Jira: fake on loopback, no added latency, pacer at ${BENCH_JIRA_REQUESTS_PER_SECOND} requests/s.`,
  );
  out();
  out(
    `## Sync (first sync of a new feed, median of ${SETTINGS.syncRuns}; then one re-sync with nothing changed)`,
  );
  out();
  out(syncTable(syncRows));
  out();
  out('## Render (renderCalendar only, median after warm-up; events repeated from the 1,000-issue feed)');
  out();
  out(renderTable(render));
  out();
  out(
    `## Feed serving (the 1,000-issue feed's shared URL; ${SETTINGS.serving.connections} connections, ${SETTINGS.serving.durationSeconds} s each)`,
  );
  out();
  out(servingTable(serving));
  out();
  if (load) {
    out(
      `## Load (${load.feeds} feeds over ${load.issues} issues; ${load.connections} connections for ${load.durationSeconds} s ` +
        `while ${SETTINGS.load.syncLoops === 1 ? 'a loop syncs' : `${SETTINGS.load.syncLoops} loops sync`} the feeds one after another, each after editing one of its issues)`,
    );
    out();
    out(loadTable(load));
    out();
    out(
      `Status codes under load: ${JSON.stringify(load.statusCodes)}; error log lines during load: ${load.errorLogLines}`,
    );
  }

  const problems: string[] = [];
  if (twoProcessLoad) problems.push(...reportTwoProcessLoad(twoProcessLoad, out));
  for (const row of syncRows) {
    if ('stuck' in row) problems.push(`sync of ${row.issues} issues: ${row.stuck}`);
    else if (typeof row.unchangedResyncMs === 'string') problems.push(row.unchangedResyncMs);
  }
  if (load && load.status5xx > 0) problems.push(`${load.status5xx} responses were 5xx under load`);
  if (load && (load.errors > 0 || load.non2xx > 0))
    problems.push(`${load.errors} errors and ${load.non2xx} non-2xx responses under load`);
  if (load && load.urlsBrokenAfter > 0)
    problems.push(`${load.urlsBrokenAfter} feed URLs did not serve a calendar after the load`);
  if (serving.some((row) => row.errors > 0 || row.non2xx > 0))
    problems.push('errors or non-2xx responses while measuring feed serving');
  results['problems'] = problems;
  for (const problem of problems) out(`PROBLEM: ${problem}`);
  if (problems.length > 0) process.exitCode = 1;
  results['loadAverage1mAtEnd'] = round(loadavg()[0] ?? 0, 2);
  out();
  out(
    `Total ${round((Date.now() - begun) / 1000, 0)} s; load average ${String(results['loadAverage1mAtEnd'])} at the end.`,
  );

  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(
    dir,
    `bench-${new Date(begun).toISOString().replace(/[:.]/g, '-')}-${process.env['DATABASE_URL'] ? 'postgres' : 'pglite'}.json`,
  );
  await writeFile(file, `${JSON.stringify({ ...results, finishedAt: new Date().toISOString() }, null, 2)}\n`);
  log(`results written to ${path.relative(process.cwd(), file)}`);
  if (!results['stoppedCleanly']) process.exit();
}

const watchdog = setTimeout(() => {
  log(`still running after ${WATCHDOG_MS / 60_000} minutes: giving up`);
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

try {
  await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
