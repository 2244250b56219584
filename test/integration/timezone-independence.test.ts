import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAppProcess } from '../support/app-process.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';

let jira: FakeJira;
let port: number;

beforeAll(async () => {
  jira = await FakeJira.start();
  port = await freePort();
});
afterAll(async () => {
  await jira?.stop();
});

const rules = [
  { id: 'due', kind: 'allDay', field: 'duedate' },
  {
    id: 'go-live',
    kind: 'timed',
    field: 'customfield_10030',
    end: { type: 'durationField', field: 'customfield_10031', defaultMinutes: 30 },
  },
  { id: 'go-live-day', kind: 'allDay', field: 'customfield_10030', timeZoneField: 'customfield_10032' },
  {
    id: 'kickoff',
    kind: 'dateWithTime',
    field: 'customfield_10015',
    startTimeField: 'customfield_10033',
    timeZone: 'America/New_York',
  },
  { id: 'span', kind: 'range', startField: 'customfield_10015', endField: 'duedate' },
  { id: 'sprints', kind: 'sprint' },
  { id: 'releases', kind: 'version', useStartDate: true },
];

/** Runs the real app process under one TZ on a fresh embedded database and returns the feed's bytes, unfolded. */
async function feedBytesUnder(tz: string): Promise<string> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'calendar-sync-tz-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const app = startAppProcess({
    TZ: tz,
    PORT: String(port),
    HOST: '127.0.0.1',
    BASE_URL: baseUrl,
    DATA_DIR: dataDir,
    CONNECT_KEYS_URL: jira.keysUrl,
    JIRA_HOSTS: '127.0.0.1',
    JIRA_REQUESTS_PER_SECOND: '100',
    SCHEDULER_ENABLED: 'true',
  });
  try {
    await app.waitFor('sync scheduler started');
    expect((await jira.install(baseUrl)).status).toBe(204);
    const headers = {
      authorization: `JWT ${jira.contextToken({ accountId: ADMIN })}`,
      'content-type': 'application/json',
    };
    const config = sampleFeedConfig({
      name: 'Zones',
      timeZone: 'Pacific/Auckland',
      source: { type: 'jql', jql: 'project in (CAL, MKT, OPS)' },
      rules,
    });
    const created = (await (
      await fetch(`${baseUrl}/api/feeds`, { method: 'POST', headers, body: JSON.stringify(config) })
    ).json()) as { id: string; url: string };
    const deadline = Date.now() + 30_000;
    for (;;) {
      const feed = (await (await fetch(`${baseUrl}/api/feeds/${created.id}`, { headers })).json()) as {
        status: { state: string };
      };
      if (feed.status.state === 'ok') break;
      if (Date.now() > deadline) throw new Error('sync did not finish');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Each run's fresh database gives the feed a new id, which UIDs carry; nothing else may differ.
    return (await fetchFeed(created.url)).text.replace(/\r\n[ \t]/g, '').replaceAll(created.id, '<feed id>');
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe("the server's time zone", () => {
  it('does not change a single byte of a feed', async () => {
    const utc = await feedBytesUnder('UTC');
    expect(utc).toContain('BEGIN:VEVENT');
    for (const tz of ['Pacific/Kiritimati', 'America/Adak']) expect(await feedBytesUnder(tz), tz).toBe(utc);
  }, 120_000);
});
