import * as jwt from 'atlassian-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { formatJiraDateTime } from '../support/fake-jira/jira-time.js';
import { connectQsh } from '../support/jwt-helpers.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

let jira: FakeJira;
let app: TestApp;
let feed: { id: string; url: string };

/** The debounce is 5 s; give the sync its own few seconds on top. */
const FRESH_WITHIN_MS = 20_000;

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl, worker: true });
  await jira.install(app.url);
  const created = await apiAs(app, jira, ADMIN).post('/feeds', sampleFeedConfig({ name: 'Webhook feed' }));
  feed = { id: String(created.body.id), url: String(created.body.url) };
  await waitFor(
    'the first sync',
    async () => (await app.services.syncRepository.find(jira.clientKey, feed.id))?.state === 'ok',
  );
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

const siteChangedJobs = async () =>
  Number(
    (
      await app.db.knex.raw<{ rows: { n: string }[] }>(
        "SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'site_changed'",
      )
    ).rows[0]!.n,
  );

const post = (path: string, authorization?: string) =>
  fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: '{}',
  });

const signed = (claims: Record<string, unknown>) => {
  const iat = Math.floor(Date.now() / 1000);
  return `JWT ${jwt.encodeSymmetric({ iss: jira.clientKey, iat, exp: iat + 180, ...claims }, jira.sharedSecretFor()!, jwt.SymmetricAlgorithm.HS256)}`;
};

describe('Connect webhooks', () => {
  it('refuses webhooks Jira did not sign for exactly that request, and queues nothing', async () => {
    const path = '/connect/webhooks/jira:issue_updated';
    const before = await siteChangedJobs();
    expect((await post(path)).status).toBe(401);
    expect((await post(path, signed({ qsh: 'context-qsh' }))).status).toBe(401);
    expect(
      (
        await post(
          path,
          signed({ qsh: connectQsh('POST', `${app.url}/connect/webhooks/sprint_updated`, app.url) }),
        )
      ).status,
    ).toBe(401);
    expect(
      (await post(path, signed({ qsh: connectQsh('POST', `${app.url}${path}`, app.url) }).replace(/.$/, 'x')))
        .status,
    ).toBe(401);
    const unknown = '/connect/webhooks/jira:worklog_updated';
    expect(
      (await post(unknown, signed({ qsh: connectQsh('POST', `${app.url}${unknown}`, app.url) }))).status,
    ).toBe(404);
    expect(await siteChangedJobs()).toBe(before);
  });

  it('an issue edit reaches the served feed through jira:issue_updated', async () => {
    const issue = jira.data.issues.find((candidate) => candidate.key === 'CAL-1')!;
    issue.summary = 'Renamed and Jira said so';
    issue.updated = formatJiraDateTime(Date.now(), 'UTC');
    expect(await jira.sendWebhook(app.url, 'jira:issue_updated')).toEqual([204]);
    await waitFor(
      'the edit in the feed',
      async () => (await fetchFeed(feed.url)).text.includes('Renamed and Jira said so'),
      FRESH_WITHIN_MS,
    );
  });

  it('a moved release date reaches the feed through jira:version_updated, though no issue changed', async () => {
    const version = jira.data.versions.find((candidate) => candidate.id === '10101')!;
    expect((await fetchFeed(feed.url)).text).not.toContain('20260911');
    version.releaseDate = '2026-09-11';
    expect(await jira.sendWebhook(app.url, 'jira:version_updated')).toEqual([204]);
    await waitFor(
      'the new release date in the feed',
      async () => (await fetchFeed(feed.url)).text.includes('20260911'),
      FRESH_WITHIN_MS,
    );
  });

  it('a rescheduled sprint reaches the feed through sprint_updated', async () => {
    const sprint = jira.data.sprints.find((candidate) => candidate.state !== 'closed')!;
    expect((await fetchFeed(feed.url)).text).not.toContain('20261127');
    sprint.endDate = '2026-11-27T16:00:00.000Z';
    expect(await jira.sendWebhook(app.url, 'sprint_updated')).toEqual([204]);
    await waitFor(
      'the new sprint end in the feed',
      async () => (await fetchFeed(feed.url)).text.includes('20261127'),
      FRESH_WITHIN_MS,
    );
  });

  it('an added issue reaches the feed through jira:issue_created, by an incremental sync', async () => {
    const template = jira.data.issues.find((candidate) => candidate.key === 'CAL-1')!;
    jira.data.issues.push({
      ...structuredClone(template),
      id: '99101',
      key: 'CAL-951',
      summary: 'Created and Jira said so',
      // In no release, so no other issue is read again to rebuild one.
      fixVersions: [],
      updated: formatJiraDateTime(Date.now(), 'UTC'),
    });
    expect(await jira.sendWebhook(app.url, 'jira:issue_created')).toEqual([204]);
    await waitFor(
      'the new issue in the feed',
      async () => (await fetchFeed(feed.url)).text.includes('Created and Jira said so'),
      FRESH_WITHIN_MS,
    );
    expect((await app.services.syncRepository.find(jira.clientKey, feed.id))?.lastSync).toMatchObject({
      kind: 'incremental',
      issuesFetched: 1,
    });
  });

  it('a deleted issue leaves the feed through jira:issue_deleted', async () => {
    expect((await fetchFeed(feed.url)).text).toContain('Created and Jira said so');
    jira.data.issues = jira.data.issues.filter((candidate) => candidate.id !== '99101');
    expect(await jira.sendWebhook(app.url, 'jira:issue_deleted')).toEqual([204]);
    await waitFor(
      'the deleted issue gone from the feed',
      async () => !(await fetchFeed(feed.url)).text.includes('Created and Jira said so'),
      FRESH_WITHIN_MS,
    );
    expect((await app.services.syncRepository.find(jira.clientKey, feed.id))?.lastSync).toMatchObject({
      kind: 'incremental',
    });
  });

  it('an issue moved out of the query leaves the feed through jira:issue_updated', async () => {
    const issue = jira.data.issues.find((candidate) => candidate.key === 'CAL-1')!;
    expect((await fetchFeed(feed.url)).text).toContain('Renamed and Jira said so');
    issue.projectKey = 'OPS';
    issue.updated = formatJiraDateTime(Date.now(), 'UTC');
    expect(await jira.sendWebhook(app.url, 'jira:issue_updated')).toEqual([204]);
    await waitFor(
      'the moved issue gone from the feed',
      async () => !(await fetchFeed(feed.url)).text.includes('Renamed and Jira said so'),
      FRESH_WITHIN_MS,
    );
    expect((await app.services.syncRepository.find(jira.clientKey, feed.id))?.lastSync).toMatchObject({
      kind: 'incremental',
    });
    issue.projectKey = 'CAL';
  });

  it('a burst of webhooks for one site is one debounced job', async () => {
    for (let i = 0; i < 5; i += 1) await jira.sendWebhook(app.url, 'jira:issue_created');
    expect(await siteChangedJobs()).toBeLessThanOrEqual(1);
  });
});
