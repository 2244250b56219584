import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachDoor, forgeApi, type InstalledSite, withInstalledSite } from '../support/doors.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { withOutageSwitch } from '../support/db-proxy.js';
import { findSecrets } from '../support/hostile.js';
import { captureLogs } from '../support/log-capture.js';
import { ADMIN, apiAs, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const TOKEN_IN_URL = /\/ical\/([A-Za-z0-9_-]{43})\.ics$/;

let receiver: Server;
const reports: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      reports.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

describe('the secret scanner', () => {
  it('finds a planted shared secret, feed token or JWT, and nothing in clean text', () => {
    const planted = {
      secret: 'k3y-0f-th3-s1t3-that-must-not-leak',
      token: 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdE',
    };
    expect(findSecrets('{"msg":"request","path":"/ical/[redacted]"}', planted)).toEqual([]);
    expect(findSecrets(`{"msg":"installed","s":"${planted.secret}"}`, planted)).toEqual(['secret']);
    expect(findSecrets(`GET /ical/${planted.token}.ics`, planted)).toEqual(['token']);
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl';
    expect(findSecrets(`authorization: JWT ${jwt}`, planted)).toHaveLength(1);
  });
});

forEachDoor((doorName) => {
  let jira: FakeJira;
  let app: TestApp;
  let site: InstalledSite;
  /** Everything that must never reach a log line or an error report, by what it is. */
  const secrets: Record<string, string> = {};

  function rememberUrl(label: string, url: string): void {
    const token = TOKEN_IN_URL.exec(url)?.[1];
    if (!token) throw new Error(`not a feed URL: ${url}`);
    secrets[`feed token (${label})`] = token;
  }

  withInstalledSite(
    doorName,
    () => ({
      config: { errorReportingUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/reports` },
    }),
    (world) => {
      ({ jira, app, site } = world);
      secrets['FEED_TOKEN_SECRET'] = app.config.feedTokenSecret;
    },
  );

  describe('the configured secrets', () => {
    it('are known to the logger once the app is composed: blanked under any field name and inside any text', () => {
      const secret = app.config.feedTokenSecret;
      const { logger, text } = captureLogs();
      logger.info({ note: `seeded with ${secret}`, nested: { value: secret } }, `startup ${secret}`);
      logger.error({ err: new Error(`could not derive from ${secret}`) }, 'failed');
      expect(text()).toContain('seeded with');
      expect(findSecrets(text(), { FEED_TOKEN_SECRET: secret })).toEqual([]);
    });
  });

  // Forge's tokens are opaque: nothing about them says "secret" to a pattern.
  describe.runIf(doorName === 'forge')('Forge only', () => {
    describe('an opaque Forge token in a statement that fails', () => {
      it('is kept out of the log, which still says why the statement failed', async () => {
        const forge = site.forge!;
        // Forge's tokens are opaque: nothing about these says "secret" to a pattern.
        const systemToken = randomBytes(30).toString('base64url');
        const userToken = randomBytes(30).toString('base64url');
        const { knex } = app.db;
        await knex.raw(
          'ALTER TABLE forge_system_tokens ADD CONSTRAINT refuse_every_token CHECK (false) NOT VALID',
        );
        try {
          const before = app.logs().length;
          expect((await forge.sendOnce('ev-hourly', {}, { systemToken })).status).toBe(500);
          const page = await forge.invokeRemote(
            {
              path: '/api/feeds',
              method: 'GET',
              headers: { 'x-forge-oauth-user': userToken, cookie: `s=${userToken}` },
            },
            { accountId: ADMIN, moduleKey: 'calsync-admin' },
            { systemToken },
          );
          expect(page.status).toBe(500);
          const logs = app.logs().slice(before);
          expect(logs).toContain('violates check constraint');
          expect(logs).toContain('23514');
          expect(findSecrets(logs, { 'system token': systemToken, 'user token': userToken })).toEqual([]);
        } finally {
          await knex.raw('ALTER TABLE forge_system_tokens DROP CONSTRAINT refuse_every_token');
        }
      });
    });
  });

  describe('a session through the door', () => {
    let feed: { id: string; url: string };

    it('logs what happened and none of its secrets', async () => {
      const admin = site.api(ADMIN);
      const created = await admin.post(
        '/feeds',
        sampleFeedConfig({ name: 'Everyone', access: { mode: 'all' } }),
      );
      expect(created.status).toBe(201);
      rememberUrl('everyone', created.body.url);
      expect(await app.services.sync.syncFeed(site.clientKey, created.body.id)).toMatchObject({
        status: 'ok',
      });
      expect((await fetchFeed(created.body.url)).status).toBe(200);
      expect(
        (await fetchFeed(created.body.url.replace(/\.ics$/, ''), { 'accept-encoding': 'gzip' })).status,
      ).toBe(200);
      const guessed = created.body.url.replace(TOKEN_IN_URL, `/ical/${'Z'.repeat(43)}.ics`);
      rememberUrl('guessed', guessed);
      expect((await fetchFeed(guessed)).status).toBe(404);

      const bob = site.api(SEED_ACCOUNTS.bob);
      const mine = await bob.get('/me/calendars');
      expect(mine.status).toBe(200);
      const first = (mine.body.calendars as { url: string; feedId: string; calendar: string }[])[0]!;
      rememberUrl('personal', first.url);
      expect((await fetchFeed(first.url)).status).toBe(200);
      const regenerated = await bob.post(`/me/calendars/${first.feedId}/${first.calendar}/regenerate`);
      expect(regenerated.status).toBe(200);
      rememberUrl('regenerated', regenerated.body.calendar.url);

      const rotated = await admin.post(`/feeds/${created.body.id}/rotate-url`);
      expect(rotated.status).toBe(200);
      rememberUrl('rotated', rotated.body.url);
      expect((await fetchFeed(created.body.url)).status).toBe(404);
      feed = { id: created.body.id, url: rotated.body.url };
      expect((await admin.get('/feeds/not-a-uuid')).status).toBeGreaterThanOrEqual(400);

      site.faults.failNext(50, { status: 500 });
      const failed = await app.services.sync.syncFeed(site.clientKey, feed.id);
      site.faults.clear();
      expect(failed).toMatchObject({ status: 'failed' });

      const logs = app.logs();
      for (const line of ['feed synced', 'feed sync failed', '"path":"/ical/[redacted]"', '"status":404']) {
        expect(logs).toContain(line);
      }
      Object.assign(secrets, await site.secrets());
      expect(Object.keys(secrets).length).toBeGreaterThanOrEqual(7);
      expect(findSecrets(logs, secrets)).toEqual([]);
      // The scan itself can fail: a planted secret is found.
      expect(findSecrets(`${logs}${secrets['feed token (rotated)']}`, secrets)).toEqual([
        'feed token (rotated)',
      ]);
    });

    it.runIf(doorName === 'forge')(
      'logs the platform’s failures without a token: a stale FIT, expired and leaked system tokens, revoked bearers',
      async () => {
        const forge = site.forge!;
        expect(
          (await forgeApi(forge, SEED_ACCOUNTS.bob, 'calsync-my-calendars').get('/me/calendars')).status,
        ).toBe(200);
        await forge.deliverEvent('avi:jira:updated:issue', { issue: { id: '10001' } });
        await forge.deliverEvent('avi:jira:updated:issue', { issue: { id: 'not a number' } });
        await forge.runScheduledTrigger();
        expect(
          (
            await forge.invokeRemote(
              { path: '/api/feeds', method: 'GET' },
              { accountId: ADMIN, moduleKey: 'calsync-admin' },
              { expiresInSeconds: -300 },
            )
          ).status,
        ).toBe(401);
        await app.db
          .knex('forge_system_tokens')
          .where({ client_key: site.clientKey })
          .update({ expires_at: new Date(0) });
        expect(await app.services.sync.syncFeed(site.clientKey, feed.id)).toMatchObject({ status: 'failed' });
        const leaked = forge.mintToken('system', { expiresInMs: 10 * 60 * 60_000 });
        await forge.sendOnce('ev-hourly', {}, { systemToken: leaked.token });
        jira.revokeBearers();
        expect(await app.services.sync.syncFeed(site.clientKey, feed.id)).toMatchObject({ status: 'failed' });
        Object.assign(secrets, await site.secrets());
        expect(findSecrets(app.logs(), secrets)).toEqual([]);
      },
    );

    it('logs the uninstall and still none of the secrets', async () => {
      Object.assign(secrets, await site.secrets());
      await site.uninstall();
      expect((await fetchFeed(feed.url)).status).toBe(404);
      const logs = app.logs();
      expect(logs).toContain('app uninstalled');
      expect(logs.split('\n').length).toBeGreaterThan(30);
      expect(findSecrets(logs, secrets)).toEqual([]);
      expect(findSecrets(reports.join('\n'), secrets)).toEqual([]);
    });
  });

  // Connect's own wire: install keys and their replays, context JWTs in query strings, error reports, an outage.
  describe.runIf(doorName === 'connect')('Connect only', () => {
    describe('installs and context tokens', () => {
      it('log the install, the reinstall and refused tokens, and none of their secrets', async () => {
        const first = await jira.install(app.url);
        expect(first.status).toBe(204);
        secrets['shared secret (install)'] = first.sharedSecret;
        const second = await jira.install(app.url);
        expect(second.status).toBe(204);
        secrets['shared secret (reinstall)'] = second.sharedSecret;
        expect(jira.sharedSecretFor()).toBe(second.sharedSecret);

        const token = jira.contextToken({ accountId: ADMIN });
        // Refused (the API takes tokens from the Authorization header only), and never logged either.
        expect((await fetch(`${app.url}/api/site?jwt=${token}`)).status).toBe(401);
        expect((await fetch(`${app.url}/api/no-such-route?jwt=${token}`)).status).toBe(401);
        expect(
          (await fetch(`${app.url}/api/site`, { headers: { authorization: `JWT ${token}x` } })).status,
        ).toBe(401);
        expect(
          (
            await fetch(`${app.url}/api/feeds/${secrets['feed token (rotated)']}`, {
              headers: { authorization: `JWT ${token}` },
            })
          ).status,
        ).toBe(404);

        expect((await jira.uninstall(app.url)).status).toBe(204);

        const logs = app.logs();
        // The scan only means something if the session was logged in full, at debug level.
        for (const line of ['app installed', 'app uninstalled', '"status":404', '"status":401']) {
          expect(logs).toContain(line);
        }
        expect(logs.split('\n').length).toBeGreaterThan(40);
        expect(Object.keys(secrets).length).toBeGreaterThanOrEqual(9);
        expect(findSecrets(logs, secrets)).toEqual([]);
        expect(findSecrets(`${logs}${secrets['shared secret (install)']}`, secrets)).toEqual([
          'shared secret (install)',
        ]);
        expect(findSecrets(reports.join('\n'), secrets)).toEqual([]);
      });
    });

    describe('hostile requests', () => {
      it('leave none of their secrets, nor the app’s, in the logs', async () => {
        const installed = await jira.install(app.url);
        expect(installed.status).toBe(204);
        secrets['shared secret (hostile)'] = installed.sharedSecret;
        if (app.db.embedded)
          secrets['embedded database password'] = decodeURIComponent(
            new URL(app.db.connectionString).password,
          );

        // An install token replayed with the attacker's own secret.
        const genuine = jira.lifecyclePayload('installed', app.config.appKey, installed.sharedSecret);
        const token = jira.signLifecycle(app.url, '/installed', { ...genuine, sharedSecret: 'x'.repeat(40) });
        const post = (body: object) =>
          fetch(`${app.url}/installed`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
            body: JSON.stringify(body),
          });
        const first = { ...genuine, sharedSecret: `first-${'a'.repeat(40)}` };
        expect((await post(first)).status).toBe(204);
        secrets['shared secret (first use of the token)'] = first.sharedSecret;
        const attacker = { ...genuine, sharedSecret: `attacker-${'b'.repeat(40)}` };
        expect((await post(attacker)).status).toBe(401);
        secrets['shared secret (replayed install)'] = attacker.sharedSecret;
        const reinstalled = await jira.install(app.url);
        expect(reinstalled.status).toBe(204);
        secrets['shared secret (after the replay)'] = reinstalled.sharedSecret;

        // A context token in the query string of API reads and writes.
        const context = jira.contextToken({ accountId: ADMIN });
        expect((await fetch(`${app.url}/api/feeds?jwt=${context}`)).status).toBe(401);
        expect(
          (await fetch(`${app.url}/api/feeds?jwt=${context}`, { method: 'POST', body: '{}' })).status,
        ).toBe(401);

        // Jira redirected elsewhere, and Jira failing with its own 401.
        const admin = apiAs(app, jira, ADMIN);
        jira.faults.failNext(1, { redirectTo: 'http://127.0.0.1:9' });
        expect((await apiAs(app, jira, SEED_ACCOUNTS.gao).get('/feeds')).status).toBe(502);
        expect((await admin.get('/feeds')).status).toBe(200);
        jira.faults.failNext(1, { status: 401 });
        expect((await admin.get('/jira/fields')).status).toBe(502);
        jira.faults.clear();

        const logs = app.logs();
        expect(logs).toContain('"status":401');
        expect(logs).toContain('"status":502');
        expect(findSecrets(logs, secrets)).toEqual([]);
        expect(logs).not.toContain(context);
        expect(logs).not.toContain(token);
      });
    });

    describe('error reports', () => {
      let admin: ReturnType<typeof apiAs>;
      let feedId: string;

      beforeAll(async () => {
        const installed = await jira.install(app.url);
        expect(installed.status).toBe(204);
        secrets['shared secret (second install)'] = installed.sharedSecret;
        admin = apiAs(app, jira, ADMIN);
        const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Reported' }));
        expect(created.status).toBe(201);
        feedId = created.body.id;
        rememberUrl('reported', created.body.url);
      });

      /**
       * A sync the app cannot finish and does not expect to fail: Jira answers an issue key with a NUL
       * character in it, which PostgreSQL's jsonb refuses when the events are stored.
       */
      async function forceInternalSyncError(): Promise<void> {
        const issue = jira.data.issues.find(
          (candidate) => candidate.projectKey === 'CAL' && candidate.duedate !== null,
        );
        if (!issue) throw new Error('the seed has no CAL issue with a due date');
        const key = issue.key;
        issue.key = `${key}\u0000`;
        try {
          expect(await app.services.sync.syncFeed(jira.clientKey, feedId)).toMatchObject({
            status: 'failed',
            code: 'internal',
          });
        } finally {
          issue.key = key;
        }
      }

      it('sends nothing while the site has error reporting turned off', async () => {
        const saved = await admin.put('/settings', { errorReportingEnabled: false, exportsEnabled: true });
        expect(saved.status).toBe(200);
        expect(saved.body).toMatchObject({ errorReportingEnabled: false, exportsEnabled: true });
        const before = reports.length;
        await forceInternalSyncError();
        expect(reports.length).toBe(before);
      });

      it('sends one report without secrets, issue data or the site once it is turned on', async () => {
        expect(
          (await admin.put('/settings', { errorReportingEnabled: true, exportsEnabled: true })).status,
        ).toBe(200);
        const before = reports.length;
        await forceInternalSyncError();
        expect(reports.length).toBe(before + 1);
        const report = reports.at(-1)!;
        expect(JSON.parse(report)).toMatchObject({
          app: 'calendar-sync',
          where: 'sync',
          site: expect.stringMatching(/^[0-9a-f]{16}$/),
        });
        expect(findSecrets(report, secrets)).toEqual([]);
        expect(report).not.toContain(jira.clientKey);
        expect(report).not.toContain(jira.baseUrl);
        const issue = jira.data.issues.find(
          (candidate) => candidate.projectKey === 'CAL' && candidate.duedate !== null,
        )!;
        expect(report).not.toContain(issue.summary);
        expect(findSecrets(app.logs(), secrets)).toEqual([]);
      });
    });

    describe('5xx paths and a database outage', () => {
      it('log what failed and none of the secrets in the URLs that hit it', async () => {
        const installed = await jira.install(app.url);
        expect(installed.status).toBe(204);
        secrets['shared secret (outage install)'] = installed.sharedSecret;
        const outage = await withOutageSwitch(app.db);
        const second = await startTestApp({
          db: outage.db,
          config: { feedTokenSecret: app.config.feedTokenSecret },
        });
        try {
          const admin = apiAs(second, jira, ADMIN);
          const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Outage' }));
          expect(created.status).toBe(201);
          rememberUrl('outage', created.body.url);
          expect(await second.services.sync.syncFeed(jira.clientKey, created.body.id)).toMatchObject({
            status: 'ok',
          });
          const served = created.body.url.replace(app.url, second.url);
          expect((await fetchFeed(served)).status).toBe(200);
          const unseen = served.replace(TOKEN_IN_URL, `/ical/${'Q'.repeat(43)}.ics`);
          rememberUrl('unseen during outage', unseen);

          outage.cut();
          const token = jira.contextToken({ accountId: ADMIN });
          const statuses = [
            (await fetchFeed(served)).status,
            (await fetchFeed(unseen)).status,
            (await fetch(`${second.url}/api/feeds?jwt=${token}`)).status,
            (
              await fetch(`${second.url}/api/feeds/${created.body.id}`, {
                headers: { authorization: `JWT ${token}` },
              })
            ).status,
          ];
          await second.services.sync.syncFeed(jira.clientKey, created.body.id).catch(() => undefined);
          outage.restore();
          expect(statuses.some((status) => status >= 500)).toBe(true);

          const logs = second.logs();
          expect(logs).toMatch(/"level":50/);
          expect(findSecrets(logs, secrets)).toEqual([]);
          expect(findSecrets(app.logs(), secrets)).toEqual([]);
        } finally {
          outage.restore();
          await second.stop();
          await outage.close();
        }
      });
    });
  });
});
