import { randomBytes } from 'node:crypto';
import autocannon, { type AutocannonResult } from 'autocannon';
import { type AppProcess, freePort, startAppProcess } from '../test/support/app-process.js';
import { defaultSeed, FakeJira, generateIssues, SEED_ACCOUNTS } from '../test/support/fake-jira/fake-jira.js';
import { ADMIN, apiAs } from '../test/support/site.js';
import { openTestDatabase } from '../test/support/test-database.js';
import { rawGet } from './bench-site.js';
import { round, table } from './bench-stats.js';
import { benchRules } from './sync-bench.js';

export type TwoProcessLoadSettings = {
  feeds: number;
  issues: number;
  /** Connections per app process. */
  connectionsPerProcess: number;
  durationSeconds: number;
};

/** Why the case did not run, when it cannot. */
export type TwoProcessLoadSkipped = { skipped: string };

export type TwoProcessLoadResult = {
  feeds: number;
  issues: number;
  urlsAtStart: number;
  connections: number;
  durationSeconds: number;
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Responses other than 2xx to a URL that was valid when the request was sent. */
  non2xx: number;
  statusCodes: Record<string, number>;
  rotations: number;
  personalRevocations: number;
  feedRevocations: number;
  /** URLs taken out of service (rotated away or revoked) while the load ran. */
  urlsRetired: number;
  /** Of those, how many answered 404 on the process that took the admin call at the first GET after it. */
  retired404OnWriterAtFirstGet: number;
  /** The same on the other process, which learns of the change through the database. */
  retired404OnOtherAtFirstGet: number;
  /** The longest from the writer's 404 for a retired URL to the other process's (a GET's own time included). */
  otherProcessMaxMsTo404: number;
  /** Retired URLs that were still served on either process after the grace period: must be 0. */
  retiredStillServed: number;
  /** Admin calls that did not answer as expected. */
  adminFailures: number;
  urlsBrokenAfter: number;
  /** Why, by status, kind of URL and process. */
  brokenAfterStatuses: Record<string, number>;
  errorLogLines: number;
  appExits: number;
};

export type TwoProcessLoadOutcome = TwoProcessLoadResult | TwoProcessLoadSkipped;

/** Past this the other process is not late but wrong. */
const PROPAGATION_LIMIT_MS = 2_000;
/** Autocannon's request timeout is 10 s; a request that never answers is counted, not waited on forever. */
const IN_FLIGHT_LIMIT_MS = 11_000;

const PEOPLE = [
  SEED_ACCOUNTS.alice,
  SEED_ACCOUNTS.bob,
  SEED_ACCOUNTS.chloe,
  SEED_ACCOUNTS.dmitri,
  SEED_ACCOUNTS.farah,
  SEED_ACCOUNTS.gao,
];
const SOURCES = ['project = CAL', 'project = MKT', 'project = OPS', 'project in (CAL, MKT)'];

type Served =
  | { kind: 'shared'; feedId: string }
  | { kind: 'personal'; feedId: string; accountId: string; calendar: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two real app processes on one PostgreSQL, polled through both at once over many feed URLs, while a loop
 * rotates shared URLs and revokes personal ones through the admin API of the first. A URL leaves the load
 * before it is retired (and its requests in flight are let finish), so every request is to a URL valid when
 * it was sent and must be a 2xx; each retired URL is then fetched on both processes and must be a 404.
 */
export async function runTwoProcessLoadBench(
  settings: TwoProcessLoadSettings,
): Promise<TwoProcessLoadOutcome> {
  if (!process.env['DATABASE_URL'])
    return { skipped: 'DATABASE_URL is unset: two processes cannot share the embedded database' };

  const jira = await FakeJira.start({ seed: { ...defaultSeed(), issues: [] } });
  jira.data.issues = generateIssues(settings.issues, { seed: 11 });
  const db = await openTestDatabase();
  const apps: AppProcess[] = [];
  try {
    const ports = [await freePort(), await freePort()];
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const feedTokenSecret = randomBytes(32).toString('hex');
    for (const [i, port] of ports.entries()) {
      apps.push(
        startAppProcess({
          DATABASE_URL: db.connectionString,
          PORT: String(port),
          HOST: '127.0.0.1',
          BASE_URL: urls[i]!,
          CONNECT_KEYS_URL: jira.keysUrl,
          JIRA_HOSTS: '127.0.0.1',
          FEED_TOKEN_SECRET: feedTokenSecret,
          JIRA_REQUESTS_PER_SECOND: '100',
          LOG_LEVEL: 'info',
        }),
      );
    }
    await Promise.all(apps.map((app) => app.waitFor('sync scheduler started', 60_000)));
    const [writerUrl, otherUrl] = urls as [string, string];
    const install = await jira.install(writerUrl);
    if (install.status !== 204) throw new Error(`install failed: ${install.status} ${install.body}`);
    const as = (accountId: string, url = writerUrl) =>
      apiAs({ url } as Parameters<typeof apiAs>[0], jira, accountId);
    const admin = as(ADMIN);

    const feedIds: string[] = [];
    const pool = new Map<string, Served>();
    for (let i = 0; i < settings.feeds; i++) {
      const created = await admin.post('/feeds', {
        name: `Two-process feed ${i + 1}`,
        source: { type: 'jql', jql: SOURCES[i % SOURCES.length]! },
        timeZone: 'Europe/Berlin',
        rules: benchRules(),
        window: { pastDays: 3650, futureDays: 3650 },
        access: { mode: 'all', divideByUserFields: ['assignee'] },
      });
      if (created.status !== 201) throw new Error(`feed creation failed: ${created.status}`);
      feedIds.push(created.body.id as string);
      pool.set(new URL(created.body.url as string).pathname, { kind: 'shared', feedId: created.body.id });
    }
    const deadline = Date.now() + 120_000;
    for (;;) {
      const synced = await db
        .knex('feed_syncs')
        .whereIn('feed_id', feedIds)
        .where({ state: 'ok' })
        .count({ n: '*' });
      if (Number(synced[0]!['n']) === feedIds.length) break;
      if (Date.now() > deadline) throw new Error('the first syncs did not finish within 120 s');
      await sleep(200);
    }

    /** Puts each person's current personal URLs of `onlyFeed` (or every feed) into the load. */
    const addPersonal = async (accountId: string, onlyFeed?: string) => {
      const response = await as(accountId, otherUrl).get('/me/calendars');
      if (response.status !== 200) throw new Error(`/me/calendars answered ${response.status}`);
      for (const calendar of response.body.calendars as { feedId: string; calendar: string; url: string }[]) {
        if (onlyFeed && calendar.feedId !== onlyFeed) continue;
        const served: Served = {
          kind: 'personal',
          feedId: calendar.feedId,
          accountId,
          calendar: calendar.calendar,
        };
        pool.set(new URL(calendar.url).pathname, served);
      }
    };
    for (const accountId of PEOPLE) await addPersonal(accountId);
    const urlsAtStart = pool.size;
    for (const path of pool.keys()) {
      for (const base of urls) {
        const response = await rawGet(`${base}${path}`);
        if (response.status !== 200)
          throw new Error(`a feed URL answered ${response.status} before the load`);
      }
    }
    const logLinesBefore = apps.map((app) => app.output().stdout.length);

    const inFlight = new Map<string, number>();
    const statusCodes: Record<string, number> = {};
    let non2xx = 0;
    let cursor = 0;
    const live = () => [...pool.keys()];
    let livePaths = live();
    const counts = {
      rotations: 0,
      personal: 0,
      feeds: 0,
      retired: 0,
      writerFirst: 0,
      otherFirst: 0,
      stillServed: 0,
      adminFailures: 0,
    };
    let otherMaxMs = 0;

    /** Takes paths out of the load and waits for their requests in flight to be answered. */
    const retire = async (paths: readonly string[]) => {
      for (const path of paths) pool.delete(path);
      livePaths = live();
      const until = Date.now() + IN_FLIGHT_LIMIT_MS;
      while (paths.some((path) => (inFlight.get(path) ?? 0) > 0) && Date.now() < until) await sleep(5);
    };
    /** Each retired path must now be a 404 on both processes, the other one at most a moment later. */
    const checkGone = async (paths: readonly string[], answeredAt: number) => {
      for (const path of paths) {
        counts.retired += 1;
        if ((await rawGet(`${writerUrl}${path}`)).status === 404) counts.writerFirst += 1;
        else counts.stillServed += 1;
        // From the writer's 404 (or the admin answer, for the first path) to the other process's.
        const since = Math.max(answeredAt, Date.now());
        let status = (await rawGet(`${otherUrl}${path}`)).status;
        if (status === 404) counts.otherFirst += 1;
        while (status !== 404 && Date.now() - since < PROPAGATION_LIMIT_MS) {
          await sleep(5);
          status = (await rawGet(`${otherUrl}${path}`)).status;
        }
        if (status === 404) otherMaxMs = Math.max(otherMaxMs, Date.now() - since);
        else counts.stillServed += 1;
      }
    };
    const pathsWhere = (match: (served: Served) => boolean) =>
      [...pool.entries()].filter(([, served]) => match(served)).map(([path]) => path);

    const rotateShared = async (feedId: string) => {
      const old = pathsWhere((served) => served.kind === 'shared' && served.feedId === feedId);
      await retire(old);
      const rotated = await admin.post(`/feeds/${feedId}/rotate-url`);
      const answeredAt = Date.now();
      if (rotated.status !== 200) {
        counts.adminFailures += 1;
        return;
      }
      counts.rotations += 1;
      await checkGone(old, answeredAt);
      pool.set(new URL(rotated.body.url as string).pathname, { kind: 'shared', feedId });
      livePaths = live();
    };
    const revokePersonal = async (feedId: string, accountId: string) => {
      const listed = await admin.get(`/feeds/${feedId}/subscriptions`);
      const subscription = (
        listed.body?.subscriptions as { id: string; accountId: string; calendar: string }[] | undefined
      )?.find((candidate) => candidate.accountId === accountId && candidate.calendar === 'all');
      if (listed.status !== 200 || !subscription) {
        counts.adminFailures += 1;
        return;
      }
      const old = pathsWhere(
        (served) =>
          served.kind === 'personal' &&
          served.feedId === feedId &&
          served.accountId === accountId &&
          served.calendar === 'all',
      );
      await retire(old);
      const revoked = await admin.delete(`/feeds/${feedId}/subscriptions/${subscription.id}`);
      const answeredAt = Date.now();
      if (revoked.status !== 204) counts.adminFailures += 1;
      else counts.personal += 1;
      await checkGone(old, answeredAt);
      await addPersonal(accountId, feedId);
      livePaths = live();
    };
    /** Every URL of the feed, the shared one included (it gets a new one). */
    const revokeFeed = async (feedId: string) => {
      const old = pathsWhere((served) => served.feedId === feedId);
      await retire(old);
      const revoked = await admin.delete(`/feeds/${feedId}/subscriptions`);
      const answeredAt = Date.now();
      if (revoked.status !== 200) counts.adminFailures += 1;
      else counts.feeds += 1;
      await checkGone(old, answeredAt);
      const feed = await admin.get(`/feeds/${feedId}`);
      if (feed.status === 200)
        pool.set(new URL(feed.body.url as string).pathname, { kind: 'shared', feedId });
      else counts.adminFailures += 1;
      for (const accountId of PEOPLE) await addPersonal(accountId, feedId);
      livePaths = live();
    };

    let stop = false;
    const changeLoop = async () => {
      for (let step = 0; !stop; step++) {
        const feedId = feedIds[step % feedIds.length]!;
        if (step % 6 === 5) await revokeFeed(feedId);
        else if (step % 2 === 0) await rotateShared(feedId);
        else await revokePersonal(feedId, PEOPLE[step % PEOPLE.length]!);
        await sleep(50);
      }
    };

    // On this thread (the apps are other processes), so each response is matched to the URL it was for.
    const load = (url: string) =>
      autocannon({
        url,
        connections: settings.connectionsPerProcess,
        duration: settings.durationSeconds,
        pipelining: 1,
        timeout: 10,
        requests: [
          {
            setupRequest: (request: Record<string, unknown>, context: Record<string, unknown>) => {
              const path = livePaths[cursor++ % livePaths.length]!;
              context['path'] = path;
              inFlight.set(path, (inFlight.get(path) ?? 0) + 1);
              return { ...request, method: 'GET', path };
            },
            onResponse: (status: number, _body: string, context: Record<string, unknown>) => {
              const path = context['path'] as string;
              inFlight.set(path, (inFlight.get(path) ?? 1) - 1);
              statusCodes[status] = (statusCodes[status] ?? 0) + 1;
              if (status < 200 || status > 299) non2xx += 1;
            },
          },
        ],
      });
    const changes = changeLoop();
    let results: AutocannonResult[];
    try {
      results = await Promise.all(urls.map(load));
    } finally {
      stop = true;
      await changes;
    }

    let brokenAfter = 0;
    const brokenAfterStatuses: Record<string, number> = {};
    for (const [path, served] of pool) {
      for (const base of urls) {
        const { status } = await rawGet(`${base}${path}`);
        if (status === 200) continue;
        brokenAfter += 1;
        const key = `${status} ${served.kind} on ${base === writerUrl ? 'writer' : 'other'}`;
        brokenAfterStatuses[key] = (brokenAfterStatuses[key] ?? 0) + 1;
      }
    }
    const errorLogLines = apps
      .map((app, i) => app.output().stdout.slice(logLinesBefore[i]))
      .join('\n')
      .split('\n')
      .filter((line) => Number(/"level":(\d+)/.exec(line)?.[1] ?? 0) >= 50).length;
    const total = (pick: (result: AutocannonResult) => number) =>
      results.reduce((sum, result) => sum + pick(result), 0);
    return {
      feeds: settings.feeds,
      issues: settings.issues,
      urlsAtStart,
      connections: settings.connectionsPerProcess * urls.length,
      durationSeconds: settings.durationSeconds,
      requestsPerSecond: round(total((result) => result.requests.average)),
      requests: total((result) => result.latency.totalCount),
      p50Ms: Math.max(...results.map((result) => result.latency.p50)),
      p99Ms: Math.max(...results.map((result) => result.latency.p99)),
      maxMs: Math.max(...results.map((result) => result.latency.max)),
      errors: total((result) => result.errors + result.timeouts),
      non2xx,
      statusCodes,
      rotations: counts.rotations,
      personalRevocations: counts.personal,
      feedRevocations: counts.feeds,
      urlsRetired: counts.retired,
      retired404OnWriterAtFirstGet: counts.writerFirst,
      retired404OnOtherAtFirstGet: counts.otherFirst,
      otherProcessMaxMsTo404: otherMaxMs,
      retiredStillServed: counts.stillServed,
      adminFailures: counts.adminFailures,
      urlsBrokenAfter: brokenAfter,
      brokenAfterStatuses,
      errorLogLines,
      appExits: apps.filter((app) => app.child.exitCode !== null).length,
    };
  } finally {
    for (const app of apps) app.child.kill('SIGTERM');
    await Promise.all(apps.map((app) => Promise.race([app.exited, sleep(15_000)])));
    for (const app of apps) if (app.child.exitCode === null) app.child.kill('SIGKILL');
    await db.close();
    await jira.stop();
  }
}

/** Writes the section for the two-process case and returns what went wrong in it. */
export function reportTwoProcessLoad(outcome: TwoProcessLoadOutcome, out: (text?: string) => void): string[] {
  out();
  out('## Load on two app processes (one PostgreSQL) while URLs are rotated and revoked');
  out();
  if ('skipped' in outcome) {
    out(`Skipped: ${outcome.skipped}.`);
    out();
    return [];
  }
  const r = outcome;
  out(
    `${r.feeds} feeds over ${r.issues} issues, ${r.urlsAtStart} URLs at the start, split over both processes; ` +
      `${r.connections} connections for ${r.durationSeconds} s; p50/p99/max are the worse of the two processes.`,
  );
  out();
  out(
    table(
      [
        'req/s',
        'requests',
        'p50 (ms)',
        'p99 (ms)',
        'max (ms)',
        'errors',
        'non-2xx',
        'rotated',
        'revoked (one / whole feed)',
        'URLs retired',
        '404 at first GET (writer / other)',
        'other: max ms to 404',
        'still served',
        'URLs broken after',
      ],
      [
        [
          r.requestsPerSecond,
          r.requests,
          r.p50Ms,
          r.p99Ms,
          r.maxMs,
          r.errors,
          r.non2xx,
          r.rotations,
          `${r.personalRevocations} / ${r.feedRevocations}`,
          r.urlsRetired,
          `${r.retired404OnWriterAtFirstGet} / ${r.retired404OnOtherAtFirstGet}`,
          r.otherProcessMaxMsTo404,
          r.retiredStillServed,
          r.urlsBrokenAfter,
        ],
      ],
    ),
  );
  out();
  out(`Status codes: ${JSON.stringify(r.statusCodes)}; error log lines in the apps: ${r.errorLogLines}`);
  out();
  const problems: string[] = [];
  if (r.errors > 0 || r.non2xx > 0)
    problems.push(`two processes: ${r.errors} errors and ${r.non2xx} non-2xx for URLs valid when requested`);
  if (r.retiredStillServed > 0)
    problems.push(
      `two processes: ${r.retiredStillServed} retired URLs were still served after ${PROPAGATION_LIMIT_MS} ms`,
    );
  if (r.urlsRetired === 0) problems.push('two processes: no URL was rotated or revoked under load');
  if (r.adminFailures > 0) problems.push(`two processes: ${r.adminFailures} admin calls failed`);
  if (r.urlsBrokenAfter > 0)
    problems.push(
      `two processes: ${r.urlsBrokenAfter} live URLs did not answer 200 after the load: ${JSON.stringify(r.brokenAfterStatuses)}`,
    );
  if (r.appExits > 0) problems.push(`two processes: ${r.appExits} app processes exited during the run`);
  if (r.errorLogLines > 0) problems.push(`two processes: ${r.errorLogLines} error log lines in the apps`);
  return problems;
}
