import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeJira, generateIssues } from '../support/fake-jira/fake-jira.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

let jira: FakeJira;
let app: TestApp;
let feedId: string;
let url: string;
let goodBytes: string;
let goodEventCount: number;

const sync = () => app.services.sync.syncFeed(jira.clientKey, feedId);
const status = async () => (await apiAs(app, jira, ADMIN).get(`/feeds/${feedId}`)).body.status;
const searchCalls = () => jira.requests.filter((request) => request.path === '/rest/api/3/search/jql');
const isIdsOnly = (body: unknown) => {
  const fields = (body as { fields?: string[] }).fields;
  return fields?.length === 1 && fields[0] === 'id';
};

beforeAll(async () => {
  jira = await FakeJira.start();
  // Enough issues for a sync to span several pages (and page tokens).
  jira.data.issues.push(...generateIssues(260, { startId: 50_000, startNumber: 100 }));
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
  await jira.install(app.url);
  const created = await apiAs(app, jira, ADMIN).post(
    '/feeds',
    sampleFeedConfig({ source: { type: 'jql', jql: 'project in (CAL, MKT, OPS) ORDER BY key' } }),
  );
  feedId = created.body.id;
  url = created.body.url;
  expect(await sync()).toMatchObject({ status: 'ok' });
  goodBytes = (await fetchFeed(url)).text;
  goodEventCount = (await status()).eventCount;
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});
beforeEach(() => {
  jira.faults.clear();
  jira.requests.length = 0;
});

describe('sync under Jira faults', () => {
  it('waits out a 429 with Retry-After and then succeeds', async () => {
    jira.faults.failNext(1, { status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    expect(await sync()).toMatchObject({ status: 'ok' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(jira.requests[0]!.status).toBe(429);
    expect((await status()).state).toBe('ok');
  });

  it('recovers from a few 500s and a timeout within its retry budget', async () => {
    jira.faults.failNext(2, { status: 500 });
    jira.faults.failNext(1, { hangMs: 3_000 });
    expect(await sync()).toMatchObject({ status: 'ok' });
    expect((await fetchFeed(url)).text).toBe(goodBytes);
  });

  it('gives up on malformed JSON, keeps the last good feed and says so', async () => {
    jira.faults.failNext(20, { malformedJson: true });
    expect(await sync()).toMatchObject({ status: 'failed', code: 'jira_bad_response', retryable: true });
    expect((await fetchFeed(url)).text).toBe(goodBytes);
    const failed = await status();
    expect(failed.state).toBe('error');
    expect(failed.error.message).toMatch(/Jira did not answer properly/);
    expect(failed.eventCount).toBe(goodEventCount);
  });

  it('reads past a full first page as ids, then 100 issues a request, to the same feed as paging on', async () => {
    await app.services.syncRepository.forgetBasis(jira.clientKey, feedId);
    const byIdsSync = await sync();
    expect(byIdsSync).toMatchObject({ status: 'ok', kind: 'full' });
    const total = byIdsSync.status === 'ok' ? byIdsSync.issuesFetched : 0;
    expect(total).toBeGreaterThan(250);
    expect(searchCalls().filter((call) => !isIdsOnly(call.body))).toHaveLength(1);
    expect(searchCalls().filter((call) => isIdsOnly(call.body))).toHaveLength(1);
    const bulk = jira.requests
      .filter((request) => request.path === '/rest/api/3/issue/bulkfetch')
      .map((call) => (call.body as { issueIdsOrKeys: string[] }).issueIdsOrKeys);
    const rest = total - 100;
    expect(bulk.map((ids) => ids.length)).toEqual(
      Array.from({ length: Math.ceil(rest / 100) }, (_, index) => Math.min(100, rest - index * 100)),
    );
    expect(new Set(bulk.flat()).size).toBe(rest);
    const byIds = (await fetchFeed(url)).text;
    expect(byIds).toBe(goodBytes);

    // Pages Jira trims (large fields) are paged on with tokens: the same issues, the same bytes.
    jira.faults.fieldPageLimit = 50;
    jira.requests.length = 0;
    await app.services.syncRepository.forgetBasis(jira.clientKey, feedId);
    expect(await sync()).toMatchObject({ status: 'ok', kind: 'full', issuesFetched: total });
    expect(searchCalls()).toHaveLength(Math.ceil(total / 50));
    expect(jira.requests.some((request) => request.path === '/rest/api/3/issue/bulkfetch')).toBe(false);
    expect((await fetchFeed(url)).text).toBe(byIds);
  });

  it('restarts the search when a page token expires mid-sync, and stores the complete set', async () => {
    // Short pages (Jira trimming large fields) are read on with page tokens.
    jira.faults.fieldPageLimit = 50;
    const repository = app.services.syncRepository;
    const original = repository.recordProgress.bind(repository);
    let expired = false;
    repository.recordProgress = async (...args) => {
      if (!expired) {
        expired = true;
        jira.faults.expirePageTokens();
      }
      return original(...args);
    };
    // Only a full read pages through the issues with fields; an incremental one reads 5,000 ids a page.
    await repository.forgetBasis(jira.clientKey, feedId);
    try {
      const outcome = await app.services.sync.syncFeed(jira.clientKey, feedId);
      expect(outcome).toMatchObject({ status: 'ok', kind: 'full' });
    } finally {
      repository.recordProgress = original;
    }
    expect(expired).toBe(true);
    expect(searchCalls().some((call) => call.status === 400)).toBe(true);
    expect((await status()).eventCount).toBe(goodEventCount);
    expect((await fetchFeed(url)).text).toBe(goodBytes);
  });
});

// Cutting the app's database sessions mid-sync stands in for a PostgreSQL restart without disturbing other test files.
describe.runIf(Boolean(process.env['DATABASE_URL']))('sync when the database connection drops', () => {
  it('fails that sync cleanly, keeps the last good feed, and the next sync succeeds', async () => {
    const database = (
      await app.db.knex.raw<{ rows: { name: string }[] }>('select current_database() as name')
    ).rows[0]!.name;
    jira.faults.latencyMs = 300;
    const asked = jira.requests.length;
    const running = app.services.sync.syncFeed(jira.clientKey, feedId).catch((error: unknown) => error);
    // Mid-sync: Jira has been asked, and its answer is 300 ms away.
    await waitFor('the sync to ask Jira', () => Promise.resolve(jira.requests.length > asked));
    await app.db.knex.raw(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()',
      [database],
    );
    await running;
    jira.faults.latencyMs = 0;
    expect((await fetchFeed(url)).text).toBe(goodBytes);
    expect(await sync()).toMatchObject({ status: 'ok' });
    expect((await status()).eventCount).toBe(goodEventCount);
  });
});
