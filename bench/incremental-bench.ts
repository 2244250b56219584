import { monitorEventLoopDelay } from 'node:perf_hooks';
import { generateIssues } from '../test/support/fake-jira/fake-jira.js';
import { formatJiraDateTime } from '../test/support/fake-jira/jira-time.js';
import type { BenchSite } from './bench-site.js';
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
};

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
  site.jira.data.issues = generateIssues(size, { seed: size + 1 });
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
  };
}
