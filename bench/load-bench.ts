import {
  formatJiraDateTime,
  generateIssues,
  parseJiraDateTime,
  SEED_ACCOUNTS,
  SEED_TIME_ZONE,
} from '../test/support/fake-jira/fake-jira.js';
import { apiAs } from '../test/support/site.js';
import { rawGet, type BenchSite } from './bench-site.js';
import { elapsedMs, median, round } from './bench-stats.js';
import { benchRules, createFeed } from './sync-bench.js';
import { cannon, errorsOf, type LoadSettings } from './serving-bench.js';

export type LoadBenchSettings = LoadSettings & {
  feeds: number;
  issues: number;
  /** Sync loops side by side; the app runs one sync per site at a time, so a second loop on one site is mostly deferred. */
  syncLoops: number;
  maxSyncs: number;
};

export type LoadBenchResult = {
  feeds: number;
  issues: number;
  sharedUrls: number;
  personalUrls: number;
  connections: number;
  durationSeconds: number;
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
  status5xx: number;
  statusCodes: Record<string, number>;
  syncsOk: number;
  syncsRendered: number;
  /** Every sync outcome that was not 'ok', by status and reason or code. */
  syncsNotOk: Record<string, number>;
  syncMedianMs: number | null;
  urlsBrokenAfter: number;
  errorLogLines: number;
};

const PEOPLE = [
  SEED_ACCOUNTS.alice,
  SEED_ACCOUNTS.bob,
  SEED_ACCOUNTS.chloe,
  SEED_ACCOUNTS.dmitri,
  SEED_ACCOUNTS.farah,
  SEED_ACCOUNTS.gao,
];
const SOURCES: { jql: string; projects: string[] }[] = [
  { jql: 'project = CAL', projects: ['CAL'] },
  { jql: 'project = MKT', projects: ['MKT'] },
  { jql: 'project = OPS', projects: ['OPS'] },
  { jql: 'project in (CAL, MKT)', projects: ['CAL', 'MKT'] },
  { jql: 'project in (MKT, OPS)', projects: ['MKT', 'OPS'] },
];

async function brokenUrls(urls: readonly string[]): Promise<string[]> {
  const broken: string[] = [];
  for (const url of urls) {
    const response = await rawGet(url);
    if (response.status !== 200 || !response.body.subarray(0, 15).equals(Buffer.from('BEGIN:VCALENDAR'))) {
      broken.push(`${response.status} ${new URL(url).pathname.slice(0, 12)}…`);
    }
  }
  return broken;
}

/**
 * Many feed URLs (shared and personal) polled at once while feeds keep syncing with real changes, so
 * personal bytes are dropped and rendered again under load.
 */
export async function runLoadBench(site: BenchSite, settings: LoadBenchSettings): Promise<LoadBenchResult> {
  const { jira, services } = site;
  jira.data.issues = generateIssues(settings.issues, { seed: 2026 });

  const feeds: { id: string; url: string; projects: string[] }[] = [];
  for (let i = 0; i < settings.feeds; i++) {
    const source = SOURCES[i % SOURCES.length]!;
    const created = await createFeed(site, {
      name: `Load feed ${i + 1}: ${source.jql}`,
      source: { type: 'jql', jql: source.jql },
      timeZone: 'Europe/Berlin',
      rules: benchRules(),
      window: { pastDays: 3650, futureDays: 3650 },
      access: { mode: 'all', divideByUserFields: ['assignee'] },
    });
    const outcome = await services.sync.syncFeed(jira.clientKey, created.id);
    if (outcome.status !== 'ok') throw new Error(`initial sync failed: ${JSON.stringify(outcome)}`);
    feeds.push({ ...created, projects: source.projects });
  }
  const feedIds = new Set(feeds.map((feed) => feed.id));

  const personal: string[] = [];
  for (const accountId of PEOPLE) {
    const response = await apiAs({ url: site.url } as Parameters<typeof apiAs>[0], jira, accountId).get(
      '/me/calendars',
    );
    if (response.status !== 200) throw new Error(`/me/calendars answered ${response.status}`);
    for (const calendar of response.body.calendars as { feedId: string; url: string }[]) {
      if (feedIds.has(calendar.feedId)) personal.push(calendar.url);
    }
  }
  const urls = [...feeds.map((feed) => feed.url), ...personal];
  const brokenBefore = await brokenUrls(urls);
  if (brokenBefore.length > 0)
    throw new Error(`feed URLs broken before the load: ${brokenBefore.slice(0, 5).join(', ')}`);

  const errorLogsBefore = site.logs.error;
  let stop = false;
  let started = 0;
  let edits = 0;
  const syncTimes: number[] = [];
  const counts = { ok: 0, rendered: 0 };
  const notOk: Record<string, number> = {};
  const editIssueOf = (projects: readonly string[]) => {
    const candidates = jira.data.issues.filter((issue) => projects.includes(issue.projectKey));
    const issue = candidates[Math.floor(Math.random() * candidates.length)];
    if (!issue) return;
    edits += 1;
    issue.summary = `${issue.summary.replace(/ \(edit \d+\)$/, '')} (edit ${edits})`;
    issue.updated = formatJiraDateTime(parseJiraDateTime(issue.updated) + 60_000, SEED_TIME_ZONE);
  };
  const syncLoop = async () => {
    while (!stop && started < settings.maxSyncs) {
      const feed = feeds[started % feeds.length]!;
      started += 1;
      editIssueOf(feed.projects);
      const begun = process.hrtime.bigint();
      const outcome = await services.sync.syncFeed(jira.clientKey, feed.id);
      syncTimes.push(elapsedMs(begun));
      if (outcome.status === 'ok') {
        counts.ok += 1;
        if (outcome.rendered) counts.rendered += 1;
      } else {
        const kind = `${outcome.status}: ${outcome.status === 'failed' ? outcome.code : outcome.reason}`;
        notOk[kind] = (notOk[kind] ?? 0) + 1;
      }
    }
  };

  const loops = Array.from({ length: settings.syncLoops }, () => syncLoop());
  let result;
  try {
    result = await cannon({
      url: site.url,
      connections: settings.connections,
      duration: settings.durationSeconds,
      requests: urls.map((url) => ({ method: 'GET', path: new URL(url).pathname })),
    });
  } finally {
    stop = true;
    await Promise.all(loops);
  }
  const brokenAfter = await brokenUrls(urls);

  return {
    feeds: feeds.length,
    issues: settings.issues,
    sharedUrls: feeds.length,
    personalUrls: personal.length,
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    requestsPerSecond: round(result.requests.average),
    requests: result.latency.totalCount,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: errorsOf(result),
    non2xx: result.non2xx,
    status5xx: result['5xx'],
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
    ),
    syncsOk: counts.ok,
    syncsRendered: counts.rendered,
    syncsNotOk: notOk,
    syncMedianMs: syncTimes.length > 0 ? round(median(syncTimes)) : null,
    urlsBrokenAfter: brokenAfter.length,
    errorLogLines: site.logs.error - errorLogsBefore,
  };
}
