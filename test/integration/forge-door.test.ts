import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoorApp, forgeApi, type InstalledSite, startDoorApp } from '../support/doors.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { storedState } from '../support/hostile.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';
import { waitFor } from '../support/wait.js';

let jira: FakeJira;
let door: DoorApp;
let site: InstalledSite;

beforeAll(async () => {
  jira = await FakeJira.start();
  door = await startDoorApp('forge', jira, { worker: true });
  site = await door.install(jira);
});
afterAll(async () => {
  await door?.stop();
  await jira?.stop();
});

const forge = () => site.forge!;
const syncRequestsTo = (fake: FakeJira) =>
  fake.requests.filter((request) => request.path.endsWith('/rest/api/3/search/jql'));

describe('installing through Forge', () => {
  it('keys the site on the installation id, learns its URL from Jira and keeps the system token', async () => {
    const row = await door.app.db.knex('installations').where({ client_key: site.clientKey }).first();
    expect(row).toMatchObject({
      door: 'forge',
      state: 'installed',
      cloud_id: jira.cloudId,
      api_base_url: jira.apiBaseUrl,
      base_url: jira.baseUrl,
      shared_secret: null,
    });
    const token = await door.app.services.forgeTokenRepository.find(site.clientKey);
    expect(token?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
    expect(
      jira.requests.some((request) => request.path === `/ex/jira/${jira.cloudId}/rest/api/3/serverInfo`),
    ).toBe(true);
  });

  it('keeps only a newer system token, never an older one delivered late', async () => {
    const stored = await door.app.services.forgeTokenRepository.find(site.clientKey);
    const older = forge().mintToken('system', { expiresInMs: 30 * 60_000 });
    expect((await forge().sendOnce('ev-hourly', {}, { systemToken: older.token })).status).toBe(200);
    expect((await door.app.services.forgeTokenRepository.find(site.clientKey))?.token).toBe(stored?.token);
    const newer = forge().mintToken('system', { expiresInMs: 4 * 60 * 60_000 });
    expect((await forge().sendOnce('ev-hourly', {}, { systemToken: newer.token })).status).toBe(200);
    expect((await door.app.services.forgeTokenRepository.find(site.clientKey))?.token).toBe(newer.token);
  });
});

describe('feeds through the Custom UI pages', () => {
  it('creates a feed through invokeRemote, syncs it with the stored system token and serves it', async () => {
    const admin = site.api(ADMIN);
    const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Forge feed' }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const synced = await waitFor('the first sync', async () => {
      const feed = await admin.get(`/feeds/${created.body.id}`);
      return feed.body.status.state === 'ok' ? feed.body : null;
    });
    expect(synced.status.eventCount).toBeGreaterThan(0);
    expect(
      syncRequestsTo(jira).every((request) => request.path.startsWith(`/ex/jira/${jira.cloudId}/`)),
    ).toBe(true);
    const served = await fetchFeed(created.body.url);
    expect(served.status).toBe(200);
    expect(served.text).toContain('BEGIN:VEVENT');
    expect(served.text).toContain(`${jira.baseUrl}/browse/CAL-`);
  });

  it('answers a user who is not a Jira administrator with 403 on admin routes, whichever page calls, and lets them use My calendars', async () => {
    for (const moduleKey of ['calsync-my-calendars', 'calsync-admin', 'calsync-configure']) {
      const bob = forgeApi(forge(), SEED_ACCOUNTS.bob, moduleKey);
      expect((await bob.get('/feeds')).status, moduleKey).toBe(403);
      expect((await bob.delete('/feeds/00000000-0000-4000-8000-000000000000')).status, moduleKey).toBe(403);
    }
    expect(
      (await forgeApi(forge(), SEED_ACCOUNTS.bob, 'calsync-my-calendars').get('/me/calendars')).status,
    ).toBe(200);
  });

  it("asks Jira as the user, with Forge's user token, whether they administer Jira", async () => {
    jira.requests.length = 0;
    const chloe = forgeApi(forge(), SEED_ACCOUNTS.chloe, 'calsync-admin');
    expect((await chloe.get('/feeds')).status).toBe(403);
    const checks = jira.requests.filter((request) => request.path.endsWith('/rest/api/3/mypermissions'));
    expect(checks.map((request) => [request.query.get('permissions'), request.status])).toEqual([
      ['ADMINISTER', 200],
    ]);
    expect(jira.requests.some((request) => request.path.endsWith('/permissions/check'))).toBe(false);
  });

  it('without a valid system token shows an actionable status and keeps serving the last good feed', async () => {
    const admin = site.api(ADMIN);
    const feed = (await admin.get('/feeds')).body.feeds[0];
    const before = await fetchFeed(feed.url);
    await door.app.db
      .knex('forge_system_tokens')
      .where({ client_key: site.clientKey })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const outcome = await door.app.services.sync.syncFeed(site.clientKey, feed.id);
    expect(outcome).toMatchObject({ status: 'failed', code: 'forge_token_missing' });
    const status = (await door.app.services.syncRepository.find(site.clientKey, feed.id))!;
    expect(status).toMatchObject({ state: 'error', errorCode: 'forge_token_missing' });
    expect(status.errorMessage).toMatch(/Waiting for Jira to hand the app a token/);
    expect((await fetchFeed(feed.url)).text).toBe(before.text);

    // The hourly trigger hands over a fresh token; the waiting feed syncs again without anyone asking.
    expect((await forge().runScheduledTrigger()).at(-1)?.status).toBe(200);
    await waitFor('the sync after the hourly trigger', async () => {
      const current = await door.app.services.syncRepository.find(site.clientKey, feed.id);
      return current?.state === 'ok' && current.lastSuccessAt!.getTime() > status.finishedAt!.getTime()
        ? current
        : null;
    });
  });
});

/** What reaches the feed through each product event is in jira-events.test.ts, for every door. */
describe('product events', () => {
  it('a sprint or version event Forge could not have sent gets a 400', async () => {
    for (const body of [
      { eventType: 'avi:jira-software:updated:sprint', version: { id: '10100' } },
      { eventType: 'avi:jira:updated:version', version: { id: 'x; DROP' } },
      { eventType: 'avi:jira:updated:issue', issue: { id: '1' } },
    ]) {
      const answer = await forge().sendOnce('ev-planning', body);
      expect(answer.status).toBe(400);
    }
  });

  it('a payload Forge could not have sent gets a JSON 400, and Forge retries it four times with retryContext', async () => {
    const attempts = await forge().deliverEvent('avi:jira:updated:issue', { issue: { id: '../../etc' } });
    expect(attempts.map((attempt) => attempt.status)).toEqual([400, 400, 400, 400, 400]);
    expect(
      attempts.slice(1).every((attempt) => attempt.retryReason === 'INVALID_REMOTE_INVOCATION_ERROR'),
    ).toBe(true);
  });
});

describe('hostile invocation tokens', () => {
  const feedsCall = (fit: string) =>
    fetch(`${door.app.url}/api/feeds`, { headers: { authorization: `Bearer ${fit}` } });
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  const variants: [string, () => Promise<string>][] = [
    [
      'a wrong audience',
      () =>
        door.forge!.signFit(forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }), {
          claims: { aud: 'ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000001' },
        }),
    ],
    [
      'a wrong issuer',
      () =>
        door.forge!.signFit(forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }), {
          claims: { iss: 'forge-sim' },
        }),
    ],
    [
      'an expired token',
      () =>
        door.forge!.signFit(forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }), {
          expiresInSeconds: -120,
        }),
    ],
    [
      'no expiry',
      () =>
        door.forge!.signFit(forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }), {
          omit: ['exp'],
        }),
    ],
    [
      'an unknown kid',
      () =>
        door.forge!.signFit(forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }), {
          kid: 'not-a-forge-key',
        }),
    ],
    [
      'another app id in app.id',
      () =>
        door.forge!.signFit(forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }), {
          claims: {
            app: {
              ...(forge().claims('ui-admin').app as object),
              id: 'ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000002',
            },
          },
        }),
    ],
    [
      'an API base URL off the allowed hosts',
      () =>
        door.forge!.signFit(forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }), {
          claims: {
            app: {
              ...(forge().claims('ui-admin').app as object),
              apiBaseUrl: `http://evil.example/ex/jira/${jira.cloudId}`,
            },
          },
        }),
    ],
    [
      'alg none',
      () =>
        Promise.resolve(
          `${segment({ alg: 'none', typ: 'JWT' })}.${segment({ iss: 'forge/invocation-token', aud: door.forge!.appId, exp: Math.floor(Date.now() / 1000) + 60, iat: Math.floor(Date.now() / 1000), ...forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }) })}.`,
        ),
    ],
    [
      'HS256 keyed with the public key',
      () => {
        const input = `${segment({ alg: 'HS256', typ: 'JWT', kid: door.forge!.publicJwk.kid })}.${segment({ iss: 'forge/invocation-token', aud: door.forge!.appId, exp: Math.floor(Date.now() / 1000) + 60, iat: Math.floor(Date.now() / 1000), ...forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }) })}`;
        return Promise.resolve(
          `${input}.${createHmac('sha256', JSON.stringify(door.forge!.publicJwk)).update(input).digest('base64url')}`,
        );
      },
    ],
    [
      'RS256 labelled but HMAC signed with the modulus',
      () => {
        const input = `${segment({ alg: 'RS256', typ: 'JWT', kid: door.forge!.publicJwk.kid })}.${segment({ iss: 'forge/invocation-token', aud: door.forge!.appId, exp: Math.floor(Date.now() / 1000) + 60, iat: Math.floor(Date.now() / 1000), ...forge().claims('ui-admin', { accountId: ADMIN, moduleKey: 'calsync-admin' }) })}`;
        return Promise.resolve(
          `${input}.${createHmac('sha256', String(door.forge!.publicJwk.n)).update(input).digest('base64url')}`,
        );
      },
    ],
  ];

  it.each(variants)(
    'answers %s with a JSON 401 on UI and backend routes, and changes nothing',
    async (_name, make) => {
      const before = await storedState(door.app);
      const tokenBefore = await door.app.services.forgeTokenRepository.find(site.clientKey);
      const fit = await make();
      const ui = await feedsCall(fit);
      expect(ui.status).toBe(401);
      expect(((await ui.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      const created: Response = await fetch(`${door.app.url}/api/feeds`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${fit}`,
          'content-type': 'application/json',
          'x-forge-oauth-system': 'attacker-token',
        },
        body: JSON.stringify(sampleFeedConfig({ name: 'Forged' })),
      });
      expect(created.status).toBe(401);
      for (const path of [
        '/forge/lifecycle/pre-uninstall',
        '/forge/events/issue',
        '/forge/cron/hourly',
        '/forge/lifecycle',
      ]) {
        const backend = await fetch(`${door.app.url}${path}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${fit}`,
            'content-type': 'application/json',
            'x-forge-oauth-system': 'attacker-token',
          },
          body: JSON.stringify({ eventType: 'avi:forge:installed:app' }),
        });
        expect(backend.status, path).toBe(401);
      }
      expect(await storedState(door.app)).toEqual(before);
      expect(await door.app.services.forgeTokenRepository.find(site.clientKey)).toEqual(tokenBefore);
    },
  );

  it('fetches the key set once and keeps it across requests', async () => {
    const fetches = door.forge!.jwksFetches;
    for (let i = 0; i < 5; i += 1) expect((await site.api(ADMIN).get('/site')).status).toBe(200);
    expect(door.forge!.jwksFetches).toBe(fetches);
  });

  it("a FIT of installation B cannot reach installation A's feeds, and A's cannot reach B's", async () => {
    const other = await FakeJira.start();
    try {
      const siteB = await door.install(other);
      const feedA = (await site.api(ADMIN).get('/feeds')).body.feeds[0];
      const b = siteB.api(ADMIN);
      expect((await b.get('/feeds')).body.feeds).toEqual([]);
      expect((await b.get(`/feeds/${feedA.id}`)).status).toBe(404);
      expect((await b.delete(`/feeds/${feedA.id}`)).status).toBe(404);
      expect((await b.post(`/feeds/${feedA.id}/rotate-url`)).status).toBe(404);
      expect((await b.get('/me/calendars')).body.calendars).toEqual([]);
      const createdB = await b.post('/feeds', sampleFeedConfig({ name: 'B only' }));
      expect(createdB.status).toBe(201);
      expect((await site.api(ADMIN).get(`/feeds/${createdB.body.id}`)).status).toBe(404);
      // B's events move B's feeds only.
      const syncOf = (feedId: string) => door.app.db.knex('feed_syncs').where({ feed_id: feedId }).first();
      // A's own earlier events settle first, so that anything moving A below would come from B's.
      const beforeA = await waitFor('A to be idle with no event pending', async () => {
        const pending = await door.app.db
          .knex('graphile_worker.jobs')
          .where('key', 'like', `site_changed:${site.clientKey}:%`)
          .first();
        const row = await syncOf(feedA.id);
        // An event brings A's next sync forward to now; the tick would then sync A in the middle of the test.
        const notDue = row !== undefined && new Date(row.next_sync_at).getTime() > Date.now() + 60_000;
        return !pending && row?.state === 'ok' && notDue ? row : null;
      });
      const beforeB = await waitFor("B's first sync", async () => {
        const row = await syncOf(createdB.body.id);
        return row?.state === 'ok' ? row : null;
      });
      expect(
        await siteB.forge!.deliverEvent('avi:jira-software:updated:sprint', { sprint: { id: 3 } }),
      ).toEqual([{ attempt: 0, status: 200 }]);
      expect(await siteB.forge!.deliverEvent('avi:jira:updated:issue', { issue: { id: '10001' } })).toEqual([
        { attempt: 0, status: 200 },
      ]);
      await waitFor('B to sync on its events', async () => {
        const row = await syncOf(createdB.body.id);
        return row?.state === 'ok' && row.finished_at > beforeB.finished_at;
      });
      const afterA = await syncOf(feedA.id);
      expect(afterA.next_sync_at).toEqual(beforeA.next_sync_at);
      expect(afterA.finished_at).toEqual(beforeA.finished_at);
      // B's system token only opens B's Jira: the app never sends it to A's.
      expect(other.requests.every((request) => !request.path.includes(jira.cloudId))).toBe(true);
      await siteB.uninstall();
    } finally {
      await other.stop();
    }
  });
});
