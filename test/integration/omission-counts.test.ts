import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import type { FakeIssue } from '../support/fake-jira/fake-jira-types.js';
import { formatJiraDateTime } from '../support/fake-jira/jira-time.js';
import { ADMIN, apiAs, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const DAY_MS = 86_400_000;

let jira: FakeJira;
let app: TestApp;

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
  await jira.install(app.url);
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

/** A date `days` from today, as Jira's due date. */
const dueIn = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
const touch = (target: FakeIssue) => {
  target.updated = formatJiraDateTime(Date.now(), 'UTC');
};

/** Adds an issue labelled `label`, due `days` from today. */
function addIssue(label: string, id: number, days: number): FakeIssue {
  const template = jira.data.issues.find((candidate) => candidate.key === 'CAL-3')!;
  const issue: FakeIssue = {
    ...structuredClone(template),
    id: String(id),
    key: `CAL-${id}`,
    summary: `${label} ${id}`,
    labels: [label],
    duedate: dueIn(days),
  };
  touch(issue);
  jira.data.issues.push(issue);
  return issue;
}

async function createFeed(overrides: Record<string, unknown>): Promise<string> {
  const created = await apiAs(app, jira, ADMIN).post('/feeds', sampleFeedConfig(overrides));
  expect(created.status).toBe(201);
  return String(created.body.id);
}

/** One sync, and the omission counts the admin API then shows. */
async function syncAndRead(feedId: string) {
  const outcome = await app.services.sync.syncFeed(jira.clientKey, feedId);
  expect(outcome.status).toBe('ok');
  const shown = await apiAs(app, jira, ADMIN).get(`/feeds/${feedId}`);
  const omitted = shown.body.status.omitted as { outsideWindow?: number; overCap?: number };
  return {
    kind: (outcome as { kind?: string }).kind,
    outsideWindow: omitted.outsideWindow,
    overCap: omitted.overCap,
  };
}

describe('the sync status counts what the date window and the issue cap leave out', () => {
  it('counts events outside the window after a full sync and carries the count through incremental ones', async () => {
    addIssue('omitwin', 95001, 5);
    const past = addIssue('omitwin', 95002, -100);
    const soon = addIssue('omitwin', 95003, 100);
    // Beyond even the year the sync looks ahead.
    addIssue('omitwin', 95004, 1000);
    const feedId = await createFeed({
      name: 'Short window',
      source: { type: 'jql', jql: 'labels = omitwin ORDER BY key' },
      rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
      // Overdue unresolved issues would stay in the feed.
      window: { pastDays: 30, futureDays: 30, keepUnresolvedOverdue: false },
    });

    expect(await syncAndRead(feedId)).toMatchObject({ kind: 'full', outsideWindow: 3, overCap: 0 });
    // Nothing changed: the last status stands.
    expect(await syncAndRead(feedId)).toMatchObject({ kind: 'incremental', outsideWindow: 3, overCap: 0 });

    // One issue outside the window read again: still counted once.
    past.summary = 'Edited, still long past';
    touch(past);
    expect(await syncAndRead(feedId)).toMatchObject({ kind: 'incremental', outsideWindow: 3, overCap: 0 });

    // One moves into the window, another issue joins outside it.
    soon.duedate = dueIn(10);
    touch(soon);
    addIssue('omitwin', 95005, -200);
    expect(await syncAndRead(feedId)).toMatchObject({ kind: 'incremental', outsideWindow: 3, overCap: 0 });
    jira.data.issues = jira.data.issues.filter((issue) => issue.id !== '95002');
    expect(await syncAndRead(feedId)).toMatchObject({ kind: 'incremental', outsideWindow: 2, overCap: 0 });
  });

  it('counts the issues over the cap, past what it reads, and none once the query fits again', async () => {
    // The sync reads four times the cap; the count of the rest comes from Jira's estimate.
    for (let index = 0; index < 7; index++) addIssue('omitcap', 96001 + index, index + 1);
    const feedId = await createFeed({
      name: 'Small cap',
      source: { type: 'jql', jql: 'labels = omitcap ORDER BY key' },
      rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
      window: { pastDays: 30, futureDays: 30 },
      issueCap: 1,
    });

    expect(await syncAndRead(feedId)).toMatchObject({ kind: 'full', overCap: 6, outsideWindow: 0 });
    // Over the cap every sync reads in full: the count is made again, not added to.
    expect(await syncAndRead(feedId)).toMatchObject({ kind: 'full', overCap: 6, outsideWindow: 0 });

    jira.data.issues = jira.data.issues.filter(
      (issue) => !issue.labels.includes('omitcap') || issue.id === '96001',
    );
    expect(await syncAndRead(feedId)).toMatchObject({ overCap: 0, outsideWindow: 0 });
    expect(await syncAndRead(feedId)).toMatchObject({ kind: 'incremental', overCap: 0, outsideWindow: 0 });
  });
});
