import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOM_FIELD, FakeJira, type FakeIssue } from '../support/fake-jira/fake-jira.js';
import { checkIcs } from '../support/ics-check.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Seen = { sequence: number; stamp: string; lastModified: string; start: string };

let jira: FakeJira;
let app: TestApp;
let admin: ReturnType<typeof apiAs>;
let feedId: string;
let url: string;
let body: Record<string, unknown>;

const rules = [
  { id: 'due', kind: 'allDay', field: 'duedate' },
  {
    id: 'kickoff',
    kind: 'dateWithTime',
    field: CUSTOM_FIELD.startDate,
    startTime: '09:00',
    timeZone: 'Europe/Berlin',
    end: { type: 'duration', minutes: 60 },
  },
  { id: 'sprints', kind: 'sprint' },
  { id: 'releases', kind: 'version' },
];

const issueByKey = (key: string): FakeIssue => jira.data.issues.find((issue) => issue.key === key)!;
/** Jira's `updated` moves on with every edit; the event rules must not take that alone for a change. */
function touch(issue: FakeIssue, at: string): void {
  issue.updated = at;
}

async function syncAndRead(): Promise<{ text: string; events: Map<string, Seen> }> {
  expect(await app.services.sync.syncFeed(jira.clientKey, feedId)).toMatchObject({ status: 'ok' });
  const feed = await fetchFeed(url);
  expect(feed.status).toBe(200);
  expect(checkIcs(feed.text)).toEqual([]);
  const events = new Map<string, Seen>();
  for (const vevent of new ICAL.Component(ICAL.parse(feed.text)).getAllSubcomponents('vevent')) {
    events.set(String(vevent.getFirstPropertyValue('uid')), {
      sequence: Number(vevent.getFirstPropertyValue('sequence')),
      stamp: String(vevent.getFirstPropertyValue('dtstamp')),
      lastModified: String(vevent.getFirstPropertyValue('last-modified')),
      start: String(vevent.getFirstPropertyValue('dtstart')),
    });
  }
  return { text: feed.text, events };
}

function find(events: Map<string, Seen>, prefix: string): Seen {
  const matches = [...events.entries()].filter(([uid]) => uid.startsWith(prefix));
  expect(matches, prefix).toHaveLength(1);
  return matches[0]![1];
}

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
  expect((await jira.install(app.url)).status).toBe(204);
  admin = apiAs(app, jira, ADMIN);
  body = sampleFeedConfig({ name: 'Revisions', rules });
  const created = await admin.post('/feeds', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  feedId = created.body.id;
  url = created.body.url;
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

describe('SEQUENCE and LAST-MODIFIED follow the rendered event', () => {
  it('stay put, with identical bytes, when only Jira update times moved', async () => {
    const first = await syncAndRead();
    for (const issue of jira.data.issues) touch(issue, '2026-11-30T10:00:00.000+0000');
    const second = await syncAndRead();
    expect(second.text).toBe(first.text);
  });

  it('rise for an issue edit, and only for the events it moved', async () => {
    const cal1 = issueByKey('CAL-1');
    const before = await syncAndRead();
    cal1.duedate = '2026-07-01';
    touch(cal1, '2026-12-01T09:00:00.000+0000');
    const after = await syncAndRead();
    const [was, now] = [find(before.events, `${cal1.id}-due`), find(after.events, `${cal1.id}-due`)];
    expect(now.sequence).toBe(was.sequence + 1);
    expect(now.lastModified > was.lastModified).toBe(true);
    expect(now.stamp).toBe(now.lastModified);
    expect(find(after.events, `${cal1.id}-kickoff`)).toEqual(find(before.events, `${cal1.id}-kickoff`));
  });

  it('rise when an admin edits a rule (09:00 → 10:00) or a template, with no issue touched', async () => {
    const cal1 = issueByKey('CAL-1');
    const before = await syncAndRead();
    const ruleEdit = {
      ...body,
      rules: rules.map((rule) => (rule.id === 'kickoff' ? { ...rule, startTime: '10:00' } : rule)),
    };
    expect((await admin.put(`/feeds/${feedId}`, ruleEdit)).status).toBe(200);
    const moved = await syncAndRead();
    const kickoff = [before, moved].map(({ events }) => find(events, `${cal1.id}-kickoff`));
    expect(kickoff[1]!.start).not.toBe(kickoff[0]!.start);
    expect(kickoff[1]!.sequence).toBe(kickoff[0]!.sequence + 1);
    expect(find(moved.events, `${cal1.id}-due`)).toEqual(find(before.events, `${cal1.id}-due`));

    const templateEdit = { ...ruleEdit, content: { summaryTemplate: '[{key}] {summary}' } };
    expect((await admin.put(`/feeds/${feedId}`, templateEdit)).status).toBe(200);
    const retitled = await syncAndRead();
    expect(find(retitled.events, `${cal1.id}-due`).sequence).toBe(
      find(moved.events, `${cal1.id}-due`).sequence + 1,
    );
    body = templateEdit;
  });

  it('rise when a sprint end date or a version release date moves', async () => {
    const before = await syncAndRead();
    jira.data.sprints.find((sprint) => sprint.id === 3)!.endDate = '2026-05-20T07:00:00.000Z';
    jira.data.versions.find((version) => version.id === '10101')!.releaseDate = '2026-07-22';
    const after = await syncAndRead();
    for (const prefix of ['sprint-3-', 'version-10101-']) {
      expect(find(after.events, prefix).sequence, prefix).toBe(find(before.events, prefix).sequence + 1);
    }
  });

  it('never fall when the newest issue of a sprint leaves it', async () => {
    const cal8 = issueByKey('CAL-8');
    cal8.updated = '2026-12-01T12:00:00.000+0000';
    const before = await syncAndRead();
    cal8.custom[CUSTOM_FIELD.sprint] = [2];
    cal8.updated = '2026-12-01T12:30:00.000+0000';
    const after = await syncAndRead();
    const [was, now] = [find(before.events, 'sprint-3-'), find(after.events, 'sprint-3-')];
    expect(now.sequence).toBeGreaterThanOrEqual(was.sequence);
    expect(now.lastModified >= was.lastModified).toBe(true);
    expect(now.stamp >= was.stamp).toBe(true);
  });
});
