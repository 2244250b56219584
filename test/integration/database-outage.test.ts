import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, freePort, startAppProcess } from '../support/app-process.js';
import { FakeJira, generateIssues } from '../support/fake-jira/fake-jira.js';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { waitFor } from '../support/wait.js';

const OUTAGE_MS = 8_000;
const bin = postgresBinDir();
// Like crash-recovery, this needs a real server; it stops one of its own, never the one in DATABASE_URL.
const skipped = !process.env['DATABASE_URL']
  ? 'DATABASE_URL is unset'
  : !bin
    ? 'no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin'
    : null;

type FeedJson = {
  id: string;
  url: string;
  status: { state: string; lastExportAt: string | null; progressIssues: number | null };
};

describe.skipIf(skipped !== null)(
  `an 8 s database stop mid-sync${skipped ? ` (skipped: ${skipped})` : ''}`,
  () => {
    let pg: PrivatePostgres;
    let jira: FakeJira;
    let app: AppProcess;
    let baseUrl: string;

    beforeAll(async () => {
      pg = await startPrivatePostgres(bin!);
      jira = await FakeJira.start();
      jira.data.issues.push(...generateIssues(700, { startId: 90_000, startNumber: 1000 }));
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      app = startAppProcess({
        DATABASE_URL: pg.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        BASE_URL: baseUrl,
        CONNECT_KEYS_URL: jira.keysUrl,
        JIRA_HOSTS: '127.0.0.1',
        FEED_TOKEN_SECRET: 'e'.repeat(64),
        JIRA_REQUESTS_PER_SECOND: '100',
        LOG_LEVEL: 'info',
      });
      await app.waitFor('sync scheduler started', 60_000);
      expect((await jira.install(baseUrl)).status).toBe(204);
    }, 120_000);
    afterAll(async () => {
      if (app && app.child.exitCode === null) {
        app.child.kill('SIGTERM');
        await Promise.race([app.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        app.child.kill('SIGKILL');
      }
      await jira?.stop();
      await pg?.destroy();
    });

    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${baseUrl}/api${path}`, {
        method,
        headers: {
          authorization: `JWT ${jira.contextToken({ accountId: ADMIN })}`,
          'content-type': 'application/json',
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json().catch(() => null)) as FeedJson };
    };
    const feedAfter = (feedId: string, since: Date) => async () => {
      const { status, body } = await api('GET', `/feeds/${feedId}`).catch(() => ({ status: 0, body: null }));
      return status === 200 && body?.status.state === 'ok' && new Date(body.status.lastExportAt ?? 0) > since
        ? body
        : null;
    };

    it('keeps serving from memory, does not crash, and syncs again within about a minute', async () => {
      const created = await api(
        'POST',
        '/feeds',
        sampleFeedConfig({ source: { type: 'jql', jql: 'project in (CAL, MKT, OPS)' } }),
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const feed = created.body;
      await waitFor('the first sync', feedAfter(feed.id, new Date(0)), 60_000);
      const good = await fetchFeed(feed.url);
      expect(good.status).toBe(200);

      // Without what the last sync saw, the next one reads every issue again (a long sync to interrupt).
      const direct = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
      await direct('feed_sync_items').where({ feed_id: feed.id }).delete();
      await direct.destroy();
      jira.faults.latencyMs = 300;
      expect((await api('POST', `/feeds/${feed.id}/sync`)).status).toBe(202);
      await waitFor(
        'the second sync to be part-way',
        async () => {
          const { body } = await api('GET', `/feeds/${feed.id}`);
          return body.status.state === 'running' && (body.status.progressIssues ?? 0) >= 100;
        },
        60_000,
      );

      await pg.kill();
      const during: number[] = [];
      const stoppedAt = Date.now();
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        const served = await fetchFeed(feed.url);
        during.push(served.status);
        if (served.status === 200) expect(served.text).toBe(good.text);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await pg.start();
      const restarted = new Date();
      jira.faults.latencyMs = 0;

      expect(during.length).toBeGreaterThan(10);
      expect(during.filter((status) => status !== 200)).toEqual([]);
      expect(app.child.exitCode).toBeNull();

      // Nothing asks again: the interrupted sync must be picked up by the app itself.
      await waitFor(
        'the interrupted sync to finish after the restart',
        feedAfter(feed.id, restarted),
        75_000,
      );
      const clicked = new Date();
      expect((await api('POST', `/feeds/${feed.id}/sync`)).status).toBe(202);
      await waitFor('"Sync now" to sync again', feedAfter(feed.id, clicked), 60_000);
      expect((await fetchFeed(feed.url)).status).toBe(200);

      expect(app.child.exitCode).toBeNull();
      const logLines = app.output().stdout.split('\n').filter(Boolean);
      const fatal = logLines.filter((line) => /unhandled|uncaught/i.test(line) || /"level":60/.test(line));
      expect(fatal.map((line) => line.slice(0, 400))).toEqual([]);
      expect(app.output().stderr).not.toMatch(/unhandled|uncaught/i);
      expect(app.output().stdout).toContain('database unreachable: serving feeds from memory');
      expect(app.output().stdout).toContain('database reachable again: feed lookups back to normal');
    }, 240_000);
  },
);
