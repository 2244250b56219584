import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import type { FakeIssue } from '../support/fake-jira/fake-jira-types.js';
import { formatJiraDateTime } from '../support/fake-jira/jira-time.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let jira: FakeJira;
let app: TestApp;
let feed: { id: string; url: string };

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
  await jira.install(app.url);
  const created = await apiAs(app, jira, ADMIN).post(
    '/feeds',
    sampleFeedConfig({ name: 'Incremental feed' }),
  );
  feed = { id: String(created.body.id), url: String(created.body.url) };
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

/** One sync, with the Jira requests the fake Jira itself saw during it. */
async function sync() {
  const before = jira.requests.length;
  const outcome = await app.services.sync.syncFeed(jira.clientKey, feed.id);
  const seen = jira.requests.slice(before).filter((request) => request.path.startsWith('/rest/'));
  return { outcome, seen, text: (await fetchFeed(feed.url)).text };
}

const issue = (key: string): FakeIssue => jira.data.issues.find((candidate) => candidate.key === key)!;
const touch = (target: FakeIssue) => {
  target.updated = formatJiraDateTime(Date.now(), 'UTC');
};

describe('incremental sync', () => {
  let lastText = '';

  it('reads everything the first time, then an unchanged feed in three requests, with the same bytes', async () => {
    const first = await sync();
    expect(first.outcome).toMatchObject({ status: 'ok', kind: 'full' });
    const again = await sync();
    expect(again.outcome).toMatchObject({
      status: 'ok',
      kind: 'incremental',
      rendered: false,
      issuesFetched: 0,
    });
    // Membership (ids only), what was updated since the last sync, and one issue per sprint and version.
    expect(again.seen.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /rest/api/3/search/jql',
      'POST /rest/api/3/search/jql',
      'POST /rest/api/3/issue/bulkfetch',
    ]);
    expect(again.outcome).toMatchObject({ jiraRequests: again.seen.length });
    expect(again.text).toBe(first.text);
    const status = (await apiAs(app, jira, ADMIN).get(`/feeds/${feed.id}`)).body as {
      status: { lastSync: unknown };
    };
    expect(status.status.lastSync).toEqual({ kind: 'incremental', jiraRequests: 3, issuesFetched: 0 });
    lastText = again.text;
  });

  it('reads an edited issue alone and shows the edit', async () => {
    const target = issue('CAL-3');
    target.summary = 'Privacy statement edited';
    target.duedate = '2026-08-14';
    touch(target);
    const { outcome, text } = await sync();
    expect(outcome).toMatchObject({ status: 'ok', kind: 'incremental', rendered: true, issuesFetched: 1 });
    expect(text).toContain('Privacy statement edited');
    lastText = text;
  });

  it('shows an added issue and drops a deleted one', async () => {
    const added: FakeIssue = {
      ...structuredClone(issue('CAL-3')),
      id: '99001',
      key: 'CAL-901',
      summary: 'A brand new issue',
    };
    touch(added);
    added.duedate = '2026-07-07';
    jira.data.issues.push(added);
    const withAdded = await sync();
    expect(withAdded.outcome).toMatchObject({ kind: 'incremental', issuesFetched: 1 });
    expect(withAdded.text).toContain('A brand new issue');

    jira.data.issues = jira.data.issues.filter((candidate) => candidate.id !== '99001');
    const withDeleted = await sync();
    expect(withDeleted.outcome).toMatchObject({ kind: 'incremental', issuesFetched: 0, rendered: true });
    expect(withDeleted.text).not.toContain('A brand new issue');
    expect(withDeleted.text).toBe(lastText);
  });

  it('follows an issue leaving the query and coming back, though its update time never moved', async () => {
    const target = issue('CAL-3');
    target.projectKey = 'OPS';
    const left = await sync();
    expect(left.outcome).toMatchObject({ kind: 'incremental' });
    expect(left.text).not.toContain('Privacy statement edited');
    target.projectKey = 'CAL';
    const back = await sync();
    expect(back.outcome).toMatchObject({ kind: 'incremental', issuesFetched: 1 });
    expect(back.text).toBe(lastText);
  });

  it('sees a rescheduled sprint and a moved release date, though no issue changed', async () => {
    const sprint = jira.data.sprints.find((candidate) => candidate.state !== 'closed')!;
    expect(lastText).not.toContain('20261127');
    sprint.endDate = '2026-11-27T16:00:00.000Z';
    const rescheduled = await sync();
    expect(rescheduled.outcome).toMatchObject({ kind: 'incremental', rendered: true });
    expect(rescheduled.text).toContain('20261127');

    const version = jira.data.versions.find((candidate) => candidate.id === '10101')!;
    expect(rescheduled.text).not.toContain('20260911');
    version.releaseDate = '2026-09-11';
    const moved = await sync();
    expect(moved.outcome).toMatchObject({ kind: 'incremental', rendered: true });
    expect(moved.text).toContain('20260911');
    lastText = moved.text;
  });

  it('gives the very bytes a full read gives', async () => {
    await app.services.syncRepository.forgetBasis(jira.clientKey, feed.id);
    const full = await sync();
    expect(full.outcome).toMatchObject({ kind: 'full', rendered: false });
    expect(full.text).toBe(lastText);
  });

  it('reads everything again after a configuration change', async () => {
    const updated = await apiAs(app, jira, ADMIN).put(
      `/feeds/${feed.id}`,
      sampleFeedConfig({ name: 'Incremental feed', timeZone: 'UTC' }),
    );
    expect(updated.status).toBe(200);
    const { outcome } = await sync();
    expect(outcome).toMatchObject({ kind: 'full' });
  });
});
