import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { type AppProcess, freePort, startAppProcess } from '../support/app-process.js';
import { FakeJira, generateIssues } from '../support/fake-jira/fake-jira.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { openTestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

// Real processes sharing one real PostgreSQL: the embedded database cannot be shared between processes.
describe.runIf(Boolean(process.env['DATABASE_URL']))('an app process killed mid-sync', () => {
  let jira: FakeJira;
  let db: Database;
  let env: Record<string, string>;
  let baseUrl: string;
  const processes: AppProcess[] = [];

  beforeAll(async () => {
    jira = await FakeJira.start();
    jira.data.issues.push(...generateIssues(700, { startId: 90_000, startNumber: 1000 }));
    db = await openTestDatabase();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    env = {
      DATABASE_URL: db.connectionString,
      PORT: String(port),
      HOST: '127.0.0.1',
      BASE_URL: baseUrl,
      CONNECT_KEYS_URL: jira.keysUrl,
      JIRA_HOSTS: '127.0.0.1',
      FEED_TOKEN_SECRET: 'f'.repeat(64),
      JIRA_REQUESTS_PER_SECOND: '100',
      // The dead process's sync stops beating; a few silent seconds and it is taken over (default 60 s).
      SYNC_HEARTBEAT_STALE_SECONDS: '3',
      LOG_LEVEL: 'info',
    };
  });
  afterAll(async () => {
    for (const app of processes) app.child.kill('SIGKILL');
    await db?.close();
    await jira?.stop();
  });

  it('serves the last good feed, keeps no partial data, and the next process finishes the sync', async () => {
    const first = startAppProcess(env);
    processes.push(first);
    await first.waitFor('sync scheduler started');
    expect((await jira.install(baseUrl)).status).toBe(204);
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${baseUrl}/api${path}`, {
        method,
        headers: {
          authorization: `JWT ${jira.contextToken({ accountId: ADMIN })}`,
          'content-type': 'application/json',
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const created = (await (
      await api(
        'POST',
        '/feeds',
        sampleFeedConfig({ source: { type: 'jql', jql: 'project in (CAL, MKT, OPS)' } }),
      )
    ).json()) as { id: string; url: string };
    const syncRow = () => db.knex('feed_syncs').where({ feed_id: created.id }).first();
    await waitFor('the first sync', async () => (await syncRow())?.state === 'ok', 60_000);
    const good = await fetchFeed(created.url);
    const countEvents = async () =>
      Number((await db.knex('feed_events').where({ feed_id: created.id }).count({ n: '*' }))[0]!['n']);
    const goodEvents = await countEvents();
    const goodRender = await db.knex('feed_renders').where({ feed_id: created.id, variant: 'all' }).first();

    // Without what the last sync saw, the next one reads every issue again (a long sync to kill).
    await db.knex('feed_sync_items').where({ feed_id: created.id }).delete();
    jira.faults.latencyMs = 300;
    expect((await api('POST', `/feeds/${created.id}/sync`)).status).toBe(202);
    await waitFor(
      'the second sync to be part-way',
      async () => {
        const row = await syncRow();
        return row?.state === 'running' && row.progress_issues >= 100;
      },
      60_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    jira.faults.latencyMs = 0;

    expect(await countEvents()).toBe(goodEvents);
    expect((await db.knex('feed_renders').where({ feed_id: created.id, variant: 'all' }).first()).etag).toBe(
      goodRender.etag,
    );
    const killedAt = new Date();

    const second = startAppProcess(env);
    processes.push(second);
    await second.waitFor('sync scheduler started');
    expect((await fetchFeed(created.url)).text).toBe(good.text);
    const finished = await waitFor(
      'the sync to be finished by the new process',
      async () => {
        const row = await syncRow();
        return row?.state === 'ok' && row.finished_at > killedAt ? row : null;
      },
      60_000,
    );
    expect(finished.event_count).toBe(goodEvents);
    expect((await fetchFeed(created.url)).text).toBe(good.text);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
