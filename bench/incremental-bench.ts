import { monitorEventLoopDelay } from 'node:perf_hooks';
import { generateIssues } from '../test/support/fake-jira/fake-jira.js';
import type { FakeIssue } from '../test/support/fake-jira/fake-jira-types.js';
import { formatJiraDateTime } from '../test/support/fake-jira/jira-time.js';
import { parseOffsetDateTime } from '../src/domain/time-zones.js';
import { SITE_CHANGED_DEBOUNCE_MS } from '../src/jobs/site-changed-job.js';
import { rawGet, type BenchSite } from './bench-site.js';
import { elapsedMs, round } from './bench-stats.js';
import { benchRules, createFeed } from './sync-bench.js';

export type IncrementalBenchResult = {
  issues: number;
  fullMs: number;
  fullRequests: number;
  unchanged: { ms: number; ratio: number; requests: number; kind: string };
  onePercent: { ms: number; ratio: number; requests: number; issuesFetched: number; kind: string };
  /** A full sync with the fake Jira adding this much per request. */
  slowJira: { latencyMs: number; ms: number; requests: number };
  /** 240 issues of 16 kB summaries, a description template repeating {summary} 444 times. */
  amplification: { issues: number; ms: number; maxStallMs: number };
  /**
   * An issue edited in the fake Jira and `jira:issue_updated` sent, to the new bytes served at the feed URL,
   * with the worker running and the default debounce; each run and the median.
   */
  freshness: { debounceMs: number; runsMs: number[]; medianMs: number; kinds: string[] };
};

const FRESHNESS_RUNS = 3;
const FRESHNESS_LIMIT_MS = 120_000;
const POLL_MS = 50;

async function pendingJobs(site: BenchSite): Promise<number> {
  const result = await site.db.knex.raw<{ rows: { n: string }[] }>(
    'SELECT count(*) AS n FROM graphile_worker.jobs',
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** Edits an issue the feed shows, sends the webhook, and times until the feed URL serves the edit. */
async function timeFreshness(site: BenchSite, feedUrl: string, feedId: string, run: number) {
  const served = await rawGet(feedUrl);
  const target = site.jira.data.issues.find((issue) => served.body.includes(`UID:${issue.id}-`));
  if (!target) throw new Error('the feed shows no issue to edit');
  const marker = `Freshness edit ${run} ${Date.now()}`;
  target.summary = marker;
  target.updated = formatJiraDateTime(Date.now(), 'UTC');
  const started = process.hrtime.bigint();
  const statuses = await site.jira.sendWebhook(site.url, 'jira:issue_updated');
  if (!statuses.every((status) => status === 204)) throw new Error(`webhook answered ${statuses.join(', ')}`);
  for (;;) {
    const response = await rawGet(feedUrl);
    if (response.body.includes(marker)) break;
    if (elapsedMs(started) > FRESHNESS_LIMIT_MS)
      throw new Error('the edit did not reach the feed within 120 s');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const ms = elapsedMs(started);
  const status = await site.services.syncRepository.find(site.jira.clientKey, feedId);
  return { ms, kind: status?.lastSync?.kind ?? '?' };
}

/**
 * The generated issues' `updated` spreads over their seed year, so some lie ahead of today's clock; Jira's never
 * does, and an incremental sync would see those in every "updated since" search. They are moved to a day ago.
 */
function withPastUpdates(issues: FakeIssue[]): FakeIssue[] {
  const dayAgo = Date.now() - 86_400_000;
  for (const issue of issues) {
    if ((parseOffsetDateTime(issue.updated) ?? 0) > dayAgo) issue.updated = formatJiraDateTime(dayAgo, 'UTC');
  }
  return issues;
}

async function timed(site: BenchSite, feedId: string) {
  const before = site.jira.requests.length;
  const started = process.hrtime.bigint();
  const outcome = await site.services.sync.syncFeed(site.jira.clientKey, feedId);
  const ms = elapsedMs(started);
  if (outcome.status !== 'ok') throw new Error(`sync did not succeed: ${JSON.stringify(outcome)}`);
  return { ms, outcome, requests: site.jira.requests.length - before };
}

export async function runIncrementalBench(
  site: BenchSite,
  size: number,
  latencyMs: number,
): Promise<IncrementalBenchResult> {
  site.jira.data.issues = withPastUpdates(generateIssues(size, { seed: size + 1 }));
  const feed = await createFeed(site, {
    name: `Incremental bench ${size}`,
    source: { type: 'jql', jql: 'project in (CAL, MKT, OPS) ORDER BY key' },
    timeZone: 'Europe/Berlin',
    rules: benchRules(),
    window: { pastDays: 3650, futureDays: 3650 },
    issueCap: 20_000,
  });
  const full = await timed(site, feed.id);
  const unchanged = await timed(site, feed.id);

  const now = formatJiraDateTime(Date.now(), 'UTC');
  const step = 100;
  for (let index = 0; index < size; index += step) {
    const issue = site.jira.data.issues[index]!;
    issue.summary = `${issue.summary} (edited)`;
    issue.updated = now;
  }
  const changed = await timed(site, feed.id);

  site.jira.faults.latencyMs = latencyMs;
  let slow;
  try {
    await site.services.syncRepository.forgetBasis(site.jira.clientKey, feed.id);
    slow = await timed(site, feed.id);
  } finally {
    site.jira.faults.latencyMs = 0;
  }

  const benchIssues = site.jira.data.issues;
  const big = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(290).slice(0, 16_000);
  site.jira.data.issues = generateIssues(240, { seed: 7 }).map((issue) => ({ ...issue, summary: big }));
  const amplified = await createFeed(site, {
    name: 'Template amplification',
    source: { type: 'jql', jql: 'project in (CAL, MKT, OPS) ORDER BY key' },
    timeZone: 'Europe/Berlin',
    rules: benchRules(),
    window: { pastDays: 3650, futureDays: 3650 },
    content: { summaryTemplate: '{summary}'.repeat(100), descriptionTemplate: '{summary}'.repeat(444) },
  });
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const amplifiedRun = await timed(site, amplified.id);
  histogram.disable();

  // Freshness last: the worker, once started, would also run the syncs the cases above time by hand.
  site.jira.data.issues = benchIssues;
  const removed = await site.admin.delete(`/feeds/${amplified.id}`);
  if (removed.status !== 204) throw new Error(`could not delete the amplification feed: ${removed.status}`);
  await site.startWorker();
  // Jobs queued while no worker ran (the feeds' first syncs) would otherwise pick the first edit up early.
  const drainedBy = Date.now() + 60_000;
  while ((await pendingJobs(site)) > 0 && Date.now() < drainedBy)
    await new Promise((resolve) => setTimeout(resolve, 200));
  const fresh = [];
  for (let run = 0; run < FRESHNESS_RUNS; run++)
    fresh.push(await timeFreshness(site, feed.url, feed.id, run));
  const freshMs = fresh.map((entry) => round(entry.ms)).sort((a, b) => a - b);

  return {
    issues: size,
    fullMs: round(full.ms),
    fullRequests: full.requests,
    unchanged: {
      ms: round(unchanged.ms),
      ratio: round(unchanged.ms / full.ms, 3),
      requests: unchanged.requests,
      kind: unchanged.outcome.status === 'ok' ? unchanged.outcome.kind : '?',
    },
    onePercent: {
      ms: round(changed.ms),
      ratio: round(changed.ms / full.ms, 3),
      requests: changed.requests,
      issuesFetched: changed.outcome.status === 'ok' ? changed.outcome.issuesFetched : 0,
      kind: changed.outcome.status === 'ok' ? changed.outcome.kind : '?',
    },
    slowJira: { latencyMs, ms: round(slow.ms), requests: slow.requests },
    amplification: { issues: 240, ms: round(amplifiedRun.ms), maxStallMs: round(histogram.max / 1e6) },
    freshness: {
      debounceMs: SITE_CHANGED_DEBOUNCE_MS,
      runsMs: fresh.map((entry) => round(entry.ms)),
      medianMs: freshMs[Math.floor(freshMs.length / 2)] ?? 0,
      kinds: fresh.map((entry) => entry.kind),
    },
  };
}
