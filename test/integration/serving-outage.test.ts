import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withOutageSwitch, type DatabaseOutage } from '../support/db-proxy.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { openTestDatabase } from '../support/test-database.js';
import type { Database } from '../../src/db/database.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let jira: FakeJira;
let database: Database;
let outage: DatabaseOutage;
let app: TestApp;

beforeAll(async () => {
  jira = await FakeJira.start();
  database = await openTestDatabase();
  outage = await withOutageSwitch(database);
  app = await startTestApp({ db: outage.db, connectKeysUrl: jira.keysUrl });
  expect((await jira.install(app.url)).status).toBe(204);
});
afterAll(async () => {
  outage?.restore();
  await app?.stop();
  await outage?.close();
  await database?.close();
  await jira?.stop();
});

function plainGet(
  url: string,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function syncedFeed(name: string): Promise<string> {
  const created = await apiAs(app, jira, ADMIN).post('/feeds', sampleFeedConfig({ name }));
  expect(created.status).toBe(201);
  expect(await app.services.sync.syncFeed(jira.clientKey, created.body.id)).toMatchObject({ status: 'ok' });
  return created.body.url as string;
}

describe('a database outage', () => {
  it('keeps feeds this process served answering 200 from memory, says so in the logs, and 503s the rest', async () => {
    const served = await syncedFeed('Served before');
    const neverServed = await syncedFeed('Never served here');
    const before = await plainGet(served);
    expect(before.status).toBe(200);
    expect((await fetchFeed(served)).status).toBe(200); // gzip too

    outage.cut();
    try {
      for (let i = 0; i < 5; i += 1) {
        const during = await plainGet(served);
        expect(during.status).toBe(200);
        expect(during.body).toBe(before.body);
      }
      expect((await fetchFeed(served)).status).toBe(200);
      const unknown = await plainGet(neverServed);
      expect(unknown.status).toBe(503);
      expect(Number(unknown.headers['retry-after'])).toBeGreaterThan(0);
      expect(unknown.body).toBe('');
      expect(unknown.headers['content-type']).toBeUndefined();
      expect((await plainGet(`${app.url}/ical/not-a-token.ics`)).status).toBe(404);
      expect(app.logs()).toContain('database unreachable: serving feeds from memory');
    } finally {
      outage.restore();
    }

    const deadline = Date.now() + 5_000;
    let after = await plainGet(neverServed);
    while (after.status !== 200 && Date.now() < deadline) after = await plainGet(neverServed);
    expect(after.status).toBe(200);
    expect(app.logs()).toContain('database reachable again');
  });
});
