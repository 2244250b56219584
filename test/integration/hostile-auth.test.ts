import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jwt from 'atlassian-jwt';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { hostileText, RawJson, sendRaw, storedState, wrongType } from '../support/hostile.js';
import { connectQsh } from '../support/jwt-helpers.js';
import { ADMIN, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const RUNS = 200;

let jira: FakeJira;
let app: TestApp;
let secret: string;
let feedToken: string;

beforeAll(async () => {
  jira = await FakeJira.start();
  // Guessing feed tokens below must meet 404s, not the per-address 429 budget.
  app = await startTestApp({ connectKeysUrl: jira.keysUrl, config: { feedFailuresPerMinute: 100_000 } });
  const installed = await jira.install(app.url);
  expect(installed.status).toBe(204);
  secret = installed.sharedSecret;
  const created = await fetch(`${app.url}/api/feeds`, {
    method: 'POST',
    headers: {
      authorization: `JWT ${jira.contextToken({ accountId: ADMIN })}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(sampleFeedConfig()),
  });
  expect(created.status).toBe(201);
  feedToken = /\/ical\/([A-Za-z0-9_-]{43})\.ics$/.exec(((await created.json()) as { url: string }).url)![1]!;
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function sign(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: string,
  hash: 'sha256' | 'sha512' = 'sha256',
): string {
  const input = `${segment(header)}.${segment(claims)}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

function contextClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: jira.clientKey,
    sub: ADMIN,
    qsh: 'context-qsh',
    iat: now,
    exp: now + 600,
    context: { user: { accountId: ADMIN } },
    ...overrides,
  };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete claims[key];
  return claims;
}

const HS256 = { alg: 'HS256', typ: 'JWT' };
/** Clients cannot send control characters (or spaces, inside one token) in a header at all. */
// eslint-disable-next-line no-control-regex
const NOT_IN_A_HEADER = /[\u0000-\u0020\u007F]/g;

type Transport = 'JWT' | 'Bearer' | 'query';
const TRANSPORTS: Transport[] = ['JWT', 'Bearer', 'query'];

async function call(method: string, path: string, token: string, transport: Transport, body?: unknown) {
  const url =
    transport === 'query' ? `${path}${path.includes('?') ? '&' : '?'}jwt=${encodeURIComponent(token)}` : path;
  const response = await sendRaw(app.url, {
    method,
    path: url,
    headers: transport === 'query' ? {} : { authorization: `${transport} ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, contentType: response.headers['content-type'], body: response.text };
}

function expectUnauthorized(
  response: { status: number; contentType: unknown; body: string },
  what: string,
): void {
  expect(response.status, `${what}: ${response.body.slice(0, 200)}`).toBe(401);
  expect(response.contentType, what).toMatch(/^application\/json/);
  const body = JSON.parse(response.body) as { error: { code: string; message: string } };
  expect(Object.keys(body), what).toEqual(['error']);
  expect(body.error.code, what).toBe('unauthorized');
  expect(body.error.message.length, what).toBeGreaterThan(0);
}

describe('context JWTs', () => {
  it('accepts a good token through Authorization JWT and Authorization Bearer (the control for every refusal below)', async () => {
    const token = sign(HS256, contextClaims(), secret);
    for (const transport of ['JWT', 'Bearer'] as const) {
      const response = await call('GET', '/api/site', token, transport);
      expect(response.status, transport).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ clientKey: jira.clientKey, accountId: ADMIN });
    }
  });

  // Connect puts ?jwt= only on the iframe page load; on an API call it would land in proxy and CDN logs.
  it('refuses a good token in ?jwt= on every /api route, reads and writes alike', async () => {
    const token = sign(HS256, contextClaims(), secret);
    expectUnauthorized(await call('GET', '/api/site', token, 'query'), 'GET /api/site');
    expectUnauthorized(await call('GET', '/api/feeds', token, 'query'), 'GET /api/feeds');
    expectUnauthorized(
      await call('POST', '/api/feeds', token, 'query', sampleFeedConfig({ name: 'Via query' })),
      'POST /api/feeds',
    );
    expectUnauthorized(
      await call('PUT', '/api/settings', token, 'query', {
        errorReportingEnabled: true,
        exportsEnabled: true,
      }),
      'PUT /api/settings',
    );
  });

  // Connect context tokens are bearer tokens, reusable until `exp` by design (AP.context.getToken()
  // hands the same token to every call for its lifetime): the app keeps no replay cache. What bounds
  // a stolen token is its expiry, which is checked on every request.
  it('lets a context token be replayed until it expires, and not after', async () => {
    const token = sign(HS256, contextClaims(), secret);
    for (let attempt = 0; attempt < 3; attempt += 1)
      expect((await call('GET', '/api/site', token, 'JWT')).status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    const expired = sign(HS256, contextClaims({ iat: now - 1000, exp: now - 60 }), secret);
    expectUnauthorized(await call('GET', '/api/site', expired, 'JWT'), 'expired replay');
  });

  const now = () => Math.floor(Date.now() / 1000);
  const badTokens: [string, () => string][] = [
    ['alg none', () => `${segment({ alg: 'none', typ: 'JWT' })}.${segment(contextClaims())}.`],
    ['alg None, signed', () => sign({ alg: 'None' }, contextClaims(), secret)],
    [
      'HS512 with the right secret',
      () => sign({ alg: 'HS512', typ: 'JWT' }, contextClaims(), secret, 'sha512'),
    ],
    ['HS256 labelled, HS512 signature', () => sign(HS256, contextClaims(), secret, 'sha512')],
    ['RS256 labelled, HMAC signed', () => sign({ alg: 'RS256', typ: 'JWT' }, contextClaims(), secret)],
    ['the wrong secret', () => sign(HS256, contextClaims(), randomBytes(32).toString('base64url'))],
    ['an empty secret', () => sign(HS256, contextClaims(), '')],
    [
      'an unknown issuer (clientKey)',
      () => sign(HS256, contextClaims({ iss: 'b9f1e1a4-0000-4000-8000-000000000000' }), secret),
    ],
    ['no issuer', () => sign(HS256, contextClaims({ iss: undefined }), secret)],
    [
      'an issuer with a NUL byte',
      () => sign(HS256, contextClaims({ iss: `${jira.clientKey}\u0000` }), secret),
    ],
    ['no qsh', () => sign(HS256, contextClaims({ qsh: undefined }), secret)],
    [
      'a qsh for another request',
      () => sign(HS256, contextClaims({ qsh: connectQsh('GET', '/api/feeds') }), secret),
    ],
    ['an expired token', () => sign(HS256, contextClaims({ iat: now() - 3600, exp: now() - 600 }), secret)],
    ['no exp', () => sign(HS256, contextClaims({ exp: undefined }), secret)],
    ['exp as a string', () => sign(HS256, contextClaims({ exp: String(now() + 600) }), secret)],
    [
      'issued a day in the future',
      () => sign(HS256, contextClaims({ iat: now() + 86_400, exp: now() + 87_000 }), secret),
    ],
    ['no user', () => sign(HS256, contextClaims({ sub: undefined, context: undefined }), secret)],
    ['garbage', () => 'garbage'],
    ['three garbage parts', () => 'a.b.c'],
    ['a JSON header with garbage after it', () => `${segment(HS256)}.%%%.###`],
    [
      'a header that is not JSON',
      () => `${Buffer.from('{alg:').toString('base64url')}.${segment(contextClaims())}.x`,
    ],
    ['claims that are not an object', () => sign(HS256, 42 as unknown as Record<string, unknown>, secret)],
    [
      'a 10 KB token',
      () =>
        `${segment(HS256)}.${randomBytes(7_500).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
    ],
    [
      'a 10 KB token of padded claims with the wrong secret',
      () => sign(HS256, contextClaims({ pad: 'x'.repeat(10_000) }), 'wrong-secret-wrong-secret-wrong!!'),
    ],
  ];

  it.each(badTokens)(
    'refuses %s with a JSON 401 over every transport, and stores nothing',
    async (_name, make) => {
      const before = await storedState(app);
      const token = make();
      for (const transport of TRANSPORTS) {
        expectUnauthorized(await call('GET', '/api/site', token, transport), `GET via ${transport}`);
        expectUnauthorized(
          await call('POST', '/api/feeds', token, transport, sampleFeedConfig({ name: 'Forged' })),
          `POST via ${transport}`,
        );
        expectUnauthorized(
          await call('PUT', '/api/settings', token, transport, {
            errorReportingEnabled: true,
            exportsEnabled: false,
          }),
          `PUT via ${transport}`,
        );
      }
      expect(await storedState(app)).toEqual(before);
    },
  );

  it.each([
    ['an empty JWT header', 'JWT '],
    ['an empty Bearer header', 'Bearer '],
    ['an empty header', ''],
    ['Basic credentials', `Basic ${Buffer.from('admin:admin').toString('base64')}`],
    ['two tokens', `JWT a.b.c JWT d.e.f`],
  ])('refuses %s with a JSON 401', async (_name, header) => {
    const response = await sendRaw(app.url, {
      method: 'GET',
      path: '/api/site',
      headers: { authorization: header },
    });
    expectUnauthorized(
      { status: response.status, contentType: response.headers['content-type'], body: response.text },
      header,
    );
  });

  it('refuses an empty ?jwt= and no token at all with a JSON 401', async () => {
    for (const path of ['/api/site?jwt=', '/api/site', '/api/site?jwt=&jwt=x']) {
      const response = await sendRaw(app.url, { method: 'GET', path });
      expectUnauthorized(
        { status: response.status, contentType: response.headers['content-type'], body: response.text },
        path,
      );
    }
  });

  it(`refuses correctly signed tokens with one claim made wrong (${RUNS} runs)`, async () => {
    const before = await storedState(app);
    // Claims must fit in a request header (Node refuses headers over 16 KB before the app sees them).
    const claim = (type: Parameters<typeof wrongType>[0]) =>
      wrongType(type).filter(
        (value) => !(value instanceof RawJson) && JSON.stringify(value ?? null).length < 2_000,
      );
    const breakClaim = fc.oneof(
      fc.record({ exp: fc.oneof(claim('number'), fc.integer({ min: 0, max: now() - 60 })) }),
      fc.record({ iat: fc.integer({ min: now() + 120, max: 2 ** 40 }) }),
      fc.record({
        qsh: fc.oneof(
          claim('string'),
          hostileText().filter((text) => text !== 'context-qsh'),
        ),
      }),
      fc.record({
        iss: fc.oneof(
          claim('string'),
          hostileText().filter((text) => text !== jira.clientKey),
        ),
      }),
      fc.record({
        sub: fc.oneof(fc.constant(''), claim('string')),
        context: fc.oneof(fc.constant(null), fc.record({ user: claim('object') })),
      }),
    );
    const header = fc.oneof(
      fc.constant(HS256),
      fc.record({
        alg: fc.oneof(
          claim('string'),
          hostileText().filter((text) => text !== 'HS256'),
        ),
        typ: fc.constant('JWT'),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        breakClaim,
        header,
        fc.constantFrom(...TRANSPORTS),
        async (broken, jwtHeader, transport) => {
          const claims = contextClaims(broken);
          const token = sign(jwtHeader, claims, secret);
          expectUnauthorized(
            await call('POST', '/api/feeds', token, transport, sampleFeedConfig({ name: 'Forged' })),
            `${JSON.stringify(jwtHeader)} ${JSON.stringify(broken)}`,
          );
        },
      ),
      { numRuns: RUNS },
    );
    expect(await storedState(app)).toEqual(before);
  });

  it(`refuses arbitrary strings as tokens (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .oneof(
            fc.stringMatching(/^[A-Za-z0-9_-]{0,400}(\.[A-Za-z0-9_-]{0,400}){0,4}$/),
            fc
              .tuple(fc.jsonValue(), fc.jsonValue(), fc.string())
              .map(([h, c, s]) => `${segment(h)}.${segment(c)}.${Buffer.from(s).toString('base64url')}`),
            fc
              .string({ unit: 'binary-ascii', maxLength: 300 })
              .map((text) => text.replace(NOT_IN_A_HEADER, '')),
          )
          .filter((token) => token.length > 0),
        fc.constantFrom(...TRANSPORTS),
        async (token, transport) => {
          expectUnauthorized(
            await call('GET', '/api/site', token, transport),
            `${transport} ${token.slice(0, 80)}`,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('install callbacks', () => {
  const installationRow = () => app.db.knex('installations').where({ client_key: jira.clientKey }).first();
  const payload = (baseUrl: string) => ({
    ...jira.lifecyclePayload('installed', app.config.appKey, randomBytes(36).toString('base64url')),
    baseUrl,
  });

  it.each([
    'https://evil.example.com',
    'https://acme.atlassian.net.evil.example',
    'https://atlassian.net',
    'https://a.b.atlassian.net',
    'https://acme.atlassian.net@evil.example',
    'https://evil.example/#acme.atlassian.net',
    'http://127.0.0.2:8080',
    'http://acme.atlassian.net',
    'https://acme.atlassian.net:5432',
    'https://acme.atlassian.net:80',
    'https://admin:hunter2@acme.atlassian.net',
  ])('refuses a correctly signed install from %s with 403 and keeps the stored site', async (baseUrl) => {
    const before = await installationRow();
    const body = payload(baseUrl);
    const response = await fetch(`${app.url}/installed`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `JWT ${jira.signLifecycle(app.url, '/installed', body)}`,
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('host_not_allowed');
    expect(await installationRow()).toEqual(before);
  });

  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  it.each([
    '../../x',
    '..',
    '.',
    '..%2f..%2fx',
    '%2e%2e',
    'a/b',
    '/etc/passwd',
    '',
    'k'.repeat(201),
    'x\u0000y',
  ])(
    'refuses an install whose kid is %j with 401 and fetches no key from outside the key service',
    async (kid) => {
      const before = await installationRow();
      const body = payload(jira.baseUrl);
      const iat = Math.floor(Date.now() / 1000);
      const claims = {
        iss: jira.clientKey,
        iat,
        exp: iat + 180,
        aud: [app.url],
        qsh: connectQsh('POST', `${app.url}/installed`, app.url),
      };
      const token = jwt.encodeAsymmetric(claims, privateKey, jwt.AsymmetricAlgorithm.RS256, { kid });
      jira.requests.length = 0;
      const response = await fetch(`${app.url}/installed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      for (const request of jira.requests) {
        expect(request.path).toMatch(/^\/connect-install-keys\/[A-Za-z0-9._-]+$/);
        expect(request.path).not.toMatch(/\/\.\.?$/);
      }
      expect(await installationRow()).toEqual(before);
    },
  );
});

describe('install replay', () => {
  const installationRow = () => app.db.knex('installations').where({ client_key: jira.clientKey }).first();
  const postInstalled = (token: string, body: object) =>
    fetch(`${app.url}/installed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
      body: JSON.stringify(body),
    });

  it('refuses the same signed install token a second time, whatever the body, and keeps the site', async () => {
    const genuine = jira.lifecyclePayload(
      'installed',
      app.config.appKey,
      randomBytes(36).toString('base64url'),
    );
    const token = jira.signLifecycle(app.url, '/installed', genuine);
    expect((await postInstalled(token, genuine)).status).toBe(204);
    const accepted = await installationRow();
    expect(accepted.shared_secret).toBe(genuine.sharedSecret);

    const attackerSecret = randomBytes(36).toString('base64url');
    for (const body of [
      { ...genuine, sharedSecret: attackerSecret, baseUrl: 'https://attacker.atlassian.net' },
      { ...genuine, sharedSecret: attackerSecret },
      genuine,
    ]) {
      const replayed = await postInstalled(token, body);
      expect(replayed.status).toBe(401);
      expect(((await replayed.json()) as { error: { code: string } }).error.code).toBe('token_replayed');
    }
    expect(await installationRow()).toEqual(accepted);
    expect(app.logs()).not.toContain(attackerSecret);
    const site = await call('GET', '/api/site', sign(HS256, contextClaims(), genuine.sharedSecret), 'JWT');
    expect(site.status).toBe(200);
  });

  it('takes a new secret only from a token no older than the last accepted one', async () => {
    const latest = jira.lifecyclePayload(
      'installed',
      app.config.appKey,
      randomBytes(36).toString('base64url'),
    );
    expect((await postInstalled(jira.signLifecycle(app.url, '/installed', latest), latest)).status).toBe(204);
    const accepted = await installationRow();

    // Signed by Jira a minute earlier and still unexpired: a token an attacker kept back.
    const older = jira.lifecyclePayload(
      'installed',
      app.config.appKey,
      randomBytes(36).toString('base64url'),
    );
    const stale = await postInstalled(
      jira.signLifecycle(app.url, '/installed', older, { issuedAtOffsetSeconds: -60 }),
      older,
    );
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('token_replayed');
    const oldUninstall = jira.lifecyclePayload(
      'uninstalled',
      app.config.appKey,
      randomBytes(36).toString('base64url'),
    );
    const staleUninstall = await fetch(`${app.url}/uninstalled`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `JWT ${jira.signLifecycle(app.url, '/uninstalled', oldUninstall, { issuedAtOffsetSeconds: -60 })}`,
      },
      body: JSON.stringify(oldUninstall),
    });
    expect(staleUninstall.status).toBe(401);
    expect(await installationRow()).toEqual(accepted);

    const newer = jira.lifecyclePayload(
      'installed',
      app.config.appKey,
      randomBytes(36).toString('base64url'),
    );
    expect((await postInstalled(jira.signLifecycle(app.url, '/installed', newer), newer)).status).toBe(204);
    expect((await installationRow()).shared_secret).toBe(newer.sharedSecret);
  });

  afterAll(async () => {
    // Installs posted by hand above leave the fake Jira with an older secret than the app's.
    const installed = await jira.install(app.url);
    expect(installed.status).toBe(204);
    secret = installed.sharedSecret;
  });
});

describe('install key look-ups', () => {
  const keyFetches = () =>
    jira.requests.filter((request) => request.path.startsWith('/connect-install-keys/'));
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const installWithKid = (kid: string) => {
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: jira.clientKey,
      iat,
      exp: iat + 180,
      aud: [app.url],
      qsh: connectQsh('POST', `${app.url}/installed`, app.url),
    };
    return fetch(`${app.url}/installed`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `JWT ${jwt.encodeAsymmetric(claims, privateKey, jwt.AsymmetricAlgorithm.RS256, { kid })}`,
      },
      body: '{}',
    });
  };

  it('asks the key service about an unknown kid once, however often it is sent', async () => {
    jira.requests.length = 0;
    const kid = `unknown-${randomBytes(8).toString('hex')}`;
    for (let attempt = 0; attempt < 10; attempt += 1) expect((await installWithKid(kid)).status).toBe(401);
    expect(keyFetches()).toHaveLength(1);
  });

  it('does not ask a failing key service again for every install that names the same kid', async () => {
    const asked: string[] = [];
    const keys = createServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
    const other = await startTestApp({
      connectKeysUrl: `http://127.0.0.1:${(keys.address() as AddressInfo).port}`,
    });
    try {
      const body = jira.lifecyclePayload(
        'installed',
        other.config.appKey,
        randomBytes(36).toString('base64url'),
      );
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const response = await fetch(`${other.url}/installed`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `JWT ${jira.signLifecycle(other.url, '/installed', body)}`,
          },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(401);
      }
      expect(asked).toHaveLength(1);
    } finally {
      await other.stop();
      keys.closeAllConnections();
      await new Promise<void>((resolve) => keys.close(() => resolve()));
    }
  });

  it('bounds the key fetches that a stream of made-up kids can cause', async () => {
    jira.requests.length = 0;
    const statuses = new Set<number>();
    for (let attempt = 0; attempt < 60; attempt += 1) {
      statuses.add((await installWithKid(`made-up-${attempt}-${randomBytes(4).toString('hex')}`)).status);
    }
    expect(keyFetches().length).toBeLessThanOrEqual(20);
    expect([...statuses].every((status) => status === 401 || status === 503)).toBe(true);
    // Jira's own, already known key still installs.
    const installed = await jira.install(app.url);
    expect(installed.status).toBe(204);
    secret = installed.sharedSecret;
  });
});

describe('feed tokens', () => {
  const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const guess = (length: number) => Array.from(randomBytes(length), (byte) => BASE64URL[byte % 64]).join('');

  async function expectBare404(path: string): Promise<void> {
    for (const method of ['GET', 'HEAD']) {
      const response = await sendRaw(app.url, { method, path });
      expect(response.status, `${method} ${path.slice(0, 80)}`).toBe(404);
      expect(response.text, path.slice(0, 80)).toBe('');
      expect(response.headers['content-type'], path.slice(0, 80)).toBeUndefined();
    }
  }

  it('serves the real token (the control) and 404s it with one character changed', async () => {
    expect((await sendRaw(app.url, { method: 'GET', path: `/ical/${feedToken}.ics` })).status).toBe(200);
    const flipped = `${feedToken.slice(0, 20)}${feedToken[20] === 'A' ? 'B' : 'A'}${feedToken.slice(21)}`;
    await expectBare404(`/ical/${flipped}.ics`);
    await expectBare404(`/ical/${feedToken.slice(0, 42)}.ics`);
    await expectBare404(`/ical/${feedToken}A.ics`);
  });

  it('answers guessed tokens of every length from 0 to 200 with a bare 404', async () => {
    for (let length = 0; length <= 200; length += 1) {
      const token = guess(length);
      await expectBare404(`/ical/${token}.ics`);
      if (length > 0) await expectBare404(`/ical/${token}`);
    }
  });

  it(`answers tokens of random bytes with a bare 404 (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.boolean(),
        async (bytes, suffix) => {
          const encoded = [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
          await expectBare404(`/ical/${encoded}${suffix ? '.ics' : ''}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('counts undecodable tokens against the per-address budget like any other miss', async () => {
    const strict = await startTestApp({ config: { feedFailuresPerMinute: 3 } });
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect((await sendRaw(strict.url, { method: 'GET', path: '/ical/%80%FF.ics' })).status).toBe(404);
      }
      const turnedAway = await sendRaw(strict.url, { method: 'GET', path: `/ical/${guess(43)}.ics` });
      expect(turnedAway.status).toBe(429);
      expect(turnedAway.headers['retry-after']).toMatch(/^\d+$/);
    } finally {
      await strict.stop();
    }
  });
});
