import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let jira: FakeJira;
let app: TestApp;

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

const installationRow = () => app.db.knex('installations').where({ client_key: jira.clientKey }).first();

const payload = (sharedSecret = 'a'.repeat(40), eventType = 'installed') => ({
  key: app.config.appKey,
  clientKey: jira.clientKey,
  sharedSecret,
  baseUrl: jira.baseUrl,
  productType: 'jira',
  description: 'fake site',
  eventType,
});

async function postLifecycle(path: '/installed' | '/uninstalled', body: object, token: string | null) {
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe('Connect lifecycle', () => {
  it('serves the descriptor with the configured base URL and the scopes it needs', async () => {
    const response = await fetch(`${app.url}/atlassian-connect.json`);
    expect(response.status).toBe(200);
    const descriptor = await response.json();
    expect(descriptor).toMatchObject({
      key: app.config.appKey,
      baseUrl: app.url,
      authentication: { type: 'jwt' },
      scopes: ['READ', 'PROJECT_ADMIN'],
      lifecycle: { installed: '/installed', uninstalled: '/uninstalled' },
      apiMigrations: { 'signed-install': true, gdpr: true, 'context-qsh': true },
    });
  });

  it('installs on a signed callback and stores the site', async () => {
    const result = await jira.install(app.url);
    expect(result.status).toBe(204);
    const row = await installationRow();
    expect(row).toMatchObject({
      state: 'installed',
      base_url: jira.baseUrl,
      shared_secret: result.sharedSecret,
    });
  });

  it('rotates the shared secret on reinstall and keeps the first install time', async () => {
    const before = await installationRow();
    const result = await jira.install(app.url);
    expect(result.status).toBe(204);
    const after = await installationRow();
    expect(after.shared_secret).toBe(result.sharedSecret);
    expect(after.shared_secret).not.toBe(before.shared_secret);
    expect(after.installed_at.getTime()).toBe(before.installed_at.getTime());
  });

  const badCallbacks: [
    string,
    () => { path: '/installed' | '/uninstalled'; body: object; token: string | null },
  ][] = [
    ['an unsigned callback', () => ({ path: '/installed', body: payload(), token: null })],
    [
      'a token signed by another key',
      () => ({
        path: '/installed',
        body: payload(),
        token: jira.signLifecycle(app.url, '/installed', payload(), { wrongKey: true }),
      }),
    ],
    [
      'an expired token',
      () => ({
        path: '/installed',
        body: payload(),
        token: jira.signLifecycle(app.url, '/installed', payload(), { expired: true }),
      }),
    ],
    [
      'alg none',
      () => ({
        path: '/installed',
        body: payload(),
        token: jira.signLifecycle(app.url, '/installed', payload(), { alg: 'none' }),
      }),
    ],
    [
      'an HS256 token',
      () => ({
        path: '/installed',
        body: payload(),
        token: jira.signLifecycle(app.url, '/installed', payload(), { alg: 'HS256' }),
      }),
    ],
    [
      'a token for another request (qsh)',
      () => ({
        path: '/installed',
        body: payload(),
        token: jira.signLifecycle(app.url, '/installed', payload(), { qsh: 'x'.repeat(64) }),
      }),
    ],
    [
      'a token for another app (aud)',
      () => ({
        path: '/installed',
        body: payload(),
        token: jira.signLifecycle(app.url, '/installed', payload(), { aud: 'https://other.example.com' }),
      }),
    ],
    [
      'a clientKey that differs from the signer',
      () => ({
        path: '/installed',
        body: { ...payload(), clientKey: 'someone-else' },
        token: jira.signLifecycle(app.url, '/installed', payload()),
      }),
    ],
    [
      'an unsigned uninstall',
      () => ({ path: '/uninstalled', body: payload(undefined, 'uninstalled'), token: null }),
    ],
    [
      'an uninstall signed by another key',
      () => ({
        path: '/uninstalled',
        body: payload(undefined, 'uninstalled'),
        token: jira.signLifecycle(app.url, '/uninstalled', payload(undefined, 'uninstalled'), {
          wrongKey: true,
        }),
      }),
    ],
  ];

  it.each(badCallbacks)('rejects %s with 401 and changes nothing', async (_name, make) => {
    const before = await installationRow();
    const { path, body, token } = make();
    const response = await postLifecycle(path, body, token);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect(await installationRow()).toEqual(before);
  });

  it('rejects a payload for another app or an unknown host with a field-level 4xx', async () => {
    const before = await installationRow();
    const wrongKey = { ...payload(), key: 'not-this-app' };
    const response = await postLifecycle(
      '/installed',
      wrongKey,
      jira.signLifecycle(app.url, '/installed', wrongKey),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { fields: unknown } }).error.fields).toEqual([
      { path: 'key', message: `must be ${app.config.appKey}` },
    ]);

    const foreign = { ...payload(), baseUrl: 'https://evil.example.com' };
    const hostResponse = await postLifecycle(
      '/installed',
      foreign,
      jira.signLifecycle(app.url, '/installed', foreign),
    );
    expect(hostResponse.status).toBe(403);
    expect(await installationRow()).toEqual(before);
  });

  it('never logs the shared secret or the lifecycle JWT', async () => {
    const row = await installationRow();
    expect(app.logs()).not.toContain(row.shared_secret);
    expect(app.logs()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
  });

  it('uninstall marks the site gone, drops its secret and deletes its data', async () => {
    const response = await jira.uninstall(app.url);
    expect(response.status).toBe(204);
    const row = await installationRow();
    expect(row).toMatchObject({ state: 'uninstalled', shared_secret: null });
    expect(row.uninstalled_at).toBeInstanceOf(Date);
    const context = jira.contextToken({ accountId: jira.appUserAccountId });
    const api = await fetch(`${app.url}/api/site`, { headers: { authorization: `JWT ${context}` } });
    expect(api.status).toBe(401);
  });

  it('installs again after an uninstall', async () => {
    expect((await jira.install(app.url)).status).toBe(204);
    expect(await installationRow()).toMatchObject({ state: 'installed', uninstalled_at: null });
  });
});
