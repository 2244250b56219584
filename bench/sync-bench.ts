import { CUSTOM_FIELD, generateIssues } from '../test/support/fake-jira/fake-jira.js';
import type { BenchSite } from './bench-site.js';
import { elapsedMs, median, round } from './bench-stats.js';

export type CreatedFeed = { id: string; url: string };

export type SyncBenchRow = {
  issues: number;
  runs: number;
  /** Each run is the first sync of a new feed: fetch, build events, render, store. */
  medianMs: number;
  allMs: number[];
  eventCount: number;
  jiraRequests: number;
  jiraSearchPages: number;
  bytes: number;
  /**
   * One more sync of the last feed with nothing changed in Jira (fetch only, render skipped), or why it
   * did not finish; a stuck sync leaves the database unusable for the rest of the run.
   */
  unchangedResyncMs: number | string;
};

export type SyncBenchResult = { row: SyncBenchRow; feed: CreatedFeed };

/** A sync that takes this long is stuck, not slow; the bench reports it instead of waiting forever. */
export class SyncStuckError extends Error {
  constructor(
    readonly issues: number,
    readonly limitMs: number,
    which: string,
  ) {
    super(`the ${which} of ${issues} issues did not finish within ${limitMs / 1000} s`);
    this.name = 'SyncStuckError';
  }
}

const SEARCH_PATH = '/rest/api/3/search/jql';

/** Rules over fields generateIssues fills, so most issues give one or more events. */
export function benchRules() {
  return [
    { id: 'due', kind: 'allDay', field: 'duedate' },
    { id: 'span', kind: 'range', startField: CUSTOM_FIELD.startDate, endField: 'duedate' },
    {
      id: 'go-live',
      kind: 'timed',
      field: CUSTOM_FIELD.goLiveAt,
      end: { type: 'durationField', field: CUSTOM_FIELD.durationMinutes, defaultMinutes: 60 },
    },
  ];
}

export async function createFeed(site: BenchSite, config: Record<string, unknown>): Promise<CreatedFeed> {
  const created = await site.admin.post('/feeds', config);
  if (created.status !== 201)
    throw new Error(`feed creation failed (${created.status}): ${JSON.stringify(created.body)}`);
  return { id: created.body.id, url: created.body.url };
}

async function timedSync(site: BenchSite, feedId: string, issues: number, limitMs: number, which: string) {
  site.jira.requests.length = 0;
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SyncStuckError(issues, limitMs, which)), limitMs);
  });
  const outcome = await Promise.race([
    site.services.sync.syncFeed(site.jira.clientKey, feedId),
    stuck,
  ]).finally(() => clearTimeout(timer));
  const ms = elapsedMs(started);
  if (outcome.status !== 'ok') throw new Error(`sync did not succeed: ${JSON.stringify(outcome)}`);
  const requests = site.jira.requests.length;
  const searchPages = site.jira.requests.filter((request) => request.path === SEARCH_PATH).length;
  return { ms, outcome, requests, searchPages };
}

export async function runSyncBench(
  site: BenchSite,
  size: number,
  runs: number,
  limitMs: number,
): Promise<SyncBenchResult> {
  site.jira.data.issues = generateIssues(size, { seed: size });
  const times: number[] = [];
  let last: Awaited<ReturnType<typeof timedSync>> | undefined;
  let feed: CreatedFeed | undefined;
  for (let run = 1; run <= runs; run++) {
    feed = await createFeed(site, {
      name: `Bench ${size} issues, run ${run}`,
      source: { type: 'jql', jql: 'project in (CAL, MKT, OPS) ORDER BY key' },
      timeZone: 'Europe/Berlin',
      rules: benchRules(),
      window: { pastDays: 3650, futureDays: 3650 },
      issueCap: 20_000,
    });
    last = await timedSync(site, feed.id, size, limitMs, `sync ${run} of ${runs}`);
    if (last.outcome.issueCount !== size)
      throw new Error(`expected ${size} issues, the sync saw ${last.outcome.issueCount}`);
    times.push(last.ms);
  }
  if (!last || !feed) throw new RangeError('runs must be at least 1');
  const sizes = await site.services.renderRepository.sharedSizes(site.jira.clientKey);
  let unchangedResync: number | string;
  try {
    const unchanged = await timedSync(site, feed.id, size, limitMs, 'unchanged re-sync');
    if (unchanged.outcome.rendered) throw new Error('an unchanged re-sync rendered again');
    unchangedResync = round(unchanged.ms);
  } catch (error) {
    if (!(error instanceof SyncStuckError)) throw error;
    unchangedResync = error.message;
  }
  return {
    feed,
    row: {
      issues: size,
      runs,
      medianMs: round(median(times)),
      allMs: times.map((ms) => round(ms)),
      eventCount: last.outcome.eventCount,
      jiraRequests: last.requests,
      jiraSearchPages: last.searchPages,
      bytes: sizes.get(feed.id) ?? 0,
      unchangedResyncMs: unchangedResync,
    },
  };
}
