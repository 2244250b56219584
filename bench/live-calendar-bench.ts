import { randomBytes } from 'node:crypto';
import { generateIssues } from '../test/support/fake-jira/fake-jira.js';
import { formatJiraDateTime } from '../test/support/fake-jira/jira-time.js';
import { FakeGoogle } from '../test/support/fake-google.js';
import { parseOffsetDateTime } from '../src/domain/time-zones.js';
import { SITE_CHANGED_DEBOUNCE_MS } from '../src/jobs/site-changed-job.js';
import { type BenchSite, startBenchSite } from './bench-site.js';
import { elapsedMs, percentile, round } from './bench-stats.js';
import { benchRules, createFeed } from './sync-bench.js';

export type LiveCalendarBenchResult = {
  issues: number;
  events: number;
  /** Connect to a calendar holding every event, with the worker running. */
  firstFill: { ms: number; calls: number; peakCallsPerMinute: number };
  /** Provider calls of a push after a sync that changed nothing. */
  unchangedCalls: number;
  /** Provider calls per event a sync changed (goal 1). */
  callsPerChangedEvent: number;
  /** Jira edit + webhook to the edit in the fake Google calendar, default debounce. */
  freshness: { debounceMs: number; runsMs: number[]; medianMs: number; p95Ms: number };
};

const GOOGLE_USER = 'bench@google.example';
const LIMIT_MS = 180_000;

async function until(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + LIMIT_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${LIMIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const remote = (google: FakeGoogle) => google.calendarsOf(GOOGLE_USER)[0]?.events ?? [];

async function connect(site: BenchSite, google: FakeGoogle, feedId: string): Promise<string> {
  const started = await site.admin.post('/me/live-calendars', {
    feedId,
    calendar: 'all',
    provider: 'google',
  });
  if (started.status !== 200) throw new Error(`connect failed: ${started.status}`);
  google.oauth.nextUser = GOOGLE_USER;
  const consent = await fetch(started.body.authorizationUrl as string, { redirect: 'manual' });
  const back = await fetch(consent.headers.get('location') ?? '');
  if (back.status !== 200) throw new Error(`callback answered ${back.status}`);
  const listed = await site.admin.get('/me/live-calendars');
  return (listed.body.connections as { id: string }[])[0]!.id;
}

function peakPerMinute(google: FakeGoogle, from: number): number {
  const times = google.calls.slice(from).map((call) => call.at);
  let peak = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! > 60_000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/** Edits one pushed issue, sends the webhook, times until Google shows the edit. */
async function timeFreshness(site: BenchSite, google: FakeGoogle, run: number): Promise<number> {
  const shown = remote(google)[run];
  const issue = site.jira.data.issues.find((candidate) => shown?.summary?.includes(candidate.key));
  if (!issue) throw new Error('no pushed issue to edit');
  const marker = `Live edit ${run} ${Date.now()}`;
  issue.summary = marker;
  issue.updated = formatJiraDateTime(Date.now(), 'UTC');
  const started = process.hrtime.bigint();
  await site.jira.sendWebhook(site.url, 'jira:issue_updated');
  await until('the edit in Google', () => remote(google).some((event) => event.summary?.includes(marker)));
  return elapsedMs(started);
}

/** `freshnessRuns` edits are timed one after another; 20 give a p95 that is not merely the slowest run. */
export async function runLiveCalendarBench(
  size: number,
  freshnessRuns: number,
): Promise<LiveCalendarBenchResult> {
  const google = await FakeGoogle.start();
  const site = await startBenchSite({
    google: {
      ...google.client,
      oauthBaseUrl: google.url,
      apiBaseUrl: google.url,
      tokenEncryptionKey: randomBytes(32),
    },
  });
  try {
    const dayAgo = Date.now() - 86_400_000;
    site.jira.data.issues = generateIssues(size, { seed: size + 3 }).map((issue) =>
      (parseOffsetDateTime(issue.updated) ?? 0) > dayAgo
        ? { ...issue, updated: formatJiraDateTime(dayAgo, 'UTC') }
        : issue,
    );
    const feed = await createFeed(site, {
      name: `Live bench ${size}`,
      source: { type: 'jql', jql: 'project in (CAL, MKT, OPS) ORDER BY key' },
      timeZone: 'Europe/Berlin',
      rules: benchRules(),
      window: { pastDays: 3650, futureDays: 3650 },
      access: { mode: 'all' },
    });
    const synced = await site.services.sync.syncFeed(site.jira.clientKey, feed.id);
    if (synced.status !== 'ok') throw new Error(`sync failed: ${JSON.stringify(synced)}`);
    const events = synced.eventCount;
    await site.startWorker();
    const fillFrom = google.calls.length;
    const fillStarted = process.hrtime.bigint();
    const connectionId = await connect(site, google, feed.id);
    await until('the first fill', () => remote(google).length === events);
    const firstFill = {
      ms: round(elapsedMs(fillStarted)),
      calls: google.calls.length - fillFrom,
      peakCallsPerMinute: peakPerMinute(google, fillFrom),
    };

    const unchangedFrom = google.calls.length;
    await site.services.sync.syncFeed(site.jira.clientKey, feed.id);
    await site.services.calendarPushes.push(site.jira.clientKey, connectionId);
    const unchangedCalls = google.calls.length - unchangedFrom;

    const changedFrom = google.calls.length;
    const edited = remote(google).slice(0, 5);
    const stamp = formatJiraDateTime(Date.now(), 'UTC');
    for (const shown of edited) {
      const issue = site.jira.data.issues.find((candidate) => shown.summary?.includes(candidate.key));
      if (issue) Object.assign(issue, { summary: `${issue.summary} (moved)`, updated: stamp });
    }
    await site.services.sync.syncFeed(site.jira.clientKey, feed.id);
    await until(
      'the changed events in Google',
      () => remote(google).filter((event) => event.summary?.includes('(moved)')).length >= edited.length,
    );
    const changedEvents = remote(google).filter((event) => event.summary?.includes('(moved)')).length;
    const callsPerChangedEvent = round((google.calls.length - changedFrom) / changedEvents, 2);

    const runsMs: number[] = [];
    for (let run = 0; run < freshnessRuns; run++) runsMs.push(round(await timeFreshness(site, google, run)));
    const sorted = [...runsMs].sort((a, b) => a - b);
    return {
      issues: size,
      events,
      firstFill,
      unchangedCalls,
      callsPerChangedEvent,
      freshness: {
        debounceMs: SITE_CHANGED_DEBOUNCE_MS,
        runsMs,
        medianMs: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
      },
    };
  } finally {
    await site.stop();
    await google.stop();
  }
}
