import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateIssues, SEED_ACCOUNTS } from '../test/support/fake-jira/fake-jira.js';
import { apiAs } from '../test/support/site.js';
import { ALL_CALENDAR } from '../src/domain/feed.js';
import { rawGet, type BenchSite } from './bench-site.js';
import { elapsedMs, round } from './bench-stats.js';
import { benchRules, createFeed } from './sync-bench.js';
import { cannon, errorsOf } from './serving-bench.js';

export type GrowthSyncRow = {
  issues: number;
  events: number;
  syncMs: number;
  /** The process's RSS sampled every 20 ms during the sync, less its RSS just before. */
  rssBeforeMiB: number;
  peakRssMiB: number;
  peakGrowthMiB: number;
  /** pg_column_size of the feed's rows: what one feed of this size costs in the database. */
  eventBytes: number;
  renderBytes: number;
};

export type GrowthServingRow = {
  urls: number;
  requests: number;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  heapUsedAfterMiB: number;
};

const MiB = 1024 * 1024;
// Memory figures are read after a full collection, so they show what is held, not what awaits collection.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;

function settle(): void {
  gc?.();
}

async function rowBytes(site: BenchSite, table: string, feedId: string): Promise<number> {
  const { rows } = await site.db.knex.raw<{ rows: { bytes: string | number | null }[] }>(
    `select sum(pg_column_size(t.*)) as bytes from ${table} t where client_key = ? and feed_id = ?`,
    [site.jira.clientKey, feedId],
  );
  return Number(rows[0]?.bytes ?? 0);
}

/** One new feed's first sync at each size, smallest first, with the process's peak RSS during it. */
export async function runGrowthSyncs(site: BenchSite, sizes: readonly number[]): Promise<GrowthSyncRow[]> {
  const rows: GrowthSyncRow[] = [];
  for (const size of sizes) {
    site.jira.data.issues = generateIssues(size, { seed: size });
    const feed = await createFeed(site, {
      name: `Growth ${size} issues`,
      source: { type: 'jql', jql: 'project in (CAL, MKT, OPS) ORDER BY key' },
      timeZone: 'Europe/Berlin',
      rules: benchRules(),
      window: { pastDays: 3650, futureDays: 3650 },
      issueCap: 20_000,
      // The default budget leaves out all but ~2,100 events: growth with issues would not show.
      sizeBudget: { maxBytes: null },
    });
    settle();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const started = process.hrtime.bigint();
    let outcome;
    try {
      outcome = await site.services.sync.syncFeed(site.jira.clientKey, feed.id);
    } finally {
      clearInterval(sampler);
    }
    const syncMs = elapsedMs(started);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (outcome.status !== 'ok' || outcome.issueCount !== size)
      throw new Error(`the ${size}-issue sync did not succeed: ${JSON.stringify(outcome)}`);
    rows.push({
      issues: size,
      events: outcome.eventCount,
      syncMs: round(syncMs),
      rssBeforeMiB: round(before / MiB),
      peakRssMiB: round(peak / MiB),
      peakGrowthMiB: round((peak - before) / MiB),
      eventBytes: await rowBytes(site, 'feed_events', feed.id),
      renderBytes: await rowBytes(site, 'feed_renders', feed.id),
    });
    // The next size starts from the same Jira data, not this feed's leftovers in memory.
    site.jira.data.issues = [];
  }
  return rows;
}

/**
 * `count` personal URLs of one feed: six people's real ones (their access worked out by the app), then
 * made-up accounts holding a copy of a real person's access, so each URL is a distinct token the app has
 * to look up and remember, served from one of six variants.
 */
async function personalUrls(site: BenchSite, feedId: string, count: number): Promise<string[]> {
  const people = Object.values(SEED_ACCOUNTS).slice(0, 6);
  const urls: string[] = [];
  for (const accountId of people) {
    const response = await apiAs({ url: site.url } as Parameters<typeof apiAs>[0], site.jira, accountId).get(
      '/me/calendars',
    );
    if (response.status !== 200) throw new Error(`/me/calendars answered ${response.status}`);
    const calendar = (response.body.calendars as { feedId: string; url: string }[]).find(
      (entry) => entry.feedId === feedId,
    );
    if (calendar) urls.push(calendar.url);
  }
  const { clientKey } = site.jira;
  const real = await site.db
    .knex('feed_subscriptions')
    .where({ client_key: clientKey, feed_id: feedId })
    .whereNotNull('account_id')
    .first('id');
  const template = (real as { id: string } | undefined)?.id;
  if (!template) throw new Error('no personal URL to copy access from');
  const subscriptions = site.services.subscriptions;
  const made: string[] = [];
  for (let i = urls.length; i < count; i += 20) {
    const batch = Array.from({ length: Math.min(20, count - i) }, (_, j) =>
      subscriptions.ensure(clientKey, feedId, `bench-growth-${i + j}`, ALL_CALENDAR),
    );
    for (const subscription of await Promise.all(batch)) {
      made.push(subscription.id);
      urls.push(subscriptions.urlFor(subscription));
    }
  }
  await site.db.knex.raw(
    `insert into subscription_access (subscription_id, client_key, allowed, project_ids, issue_ids, variant, reason, refreshed_at)
     select s.id, a.client_key, a.allowed, a.project_ids, a.issue_ids, a.variant, a.reason, a.refreshed_at
       from feed_subscriptions s cross join subscription_access a
      where s.client_key = ? and s.feed_id = ? and s.account_id like 'bench-growth-%' and a.subscription_id = ?
     on conflict (subscription_id) do nothing`,
    [clientKey, feedId, template],
  );
  return urls.slice(0, count);
}

function shuffled<T>(values: readonly T[]): T[] {
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Serving throughput and the process's memory against each number of known URLs, smallest first. */
export async function runGrowthServing(
  site: BenchSite,
  counts: readonly number[],
  settings: { connections: number; minimumRequests: number },
): Promise<GrowthServingRow[]> {
  site.jira.data.issues = generateIssues(1000, { seed: 2026 });
  const feed = await createFeed(site, {
    name: 'Growth serving',
    source: { type: 'jql', jql: 'project in (CAL, MKT, OPS)' },
    timeZone: 'Europe/Berlin',
    rules: benchRules(),
    window: { pastDays: 3650, futureDays: 3650 },
    access: { mode: 'all', divideByUserFields: ['assignee'] },
  });
  const outcome = await site.services.sync.syncFeed(site.jira.clientKey, feed.id);
  if (outcome.status !== 'ok') throw new Error(`serving feed sync failed: ${JSON.stringify(outcome)}`);
  const all = await personalUrls(site, feed.id, Math.max(...counts));
  const probe = await rawGet(all[all.length - 1]!);
  if (probe.status !== 200) throw new Error(`a made-up personal URL answered ${probe.status}`);
  const rows: GrowthServingRow[] = [];
  for (const count of counts) {
    const urls = shuffled(all.slice(0, count));
    settle();
    const before = process.memoryUsage().rss;
    const result = await cannon({
      url: site.url,
      connections: settings.connections,
      // Enough requests that every URL is asked for at least once.
      amount: Math.max(count, settings.minimumRequests),
      requests: urls.map((url) => ({ method: 'GET', path: new URL(url).pathname })),
    });
    settle();
    const after = process.memoryUsage();
    rows.push({
      urls: count,
      requests: result.latency.totalCount,
      requestsPerSecond: round(result.requests.average),
      p99Ms: result.latency.p99,
      errors: errorsOf(result),
      non2xx: result.non2xx,
      rssBeforeMiB: round(before / MiB),
      rssAfterMiB: round(after.rss / MiB),
      heapUsedAfterMiB: round(after.heapUsed / MiB),
    });
  }
  return rows;
}
