import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIcsEvents } from '../support/ics-check.js';
import {
  type DataCenterBrowser,
  sessionApi,
  signInThroughJira,
  startDataCenterApp,
  startSignIn,
} from '../support/datacenter.js';
import { FakeJiraDc } from '../support/fake-jira-dc/fake-jira-dc.js';
import { canBrowse } from '../support/fake-jira/fake-jira-permissions.js';
import { SEED_ACCOUNTS as A } from '../support/fake-jira/fake-jira-seed.js';
import { fetchFeed, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';

describe('the Jira Data Center door', () => {
  let dc: FakeJiraDc;
  let app: TestApp;
  let alice: DataCenterBrowser;
  let clientKey: string;

  beforeAll(async () => {
    dc = await FakeJiraDc.start();
    ({ app } = await startDataCenterApp(dc));
    alice = await signInThroughJira(app, dc, A.alice);
    clientKey = (await alice.api.get('/session')).body.clientKey as string;
  });
  afterAll(async () => {
    await app?.stop();
    await dc?.stop();
  });

  describe('sign-in', () => {
    it('signs a Jira user in with PKCE S256 and state, and knows them by their Jira user key', async () => {
      const steps = await startSignIn(app, dc, A.bob);
      expect(steps.authorizeUrl.origin + steps.authorizeUrl.pathname).toBe(
        `${dc.baseUrl}/rest/oauth2/latest/authorize`,
      );
      expect(Object.fromEntries(steps.authorizeUrl.searchParams)).toMatchObject({
        response_type: 'code',
        scope: 'READ',
        code_challenge_method: 'S256',
        redirect_uri: `${app.url}/oauth/callback`,
      });
      expect(steps.authorizeUrl.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const session = await alice.api.get('/session');
      expect(session.status).toBe(200);
      expect(session.body.accountId).toBe(dc.userKey(A.alice));
      expect((await alice.api.get('/site')).body).toMatchObject({ door: 'datacenter', baseUrl: dc.baseUrl });
    });

    it('sets a session cookie that is HttpOnly, SameSite=Lax and scoped to the whole app', () => {
      const session = alice.setCookies.find((cookie) => cookie.startsWith('calsync_session='));
      expect(session).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
      expect(alice.setCookies.find((cookie) => cookie.startsWith('calsync_signin='))).toMatch(/Max-Age=0/);
    });

    it('refuses a callback whose state does not match, or that no sign-in started here', async () => {
      const steps = await startSignIn(app, dc, A.bob);
      const forged = new URL(steps.callbackUrl);
      forged.searchParams.set('state', 'x'.repeat(43));
      const mismatch = await fetch(forged, { headers: { cookie: steps.signInCookie }, redirect: 'manual' });
      expect(mismatch.status).toBe(400);
      expect(((await mismatch.json()) as { error: unknown }).error).toMatchObject({
        code: 'signin_failed',
        message: expect.stringMatching(/state/),
      });
      const noCookie = await fetch(steps.callbackUrl, { redirect: 'manual' });
      expect(noCookie.status).toBe(400);
      expect(noCookie.headers.getSetCookie().join()).not.toMatch(/calsync_session=[^;]/);
    });

    it('takes each state once: a replayed callback is refused before Jira is asked; a declined consent too', async () => {
      const steps = await startSignIn(app, dc, A.bob);
      const first = await fetch(steps.callbackUrl, {
        headers: { cookie: steps.signInCookie },
        redirect: 'manual',
      });
      expect(first.status).toBe(302);
      const exchanges = dc.grants.length;
      const replay = await fetch(steps.callbackUrl, {
        headers: { cookie: steps.signInCookie },
        redirect: 'manual',
      });
      expect(replay.status).toBe(400);
      expect(((await replay.json()) as { error: unknown }).error).toMatchObject({
        code: 'signin_replayed',
        message: expect.stringMatching(/already used.*Start the sign-in again/),
      });
      expect(replay.headers.getSetCookie().join()).not.toMatch(/calsync_session=[^;]/);
      expect(dc.grants.length).toBe(exchanges);

      const declined = await startSignIn(app, dc, A.bob, 'deny');
      expect(declined.callbackUrl.searchParams.get('error')).toBe('access_denied');
      const answer = await fetch(declined.callbackUrl, {
        headers: { cookie: declined.signInCookie },
        redirect: 'manual',
      });
      expect(answer.status).toBe(400);
    });

    it('marks cookies Secure (and the session __Host-) when the app is served over https', async () => {
      const https = await startDataCenterApp(dc, {
        db: app.db,
        configFor: () => ({ baseUrl: 'https://calendar.example.com' }),
      });
      try {
        const start = await fetch(`${https.app.url}/signin`, { redirect: 'manual' });
        expect(start.headers.getSetCookie()[0]).toMatch(
          /^calsync_signin=[^;]+; Path=\/oauth; HttpOnly; SameSite=Lax; Secure; Max-Age=600$/,
        );
        expect(https.app.doors.datacenter?.sessionCookie).toBe('__Host-calsync_session');
      } finally {
        await https.app.stop();
      }
    });

    it('answers the API with 401 without a session, and after sign-out', async () => {
      expect((await sessionApi(app, 'calsync_session=nope', null).get('/feeds')).status).toBe(401);
      const bob = await signInThroughJira(app, dc, A.bob);
      const refused = await fetch(`${app.url}/signout`, {
        method: 'POST',
        headers: { cookie: bob.sessionCookie },
      });
      expect(refused.status).toBe(403);
      const out = await fetch(`${app.url}/signout`, {
        method: 'POST',
        headers: { cookie: bob.sessionCookie, 'x-csrf-token': bob.csrfToken },
      });
      expect(out.status).toBe(204);
      const after = await bob.api.get('/session');
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('signin_required');
    });
  });

  it('serves the same pages standalone: no Connect script, never framed, the standalone adapter named', async () => {
    const page = await fetch(`${app.url}/pages/admin`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).not.toContain('connect-cdn.atl-paas.net');
    expect(html).toContain('<meta name="calendar-sync-platform" content="standalone" />');
    expect(html).toContain('data-calsync-signout');
    expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'.*script-src 'self';/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const root = await fetch(`${app.url}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/pages/my-calendars');
    expect((await fetch(`${app.url}/atlassian-connect.json`)).status).toBe(404);
  });

  it('keeps two deployments on one database apart: a session of one reaches nothing of the other', async () => {
    const otherJira = await FakeJiraDc.start();
    const other = await startDataCenterApp(otherJira, { db: app.db });
    try {
      const created = await alice.api.post('/feeds', sampleFeedConfig({ name: 'Tenant A only' }));
      expect(created.status).toBe(201);
      const stranger = await signInThroughJira(other.app, otherJira, A.alice);
      expect((await stranger.api.get('/feeds')).body.feeds).toEqual([]);
      expect((await stranger.api.get(`/feeds/${created.body.id as string}`)).status).toBe(404);
      expect((await stranger.api.post(`/feeds/${created.body.id as string}/take-over`)).status).toBe(404);
      // The cookie of deployment A means nothing to deployment B, and the other way round.
      expect((await sessionApi(other.app, alice.sessionCookie, alice.csrfToken).get('/session')).status).toBe(
        401,
      );
      expect((await sessionApi(app, stranger.sessionCookie, stranger.csrfToken).get('/session')).status).toBe(
        401,
      );
      expect((await alice.api.delete(`/feeds/${created.body.id as string}`)).status).toBe(204);
    } finally {
      await other.app.stop();
      await otherJira.stop();
    }
  });

  describe('CSRF', () => {
    it('refuses every state-changing call without the session’s token, or from another origin', async () => {
      const noToken = sessionApi(app, alice.sessionCookie, null);
      const missing = await noToken.post('/feeds', sampleFeedConfig());
      expect(missing.status).toBe(403);
      expect(missing.body.error.code).toBe('csrf_failed');
      expect(
        (await sessionApi(app, alice.sessionCookie, 'A'.repeat(43)).post('/feeds', sampleFeedConfig()))
          .status,
      ).toBe(403);
      const otherOrigin = await fetch(`${app.url}/api/feeds`, {
        method: 'POST',
        headers: {
          cookie: alice.sessionCookie,
          'x-csrf-token': alice.csrfToken,
          origin: 'https://evil.example',
          'content-type': 'application/json',
        },
        body: JSON.stringify(sampleFeedConfig()),
      });
      expect(otherOrigin.status).toBe(403);
      expect((await noToken.get('/feeds')).status).toBe(200);
      expect(
        Number(
          (
            await app.db
              .knex('feeds')
              .where({ client_key: clientKey })
              .count<{ count: string }[]>('* as count')
          )[0]?.count,
        ),
      ).toBe(0);
    });

    it('gives another session’s token no power', async () => {
      const bob = await signInThroughJira(app, dc, A.bob);
      const crossed = await sessionApi(app, alice.sessionCookie, bob.csrfToken).post(
        '/feeds/validate',
        sampleFeedConfig(),
      );
      expect(crossed.status).toBe(403);
    });
  });

  describe('feeds run with their owner’s Jira rights', () => {
    let feedId: string;
    let sharedUrl: string;
    let hiddenId: string;
    const uidsOf = (text: string) => readIcsEvents(text).events.map((event) => event.uid);
    const showsHidden = (text: string) => uidsOf(text).some((uid) => uid.startsWith(`${hiddenId}-`));

    beforeAll(() => {
      // An issue only Bob may browse: the owner (Alice, a Jira administrator) cannot.
      const hidden = dc.data.issues.find(
        (issue) => issue.projectKey === 'CAL' && issue.duedate !== null && !issue.securityLevel,
      );
      if (!hidden) throw new Error('the seed has no CAL issue with a due date');
      hidden.securityLevel = { name: 'Bob only', accountIds: [A.bob], groups: [] };
      hiddenId = hidden.id;
      expect(canBrowse(dc.data, A.bob, hidden)).toBe(true);
      expect(canBrowse(dc.data, A.alice, hidden)).toBe(false);
    });

    it('lets only Jira administrators create feeds, asking Jira each time', async () => {
      const bob = await signInThroughJira(app, dc, A.bob);
      const refused = await bob.api.post('/feeds', sampleFeedConfig());
      expect(refused.status).toBe(403);
      expect(
        dc.requests.some(
          (request) => request.path === '/rest/api/2/mypermissions' && request.caller === A.bob,
        ),
      ).toBe(true);
    });

    it('creates a feed whose sync sees exactly what the owner may browse', async () => {
      const created = await alice.api.post('/feeds', sampleFeedConfig({ access: { mode: 'all' } }));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      feedId = created.body.id as string;
      sharedUrl = created.body.url as string;
      const outcome = await app.services.sync.syncFeed(clientKey, feedId);
      expect(outcome).toMatchObject({ status: 'ok' });
      const searches = dc.requests.filter(
        (request) =>
          request.path === '/rest/api/2/search' && (request.body as { maxResults?: number }).maxResults !== 0,
      );
      expect(searches.length).toBeGreaterThan(0);
      expect(searches.every((request) => request.caller === A.alice)).toBe(true);

      const served = await fetchFeed(sharedUrl);
      expect(served.status).toBe(200);
      const events = readIcsEvents(served.text).events;
      expect(events.length).toBeGreaterThan(0);
      expect(showsHidden(served.text)).toBe(false);
      // Sprints came from the agile API, as Data Center serves them.
      expect(dc.requests.some((request) => request.path.startsWith('/rest/agile/1.0/sprint/'))).toBe(true);
      expect(events.some((event) => event.uid.startsWith('sprint-'))).toBe(true);
    });

    it('never shows a subscriber an issue the owner cannot browse, even one the subscriber could', async () => {
      const bob = await signInThroughJira(app, dc, A.bob);
      const calendars = await bob.api.get('/me/calendars');
      expect(calendars.status).toBe(200);
      const mine = (calendars.body.calendars as { feedId: string; url: string }[]).find(
        (calendar) => calendar.feedId === feedId,
      );
      expect(mine).toBeDefined();
      const served = await fetchFeed(mine?.url ?? '');
      expect(served.status).toBe(200);
      expect(readIcsEvents(served.text).events.length).toBeGreaterThan(0);
      expect(showsHidden(served.text)).toBe(false);
    });

    it('refuses "only issues the subscriber can browse", which Data Center cannot check, with a field message', async () => {
      const refused = await alice.api.post(
        '/feeds',
        sampleFeedConfig({ access: { mode: 'all', respectPermissions: true } }),
      );
      expect(refused.status).toBe(400);
      expect(refused.body.error.fields).toEqual([
        { path: 'access.respectPermissions', message: expect.stringMatching(/Data Center/) },
      ]);
    });

    it('keeps the refresh token encrypted at rest and out of the logs', async () => {
      const [row] = await app.db
        .knex('datacenter_user_tokens')
        .where({ client_key: clientKey, account_id: dc.userKey(A.alice) });
      const raw = row.refresh_token_encrypted as Buffer;
      const tokens = dc.currentRefreshTokens(A.alice);
      expect(tokens.length).toBeGreaterThan(0);
      for (const token of tokens) {
        expect(raw.includes(Buffer.from(token))).toBe(false);
        expect(raw.toString('base64')).not.toContain(token);
        expect(raw.toString('hex')).not.toContain(Buffer.from(token).toString('hex'));
        expect(app.logs()).not.toContain(token);
      }
      const sessions = await app.db.knex('datacenter_sessions').select('id_sha256');
      for (const session of sessions) expect(alice.sessionCookie).not.toContain(session.id_sha256 as string);
    });

    it('keeps a sealed token out of the log when the statement storing it fails', async () => {
      const { knex } = app.db;
      await knex.raw(
        'ALTER TABLE datacenter_user_tokens ADD CONSTRAINT refuse_every_token CHECK (false) NOT VALID',
      );
      try {
        const before = app.logs().length;
        const steps = await startSignIn(app, dc, A.gao);
        const callback = await fetch(steps.callbackUrl, {
          headers: { cookie: steps.signInCookie },
          redirect: 'manual',
        });
        expect(callback.status).toBe(500);
        const logs = app.logs().slice(before);
        expect(logs).toContain('violates check constraint');
        // The sealed bytes, as pg and knex print a bytea: a long run of hex digits.
        expect(logs).not.toMatch(/[0-9a-f]{48,}/i);
        for (const token of dc.currentRefreshTokens(A.gao)) expect(logs).not.toContain(token);
      } finally {
        await knex.raw('ALTER TABLE datacenter_user_tokens DROP CONSTRAINT refuse_every_token');
      }
    });

    it('after the owner’s token is revoked: the last good calendar is served, the status says what to do, an admin takes over', async () => {
      const before = await fetchFeed(sharedUrl);
      dc.revokeUser(A.alice);
      const failed = await app.services.sync.syncFeed(clientKey, feedId);
      expect(failed).toMatchObject({ status: 'failed', code: 'owner_sign_in_needed' });
      const after = await fetchFeed(sharedUrl);
      expect(after.status).toBe(200);
      expect(after.text).toBe(before.text);

      // Farah becomes a Jira administrator and signs in; Alice's own session no longer reaches Jira.
      dc.data.groups.find((group) => group.name === 'site-admins')?.members.push(A.farah);
      const farah = await signInThroughJira(app, dc, A.farah);
      const status = await farah.api.get(`/feeds/${feedId}`);
      expect(status.body.status.error).toEqual({
        code: 'owner_sign_in_needed',
        message: expect.stringMatching(/owner must sign in again, or an administrator takes the feed over/),
      });
      expect(status.body.runsAs).toBe(dc.userKey(A.alice));
      const aliceAsks = await alice.api.get('/jira/fields');
      expect(aliceAsks.status).toBe(401);
      expect(aliceAsks.body.error.code).toBe('signin_required');

      const bob = await signInThroughJira(app, dc, A.bob);
      expect((await bob.api.post(`/feeds/${feedId}/take-over`)).status).toBe(403);
      const taken = await farah.api.post(`/feeds/${feedId}/take-over`);
      expect(taken.status).toBe(200);
      expect(taken.body.runsAs).toBe(dc.userKey(A.farah));
      expect(await app.services.sync.syncFeed(clientKey, feedId)).toMatchObject({ status: 'ok' });
      const searches = dc.requests.filter((request) => request.path === '/rest/api/2/search');
      expect(searches.at(-1)?.caller).toBe(A.farah);
      expect((await fetchFeed(sharedUrl)).status).toBe(200);
    });

    it('runs the owner’s feeds again once the owner signs in again', async () => {
      const again = await signInThroughJira(app, dc, A.alice);
      expect((await again.api.get('/session')).status).toBe(200);
      const row = await app.db
        .knex('datacenter_user_tokens')
        .where({ client_key: clientKey, account_id: dc.userKey(A.alice) })
        .first();
      expect(row.refused_at).toBeNull();
    });
  });
});
