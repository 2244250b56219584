import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraBrowserLogin } from '../support/datacenter.js';
import { type DcOAuthClient, FakeJiraDc } from '../support/fake-jira-dc/fake-jira-dc.js';
import { SEED_ACCOUNTS as A } from '../support/fake-jira/fake-jira-seed.js';

const REDIRECT = 'http://127.0.0.1:9/oauth/callback';

describe('the fake Jira Data Center holds to what Jira DC accepts and refuses', () => {
  let dc: FakeJiraDc;
  let link: DcOAuthClient;

  beforeAll(async () => {
    dc = await FakeJiraDc.start();
    link = dc.createApplicationLink(REDIRECT);
  });
  afterAll(async () => dc?.stop());

  const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
  const authorizeUrl = (params: Record<string, string>) =>
    `${dc.baseUrl}/rest/oauth2/latest/authorize?${new URLSearchParams({
      client_id: link.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'READ',
      state: 'st4te',
      code_challenge_method: 'S256',
      ...params,
    }).toString()}`;

  async function codeFor(accountId: string, verifier: string): Promise<string> {
    const cookie = await jiraBrowserLogin(dc, accountId);
    const page = await fetch(authorizeUrl({ code_challenge: challengeOf(verifier) }), {
      headers: { cookie },
      redirect: 'manual',
    });
    const consent = /name="consent" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const decided = await fetch(`${dc.baseUrl}/rest/oauth2/latest/authorize`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ consent, decision: 'allow' }).toString(),
      redirect: 'manual',
    });
    const back = new URL(decided.headers.get('location') ?? '');
    expect(back.searchParams.get('state')).toBe('st4te');
    return back.searchParams.get('code') ?? '';
  }

  const tokenCall = (params: Record<string, string>) =>
    fetch(`${dc.baseUrl}/rest/oauth2/latest/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: link.clientId,
        client_secret: link.clientSecret,
        ...params,
      }).toString(),
    });

  async function tokensFor(accountId: string) {
    const verifier = randomBytes(40).toString('base64url');
    const code = await codeFor(accountId, verifier);
    const response = await tokenCall({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      access_token: string;
      refresh_token: string;
      expires_in: number;
      scope: string;
    };
  }

  const api = (token: string, path: string, body?: unknown) =>
    fetch(`${dc.baseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('never redirects to a URL the application link does not name, and insists on PKCE S256', async () => {
    const cookie = await jiraBrowserLogin(dc, A.alice);
    const elsewhere = await fetch(
      authorizeUrl({ redirect_uri: 'https://evil.example/cb', code_challenge: challengeOf('x'.repeat(43)) }),
      { headers: { cookie }, redirect: 'manual' },
    );
    expect(elsewhere.status).toBe(400);
    const plain = await fetch(
      authorizeUrl({ code_challenge_method: 'plain', code_challenge: 'x'.repeat(43) }),
      { headers: { cookie }, redirect: 'manual' },
    );
    expect(new URL(plain.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
    const anonymous = await fetch(authorizeUrl({ code_challenge: challengeOf('y'.repeat(43)) }), {
      redirect: 'manual',
    });
    expect(anonymous.headers.get('location')).toMatch(/^\/login\.jsp\?os_destination=/);
  });

  it('trades a code only with its verifier, once, for this client', async () => {
    const verifier = randomBytes(40).toString('base64url');
    const code = await codeFor(A.alice, verifier);
    const wrong = await tokenCall({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: `${verifier}x`,
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
    const code2 = await codeFor(A.alice, verifier);
    const badSecret = await fetch(`${dc.baseUrl}/rest/oauth2/latest/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: link.clientId,
        client_secret: 'nope',
        grant_type: 'authorization_code',
        code: code2,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }).toString(),
    });
    expect(badSecret.status).toBe(401);
    const good = await tokenCall({
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(good.status).toBe(200);
    const again = await tokenCall({
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(again.status).toBe(400);
  });

  it('rotates refresh tokens: the old one stops working; revocation ends every token of the grant', async () => {
    const first = await tokensFor(A.bob);
    const refreshed = await tokenCall({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(
      (await tokenCall({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).status,
    ).toBe(400);
    expect((await api(second.access_token, '/rest/api/2/myself')).status).toBe(200);
    await fetch(`${dc.baseUrl}/rest/oauth2/latest/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: link.clientId,
        client_secret: link.clientSecret,
        token: second.refresh_token,
      }).toString(),
    });
    const revoked = await api(second.access_token, '/rest/api/2/myself');
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(
      (await tokenCall({ grant_type: 'refresh_token', refresh_token: second.refresh_token })).status,
    ).toBe(400);
  });

  it('answers v2: users by name and key, offset pages with total, only what the caller may browse', async () => {
    const alice = await tokensFor(A.alice);
    const dmitri = await tokensFor(A.dmitri);
    const me = (await (await api(alice.access_token, '/rest/api/2/myself?expand=groups')).json()) as Record<
      string,
      unknown
    >;
    expect(me).toMatchObject({ name: 'alice', key: dc.userKey(A.alice) });
    expect(me).not.toHaveProperty('accountId');

    const page = async (token: string, startAt: number) =>
      (await (
        await api(token, '/rest/api/2/search', {
          jql: 'project = OPS ORDER BY key',
          startAt,
          maxResults: 2,
          fields: ['summary', 'assignee'],
        })
      ).json()) as {
        startAt: number;
        total: number;
        issues: { key: string; fields: { assignee: Record<string, unknown> | null } }[];
      };
    const asDmitri = await page(dmitri.access_token, 0);
    expect(asDmitri.total).toBeGreaterThan(2);
    expect(asDmitri.issues).toHaveLength(2);
    expect((await page(dmitri.access_token, 2)).startAt).toBe(2);
    const assignee = asDmitri.issues.find((issue) => issue.fields.assignee)?.fields.assignee;
    expect(assignee).toMatchObject({ name: expect.any(String), key: expect.stringMatching(/^JIRAUSER/) });
    expect(assignee).not.toHaveProperty('accountId');
    // Alice browses no OPS project; the security level of OPS-1 hides it from anyone outside it.
    expect((await page(alice.access_token, 0)).total).toBe(0);

    const unknown = await api(alice.access_token, '/rest/api/2/search', {
      jql: 'project = CAL',
      nextPageToken: 'x',
    });
    expect(unknown.status).toBe(400);
    expect((await fetch(`${dc.baseUrl}/rest/api/2/search`, { method: 'POST' })).status).toBe(401);
    expect((await api(alice.access_token, '/rest/api/2/field?bogus=1')).status).toBe(400);
  });
  it('answers a deactivated user as active: false and a deleted one with 404, and refuses their tokens', async () => {
    const alice = await tokensFor(A.alice);
    const chloe = await tokensFor(A.chloe);
    const dmitri = await tokensFor(A.dmitri);
    const byKey = (key: string) => api(alice.access_token, `/rest/api/2/user?key=${key}`);

    dc.deactivateUser(A.chloe);
    const deactivated = await byKey(dc.userKey(A.chloe));
    expect(deactivated.status).toBe(200);
    expect(await deactivated.json()).toMatchObject({ key: dc.userKey(A.chloe), active: false });
    expect((await api(chloe.access_token, '/rest/api/2/myself')).status).toBe(401);
    expect(
      (await tokenCall({ grant_type: 'refresh_token', refresh_token: chloe.refresh_token })).status,
    ).toBe(400);
    dc.reactivateUser(A.chloe);
    expect(await (await byKey(dc.userKey(A.chloe))).json()).toMatchObject({ active: true });

    dc.deleteUser(A.dmitri);
    const deleted = await byKey(dc.userKey(A.dmitri));
    expect(deleted.status).toBe(404);
    expect(await deleted.json()).toMatchObject({ errorMessages: [expect.stringMatching(/does not exist/)] });
    expect((await api(dmitri.access_token, '/rest/api/2/myself')).status).toBe(401);
    // The other users keep their keys.
    expect(await (await byKey(dc.userKey(A.farah))).json()).toMatchObject({ key: dc.userKey(A.farah) });
  });
});
