import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { ADMIN, apiAs, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

let jira: FakeJira;
let app: TestApp;

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({
    connectKeysUrl: jira.keysUrl,
    worker: true,
    config: { jiraApiBudgetMs: 3_000 },
  });
  await jira.install(app.url);
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

const restCalls = () => jira.requests.filter((request) => request.path.startsWith('/rest/')).length;

describe("Jira's pace", () => {
  it('answers a page at once with "Jira is busy, try again in N s" and Retry-After, asking Jira once', async () => {
    jira.faults.failNext(10, { status: 429, retryAfterSeconds: 120 });
    const before = restCalls();
    const response = await apiAs(app, jira, ADMIN).get('/jira/fields');
    jira.faults.clear();

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('120');
    expect(response.body.error.code).toBe('jira_rate_limited');
    expect(response.body.error.message).toMatch(/Jira is busy.*Try again in 120 s/);
    expect(restCalls() - before).toBe(1);
  });

  it('puts a sync Jira refused with Retry-After back in the queue for exactly that long, never sooner', async () => {
    // A site of its own: the one above is paused for two minutes by its 429.
    const fresh = await FakeJira.start();
    const paced = await startTestApp({ connectKeysUrl: fresh.keysUrl, worker: true });
    try {
      await fresh.install(paced.url);
      const admin = apiAs(paced, fresh, ADMIN);
      const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Paced feed' }));
      const feedId = String(created.body.id);
      await waitFor(
        'the first sync',
        async () => (await paced.services.syncRepository.find(fresh.clientKey, feedId))?.state === 'ok',
      );

      fresh.faults.failNext(10, { status: 429, retryAfterSeconds: 120 });
      const searchesBefore = fresh.requests.filter(
        (request) => request.path === '/rest/api/3/search/jql',
      ).length;
      const asked = Date.now();
      expect((await admin.post(`/feeds/${feedId}/sync`)).status).toBe(202);
      const failed = await waitFor('the sync to fail on the 429', async () => {
        const status = await paced.services.syncRepository.find(fresh.clientKey, feedId);
        return status?.state === 'error' ? status : null;
      });
      expect(failed.errorCode).toBe('jira_rate_limited');
      expect(failed.errorMessage).toMatch(/Try again in 120 s/);

      const job = await waitFor('the retry to be queued', async () => {
        const result = await paced.db.knex.raw<{ rows: { run_at: Date }[] }>(
          'SELECT run_at FROM graphile_worker.jobs WHERE key = ? AND locked_at IS NULL',
          [`sync_feed:${feedId}`],
        );
        return result.rows[0] ?? null;
      });
      expect(job.run_at.getTime()).toBeGreaterThanOrEqual(asked + 120_000);
      expect(job.run_at.getTime()).toBeLessThan(Date.now() + 121_000);
      const searches =
        fresh.requests.filter((request) => request.path === '/rest/api/3/search/jql').length - searchesBefore;
      expect(searches).toBe(1);
    } finally {
      fresh.faults.clear();
      await paced.stop();
      await fresh.stop();
    }
  });
});
