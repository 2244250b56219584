import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira, type FakeIssue } from '../support/fake-jira/fake-jira.js';
import { checkIcs, readIcsEvents } from '../support/ics-check.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const FAMILY = '👨‍👩‍👧‍👦';

let jira: FakeJira;
let app: TestApp;
let cal1: FakeIssue;
let url: string;

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
  expect((await jira.install(app.url)).status).toBe(204);
  cal1 = jira.data.issues.find((issue) => issue.key === 'CAL-1')!;
  cal1.duedate = '2026-03-08';
  cal1.summary = `${'a'.repeat(240)}${FAMILY}${FAMILY}${FAMILY}`;
  const created = await apiAs(app, jira, ADMIN).post(
    '/feeds',
    sampleFeedConfig({
      name: 'Content',
      timeZone: 'America/New_York',
      content: { summaryTemplate: '{summary}' },
      rules: [
        {
          id: 'gap',
          kind: 'dateWithTime',
          field: 'duedate',
          startTime: '02:30',
          end: { type: 'fixedEndTime', time: '03:00' },
        },
      ],
    }),
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  url = created.body.url;
  expect(await app.services.sync.syncFeed(jira.clientKey, created.body.id)).toMatchObject({ status: 'ok' });
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

/** node:http sends no Accept-Encoding of its own (fetch always asks for gzip). */
function get(
  headers: Record<string, string>,
): Promise<{ status: number; etag: string | undefined; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          etag: res.headers.etag,
          encoding: res.headers['content-encoding'],
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('event content over HTTP', () => {
  it('keeps the New York 02:30-03:00 event on the spring-forward day, moved past the gap', async () => {
    const feed = await fetchFeed(url);
    expect(checkIcs(feed.text)).toEqual([]);
    const gap = readIcsEvents(feed.text).events.find((event) => event.uid.startsWith(`${cal1.id}-gap@`));
    expect(gap).toMatchObject({ start: '20260308T073000Z', end: '20260308T080000Z' });
  });

  it('cuts a long summary between graphemes: whole emoji families, then …', async () => {
    const feed = await fetchFeed(url);
    const event = readIcsEvents(feed.text).events.find((candidate) =>
      candidate.uid.startsWith(`${cal1.id}-gap@`),
    );
    expect(event?.summary).toBe(`${'a'.repeat(240)}${FAMILY}${FAMILY}…`);
  });
});

describe('validators', () => {
  it('gives the plain and the gzip body different strong ETags, each answering 304 only to itself', async () => {
    const plain = await get({});
    const gzipped = await get({ 'accept-encoding': 'gzip' });
    expect([plain.encoding, gzipped.encoding]).toEqual([undefined, 'gzip']);
    for (const etag of [plain.etag, gzipped.etag]) expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(gzipped.etag).not.toBe(plain.etag);
    expect((await get({ 'accept-encoding': 'gzip', 'if-none-match': gzipped.etag! })).status).toBe(304);
    expect((await get({ 'accept-encoding': 'gzip', 'if-none-match': plain.etag! })).status).toBe(200);
    expect((await get({ 'if-none-match': plain.etag! })).status).toBe(304);
    expect((await get({ 'if-none-match': gzipped.etag! })).status).toBe(200);
  });
});
