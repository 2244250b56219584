import { randomBytes } from 'node:crypto';
import { compressQuotas, PROVIDER_QUOTAS, QUOTA_SAFETY } from '../src/domain/provider-quotas.js';
import { FakeGoogle } from '../test/support/fake-google.js';
import { generateIssues } from '../test/support/fake-jira/fake-jira.js';
import { apiAs } from '../test/support/site.js';
import { type BenchSite, startBenchSite } from './bench-site.js';
import { elapsedMs, round } from './bench-stats.js';
import { benchRules, createFeed } from './sync-bench.js';

export type LiveFillBenchResult = {
  people: number;
  eventsPerPerson: number;
  /** Quota windows run this many times faster than Google's minute, so an hour's pacing fits the bench. */
  compression: number;
  wallMs: number;
  /** Wall time over the least the app's own budget allows (calls ÷ paced rate): 1 is perfect pacing. */
  wallOverPacedMinimum: number;
  calls: number;
  /** Peak calls in any (compressed) minute, over Google's quota: must stay below 1. */
  peakProjectCallsOverQuota: number;
  peakUserCallsOverQuota: number;
  quotaRefusals: number;
};

const LIMIT_MS = 480_000;

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + LIMIT_MS;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${LIMIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Most of `times` (sorted) in any window of `windowMs`. */
function peakIn(times: readonly number[], windowMs: number): number {
  let peak = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

async function connectAll(site: BenchSite, google: FakeGoogle, feedId: string, accounts: string[]) {
  for (const accountId of accounts) {
    const api = apiAs({ url: site.url } as Parameters<typeof apiAs>[0], site.jira, accountId);
    const started = await api.post('/me/live-calendars', { feedId, calendar: 'all', provider: 'google' });
    if (started.status !== 200) throw new Error(`connect failed: ${started.status}`);
    google.oauth.nextUser = `${accountId}@google.example`;
    const consent = await fetch(started.body.authorizationUrl as string, { redirect: 'manual' });
    const back = await fetch(consent.headers.get('location') ?? '');
    if (back.status !== 200) throw new Error(`callback answered ${back.status}`);
  }
}

/** `people` connect at once to one feed of about `eventsPerPerson` events, with Google's quotas compressed. */
export async function runLiveFillBench(
  people: number,
  eventsPerPerson: number,
  compression: number,
): Promise<LiveFillBenchResult> {
  const google = await FakeGoogle.start();
  const quotas = compressQuotas(PROVIDER_QUOTAS, compression);
  const { perPerson, perApp } = quotas.google;
  google.userQuota = perPerson;
  const site = await startBenchSite(
    {
      google: {
        ...google.client,
        oauthBaseUrl: google.url,
        apiBaseUrl: google.url,
        tokenEncryptionKey: randomBytes(32),
      },
    },
    { providerQuotas: quotas },
  );
  try {
    const accounts = Array.from({ length: people }, (_, index) => {
      const accountId = `712020:bench-${String(index).padStart(4, '0')}`;
      site.jira.data.users.push({
        accountId,
        displayName: `Bench person ${index}`,
        active: true,
        accountType: 'atlassian',
        timeZone: 'Europe/Berlin',
        locale: 'en_US',
      });
      return accountId;
    });
    site.jira.data.issues = generateIssues(eventsPerPerson, { seed: 11, projectKeys: ['OPS'] }).map(
      (issue, index) => ({
        ...issue,
        duedate: `2026-${String(1 + (index % 12)).padStart(2, '0')}-1${index % 10}`,
      }),
    );
    const feed = await createFeed(site, {
      name: 'Live fill bench',
      source: { type: 'jql', jql: 'project = OPS ORDER BY key' },
      timeZone: 'Europe/Berlin',
      rules: benchRules(),
      window: { pastDays: 3650, futureDays: 3650 },
      access: { mode: 'all' },
    });
    const synced = await site.services.sync.syncFeed(site.jira.clientKey, feed.id);
    if (synced.status !== 'ok') throw new Error(`sync failed: ${JSON.stringify(synced)}`);
    await site.startWorker();
    const from = google.calls.length;
    const started = process.hrtime.bigint();
    await connectAll(site, google, feed.id, accounts);
    const filled = () =>
      accounts.every(
        (accountId) =>
          google.calendarsOf(`${accountId}@google.example`)[0]?.events.length === synced.eventCount,
      );
    await until('every first fill', filled);
    const wallMs = elapsedMs(started);
    const calls = google.calls.slice(from);
    const byUser = new Map<string, number[]>();
    for (const call of calls) byUser.set(call.user ?? '', [...(byUser.get(call.user ?? '') ?? []), call.at]);
    const peakUser = Math.max(...[...byUser.values()].map((times) => peakIn(times, perPerson.windowMs)));
    const peakProject = peakIn(
      calls.map((call) => call.at),
      perApp!.windowMs,
    );
    const pacedMinimumMs = Math.max(
      calls.length / ((perApp!.calls * QUOTA_SAFETY) / perApp!.windowMs),
      synced.eventCount / ((perPerson.calls * QUOTA_SAFETY) / perPerson.windowMs),
    );
    return {
      people,
      eventsPerPerson: synced.eventCount,
      compression,
      wallMs: round(wallMs),
      wallOverPacedMinimum: round(wallMs / pacedMinimumMs, 2),
      calls: calls.length,
      peakProjectCallsOverQuota: round(peakProject / perApp!.calls, 3),
      peakUserCallsOverQuota: round(peakUser / perPerson.calls, 3),
      quotaRefusals: google.quotaRefusals,
    };
  } finally {
    await site.stop();
    await google.stop();
  }
}
