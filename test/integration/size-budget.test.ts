import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira, generateIssues } from '../support/fake-jira/fake-jira.js';
import { checkIcs, readIcsEvents } from '../support/ics-check.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const BUDGET = 250_000;

let jira: FakeJira;
let app: TestApp;

beforeAll(async () => {
  jira = await FakeJira.start();
  jira.data.issues = generateIssues(2_400, { seed: 7, startId: 50_000 })
    .filter((issue) => issue.duedate !== null)
    .slice(0, 1_500);
  expect(jira.data.issues).toHaveLength(1_500);
  app = await startTestApp({ connectKeysUrl: jira.keysUrl, now: () => NOW });
  expect((await jira.install(app.url)).status).toBe(204);
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

const dayMs = (date: string) =>
  Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T00:00:00Z`);
const distance = (start: string) => Math.abs(dayMs(start) + 43_200_000 - NOW.getTime());

async function syncedFeed(overrides: Record<string, unknown>) {
  const created = await apiAs(app, jira, ADMIN).post(
    '/feeds',
    sampleFeedConfig({
      source: { type: 'jql', jql: 'project in (CAL, MKT, OPS)' },
      rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
      ...overrides,
    }),
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(await app.services.sync.syncFeed(jira.clientKey, created.body.id)).toMatchObject({ status: 'ok' });
  return { id: created.body.id as string, url: created.body.url as string };
}

describe('the feed size budget', () => {
  it('serves a 1,500-event feed under its budget with the events nearest to today, and says so', async () => {
    const unlimited = await syncedFeed({ name: 'Unlimited', sizeBudget: { maxBytes: null } });
    const full = await fetchFeed(unlimited.url);
    const all = readIcsEvents(full.text).events;
    expect(all).toHaveLength(1_500);
    expect(Buffer.byteLength(full.text)).toBeGreaterThan(BUDGET);

    const budgeted = await syncedFeed({ name: 'Budgeted', sizeBudget: { maxBytes: BUDGET } });
    const served = await fetchFeed(budgeted.url);
    expect(served.status).toBe(200);
    expect(checkIcs(served.text)).toEqual([]);
    expect(Buffer.byteLength(served.text)).toBeLessThanOrEqual(BUDGET);
    const kept = readIcsEvents(served.text).events;
    expect(kept.length).toBeGreaterThan(100);
    const keptKeys = new Set(kept.map((event) => event.uid.split('@')[0]));
    const dropped = all.filter((event) => !keptKeys.has(event.uid.split('@')[0]));
    expect(dropped).toHaveLength(1_500 - kept.length);
    const farthestKept = Math.max(...kept.map((event) => distance(event.start)));
    const nearestDropped = Math.min(...dropped.map((event) => distance(event.start)));
    expect(farthestKept).toBeLessThanOrEqual(nearestDropped);
    expect(readIcsEvents(served.text).calendar['X-WR-CALDESC']).toBe(
      `${dropped.length} more events not shown: the farthest from today are left out to keep this calendar under its size limit.`,
    );

    const status = (await apiAs(app, jira, ADMIN).get(`/feeds/${budgeted.id}`)).body.status;
    expect(status.omitted.byReason['size-budget']).toBe(dropped.length);
    expect(status.eventCount).toBe(kept.length);
    expect(status.warnings.join(' ')).toMatch(
      new RegExp(`${dropped.length} events farthest from today were left out`),
    );
  });

  it('over the issue cap keeps the issues whose events are nearest to today', async () => {
    // A sync reads up to four times the cap to choose from: here every issue.
    const capped = await syncedFeed({ name: 'Capped', issueCap: 400, sizeBudget: { maxBytes: null } });
    const kept = readIcsEvents((await fetchFeed(capped.url)).text).events;
    expect(kept).toHaveLength(400);
    const all = readIcsEvents(
      (await fetchFeed((await syncedFeed({ name: 'All', sizeBudget: { maxBytes: null } })).url)).text,
    ).events;
    const keptUids = new Set(kept.map((event) => event.uid.split('@')[0]));
    const left = all.filter((event) => !keptUids.has(event.uid.split('@')[0]));
    expect(Math.max(...kept.map((event) => distance(event.start)))).toBeLessThanOrEqual(
      Math.min(...left.map((event) => distance(event.start))),
    );
    expect((await apiAs(app, jira, ADMIN).get(`/feeds/${capped.id}`)).body.status.capReached).toBe(true);
  });

  it('previews what the budget will cut, with the same choice the sync makes', async () => {
    const config = sampleFeedConfig({
      name: 'Previewed',
      source: { type: 'jql', jql: 'project in (CAL, MKT, OPS)' },
      rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
      issueCap: 100,
      sizeBudget: { maxBytes: 25_000 },
    });
    const preview = await apiAs(app, jira, ADMIN).post('/feeds/preview', config);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.sizeLimitBytes).toBe(25_000);
    expect(preview.body.capReached).toBe(true);
    expect(preview.body.budgetCut.events).toBeGreaterThan(0);
    expect(preview.body.budgetCut.examples.length).toBeGreaterThan(0);

    const created = await apiAs(app, jira, ADMIN).post('/feeds', config);
    expect(await app.services.sync.syncFeed(jira.clientKey, created.body.id)).toMatchObject({ status: 'ok' });
    const status = (await apiAs(app, jira, ADMIN).get(`/feeds/${created.body.id}`)).body.status;
    expect(status.omitted.byReason['size-budget']).toBe(preview.body.budgetCut.events);
  });
});
