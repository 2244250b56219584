import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const TOKEN = randomBytes(24).toString('base64url');
const METRICS = [
  'calsync_syncs_total',
  'calsync_sync_duration_seconds',
  'calsync_jira_requests_total',
  'calsync_jira_rate_limited_total',
  'calsync_feed_requests_total',
  'calsync_serving_cache_total',
  'calsync_queue_depth',
  'calsync_oldest_due_feed_seconds',
  'calsync_stale_syncs_taken_over_total',
];

let jira: FakeJira;
let app: TestApp;

const scrape = async (target: TestApp = app, token: string | null = TOKEN) =>
  fetch(`${target.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
const sample = (text: string, name: string, labels: Record<string, string> = {}): number => {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find((candidate) =>
      candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `)
        ? wanted.every((label) => candidate.includes(label))
        : false,
    );
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
};

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl, config: { metricsToken: TOKEN }, worker: true });
  await jira.install(app.url);
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

describe('GET /metrics', () => {
  it('is a bare 404 without the token, with a wrong one, and when no token is configured', async () => {
    expect((await scrape(app, null)).status).toBe(404);
    expect((await scrape(app, `${TOKEN}x`)).status).toBe(404);
    const unconfigured = await startTestApp({ db: app.db });
    try {
      expect((await scrape(unconfigured)).status).toBe(404);
    } finally {
      await unconfigured.stop();
    }
  });

  it('counts syncs, Jira answers (429 apart), feed requests and cache lookups as they happen', async () => {
    jira.faults.failNext(1, { status: 429, retryAfterSeconds: 0 });
    const created = await apiAs(app, jira, ADMIN).post('/feeds', sampleFeedConfig({ name: 'Measured feed' }));
    expect(created.status).toBe(201);
    await waitFor(
      'the sync to be counted',
      async () =>
        sample(await (await scrape()).text(), 'calsync_syncs_total', { outcome: 'ok', kind: 'full' }) >= 1,
    );
    expect((await fetchFeed(created.body.url)).status).toBe(200);
    expect((await fetchFeed(created.body.url)).status).toBe(200);
    expect((await fetchFeed(`${app.url}/ical/${'x'.repeat(43)}.ics`)).status).toBe(404);

    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    for (const name of METRICS) expect(text, name).toContain(`# TYPE ${name} `);
    expect(sample(text, 'calsync_jira_rate_limited_total', { site: jira.clientKey })).toBe(1);
    expect(sample(text, 'calsync_jira_requests_total', { status: '429', site: jira.clientKey })).toBe(1);
    expect(
      sample(text, 'calsync_jira_requests_total', { status: '200', site: jira.clientKey }),
    ).toBeGreaterThan(0);
    expect(sample(text, 'calsync_feed_requests_total', { status: '200' })).toBe(2);
    expect(sample(text, 'calsync_feed_requests_total', { status: '404' })).toBe(1);
    expect(
      sample(text, 'calsync_serving_cache_total', { result: 'hit' }) +
        sample(text, 'calsync_serving_cache_total', { result: 'miss' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'calsync_sync_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    // No secret in any label or value: not the feed token, the site's secret or the metrics token.
    const feedToken = String(created.body.url).split('/ical/')[1]!.replace('.ics', '');
    for (const secret of [feedToken, jira.sharedSecretFor()!, TOKEN, app.config.feedTokenSecret])
      expect(text.includes(secret)).toBe(false);
  });

  it('shows the queue, the most overdue feed, and syncs a dead process left behind being taken over', async () => {
    const created = await apiAs(app, jira, ADMIN).post(
      '/feeds',
      sampleFeedConfig({ name: 'Abandoned feed' }),
    );
    await waitFor(
      'the first sync',
      async () => (await app.services.syncRepository.find(jira.clientKey, created.body.id))?.state === 'ok',
    );
    // As a process that died mid-sync leaves it: running, started long ago.
    await app.db
      .knex('feed_syncs')
      .where({ feed_id: created.body.id })
      .update({
        state: 'running',
        started_at: new Date(Date.now() - 3 * 60 * 60_000),
        heartbeat_at: new Date(Date.now() - 3 * 60 * 60_000),
      });
    await app.queue.requestTick();
    await waitFor(
      'the takeover to be counted',
      async () => sample(await (await scrape()).text(), 'calsync_stale_syncs_taken_over_total') >= 1,
    );

    // A database of its own without a worker, so nothing claims the overdue feed or the job mid-test.
    const idle = await startTestApp({ config: { metricsToken: TOKEN } });
    try {
      const clientKey = `metrics-${randomBytes(4).toString('hex')}`;
      const now = new Date();
      await idle.services.installationRepository.saveConnectInstall(
        clientKey,
        { clientKey, sharedSecret: 's'.repeat(40), baseUrl: 'https://m.atlassian.net' },
        now,
      );
      const config = idle.services.feeds.parse(sampleFeedConfig());
      await idle.db.knex.transaction(async (trx) => {
        const feed = await idle.services.feedRepository.insert(
          clientKey,
          { name: 'Overdue', config, accountId: ADMIN, now },
          trx,
        );
        await idle.services.syncRepository.create(
          clientKey,
          feed.id,
          new Date(now.getTime() - 10 * 60_000),
          trx,
        );
      });
      await idle.queue.enqueueAccessRefresh(clientKey);
      const text = await (await scrape(idle)).text();
      expect(sample(text, 'calsync_oldest_due_feed_seconds')).toBeGreaterThanOrEqual(600);
      expect(sample(text, 'calsync_queue_depth')).toBe(1);
    } finally {
      await idle.stop();
    }
  });
});
