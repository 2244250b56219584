import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import * as jwt from 'atlassian-jwt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira, generateIssues, ROUTES, SEED_ACCOUNTS as A } from '../support/fake-jira/fake-jira.js';
import { OAUTH_SCOPES } from '../support/fake-jira/fake-jira-oauth-scopes.js';
import { connectQsh, readJwt, signAppRequest } from '../support/jwt-helpers.js';

type OpenApi = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        'x-atlassian-connect-scope'?: string;
        'x-atlassian-oauth2-scopes'?: { state: string; scopes: string[] }[];
      }
    >
  >;
};

const OPENAPI_PATH = path.resolve(import.meta.dirname, '../../../shared/jira-openapi/jira-platform-v3.json');
const openApi = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenApi;

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormatsModule as unknown as (ajv: Ajv) => void)(ajv);
ajv.addFormat('int32', true).addFormat('int64', true);
// Jira prints offsets without a colon (`+0200`), which RFC 3339's date-time does not allow.
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/);
ajv.addSchema(openApi, 'jira');

const pointer = (...segments: string[]) =>
  segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const validators = new Map<string, ValidateFunction>();
/** The validator of the 200 response body of an operation in the OpenAPI document. */
function responseSchema(method: string, template: string): ValidateFunction {
  const ref = `jira#/${pointer('paths', template, method.toLowerCase(), 'responses', '200', 'content', 'application/json', 'schema')}`;
  const validator = validators.get(ref) ?? ajv.compile({ $ref: ref });
  validators.set(ref, validator);
  return validator;
}

const APP_KEY = 'calendar-sync';
let jira: FakeJira;
let app: Server;
let appUrl: string;
let sharedSecret: string;
const lifecycleCalls: { path: string; body: Record<string, unknown>; rejected: string | null }[] = [];

/** Verifies a lifecycle JWT as a Connect app must: the key from the install-keys service, aud, qsh, expiry. */
async function verifyLifecycle(token: string, lifecyclePath: string): Promise<string | null> {
  const { header, claims } = readJwt(token);
  if (header['alg'] !== 'RS256') return 'alg';
  const key = await fetch(`${jira.keysUrl}/${String(header['kid'])}`);
  if (!key.ok) return 'kid';
  try {
    jwt.decodeAsymmetric(token, await key.text(), jwt.AsymmetricAlgorithm.RS256);
  } catch {
    return 'signature';
  }
  if (typeof claims['exp'] !== 'number' || claims['exp'] < Date.now() / 1000) return 'exp';
  if (!(claims['aud'] as unknown[]).includes(appUrl)) return 'aud';
  if (claims['qsh'] !== connectQsh('POST', lifecyclePath)) return 'qsh';
  return null;
}

/** A minimal Connect app: serves a descriptor and checks lifecycle callbacks. */
async function startApp(): Promise<void> {
  app = createServer((req, res) => {
    void (async () => {
      if (req.url === '/atlassian-connect.json') {
        return void res.end(JSON.stringify({ key: APP_KEY, baseUrl: appUrl, scopes: ['read', 'admin'] }));
      }
      let raw = '';
      for await (const chunk of req) raw += String(chunk);
      const token = /^JWT (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const rejected = await verifyLifecycle(token, req.url ?? '');
      lifecycleCalls.push({
        path: req.url ?? '',
        body: JSON.parse(raw) as Record<string, unknown>,
        rejected,
      });
      res.writeHead(rejected ? 401 : 204).end();
    })();
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
}

async function call(
  method: 'GET' | 'POST',
  pathAndQuery: string,
  body?: unknown,
  sign: Partial<Parameters<typeof signAppRequest>[0]> = {},
) {
  const url = `${jira.baseUrl}${pathAndQuery}`;
  const authorization = signAppRequest({ method, url, appKey: APP_KEY, sharedSecret, ...sign });
  const response = await fetch(url, {
    method,
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: (): Json => JSON.parse(text),
  };
}

/** Response bodies as tests read them: whatever JSON.parse gives. */
type Json = ReturnType<typeof JSON.parse>;

const search = (jql: string, params = '') => `/rest/api/3/search/jql?jql=${encodeURIComponent(jql)}${params}`;

beforeAll(async () => {
  jira = await FakeJira.start();
  await startApp();
  const installed = await jira.install(appUrl);
  expect(installed.status).toBe(204);
  sharedSecret = installed.sharedSecret;
});

afterEach(() => {
  jira.faults.clear();
  jira.data.appHasProjectAdmin = true;
});

afterAll(async () => {
  await jira?.stop();
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
});

describe('Connect lifecycle', () => {
  it('installs with a Jira-like signed payload the app can verify through the install-keys service', () => {
    const install = lifecycleCalls.find((c) => c.path === '/installed');
    expect(install?.rejected).toBeNull();
    expect(install?.body).toEqual({
      key: APP_KEY,
      clientKey: jira.clientKey,
      sharedSecret,
      serverVersion: expect.any(String),
      pluginsVersion: expect.any(String),
      baseUrl: jira.baseUrl,
      displayUrl: jira.baseUrl,
      productType: 'jira',
      description: expect.any(String),
      eventType: 'installed',
    });
    expect(sharedSecret.length).toBeGreaterThanOrEqual(48);
    expect(jira.sharedSecretFor()).toBe(sharedSecret);
  });

  it.each([
    ['expired', { expired: true }, 'exp'],
    ['wrongKey', { wrongKey: true }, 'signature'],
    ['alg none', { alg: 'none' as const }, 'alg'],
    ['alg HS256', { alg: 'HS256' as const }, 'alg'],
    ['qsh', { qsh: 'f'.repeat(64) }, 'qsh'],
    ['aud', { aud: 'https://elsewhere.example.com' }, 'aud'],
  ])('signs a %s variant that a verifying app rejects', async (_name, variant, reason) => {
    const payload = jira.lifecyclePayload('installed', APP_KEY, 'x'.repeat(48));
    expect(
      await verifyLifecycle(jira.signLifecycle(appUrl, '/installed', payload, variant), '/installed'),
    ).toBe(reason);
  });

  it('issues context tokens like AP.context.getToken()', () => {
    const token = jira.contextToken({ accountId: A.alice });
    const claims = jwt.decodeSymmetric(token, sharedSecret, jwt.SymmetricAlgorithm.HS256);
    expect(claims).toMatchObject({
      iss: jira.clientKey,
      sub: A.alice,
      qsh: 'context-qsh',
      context: { user: { accountId: A.alice } },
    });
    expect(claims['exp']).toBeGreaterThan(claims['iat']);
  });

  it('keeps a failed install out and an uninstalled app locked out', async () => {
    const other = await FakeJira.start();
    try {
      const failing = createServer((req, res) => {
        if (req.url === '/atlassian-connect.json') return void res.end(JSON.stringify({ key: APP_KEY }));
        res.writeHead(500).end();
      });
      await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
      const failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
      const result = await other.install(failingUrl);
      await new Promise<void>((resolve) => failing.close(() => resolve()));
      expect(result.status).toBe(500);
      expect(other.sharedSecretFor()).toBeUndefined();

      const secret = 'z'.repeat(48);
      const installed = await FakeJira.start({ sharedSecret: secret });
      try {
        const url = `${installed.baseUrl}/rest/api/3/myself`;
        const headers = {
          authorization: signAppRequest({ method: 'GET', url, appKey: APP_KEY, sharedSecret: secret }),
        };
        expect((await fetch(url, { headers })).status).toBe(200);
        await installed.uninstall(appUrl);
        expect((await fetch(url, { headers })).status).toBe(401);
      } finally {
        await installed.stop();
      }
    } finally {
      await other.stop();
    }
  });
});

describe('REST authentication', () => {
  const path = '/rest/api/3/myself';

  it('accepts a request signed for exactly this method, path and query', async () => {
    expect((await call('GET', path)).status).toBe(200);
    expect((await call('GET', search('project = CAL', '&fields=summary,duedate&maxResults=2'))).status).toBe(
      200,
    );
  });

  it.each([
    ['a wrong qsh', { qsh: connectQsh('GET', '/rest/api/3/serverInfo') }],
    ['a qsh for another query', { qsh: connectQsh('GET', `${path}?expand=groups`) }],
    ['an expired token', { expiresInSeconds: -1 }],
    ['another secret', { sharedSecret: 'not-the-secret'.repeat(4) }],
    ['an unknown app key', { appKey: 'someone-else' }],
  ])('answers 401 to %s', async (_name, sign) => {
    const response = await call('GET', path, undefined, sign);
    expect(response.status).toBe(401);
    expect(response.json().errorMessages[0]).toMatch(/^Authentication failed: /);
  });

  it('answers 401 to unsigned requests, also when the token sits in the query', async () => {
    expect((await fetch(`${jira.baseUrl}${path}`)).status).toBe(401);
    const token = signAppRequest({ method: 'GET', url: path, appKey: APP_KEY, sharedSecret }).slice(4);
    expect((await fetch(`${jira.baseUrl}${path}?jwt=${token}`)).status).toBe(401);
  });
});

describe('contract with the Jira OpenAPI document', () => {
  it('serves only paths, methods and query parameters the document defines, with its Connect scopes', () => {
    for (const route of ROUTES) {
      const operation = openApi.paths[route.template]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.template}`).toBeDefined();
      expect(route.scope, `${route.method} ${route.template}`).toBe(operation?.['x-atlassian-connect-scope']);
      const defined = (operation?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      expect(defined, `${route.method} ${route.template}`).toEqual(expect.arrayContaining([...route.query]));
    }
  });

  it('lets bearer tokens through with exactly the OAuth scopes the document names for each operation', () => {
    expect(Object.keys(OAUTH_SCOPES).sort()).toEqual(
      ROUTES.map((route) => `${route.method} ${route.template}`).sort(),
    );
    for (const route of ROUTES) {
      const operation = openApi.paths[route.template]?.[route.method.toLowerCase()];
      const scopes = (state: string) =>
        operation?.['x-atlassian-oauth2-scopes']?.find((entry) => entry.state === state)?.scopes ?? [];
      expect(OAUTH_SCOPES[`${route.method} ${route.template}`], `${route.method} ${route.template}`).toEqual({
        current: scopes('Current'),
        granular: scopes('Beta'),
      });
    }
  });

  const cases: [string, 'GET' | 'POST', string, string, unknown?][] = [
    [
      'search (GET, all fields)',
      'GET',
      '/rest/api/3/search/jql',
      search('project in (CAL, MKT, OPS)', '&fields=*all&maxResults=40'),
    ],
    ['search (GET, ids only)', 'GET', '/rest/api/3/search/jql', search('project = CAL')],
    [
      'search (POST)',
      'POST',
      '/rest/api/3/search/jql',
      '/rest/api/3/search/jql',
      { jql: 'project = MKT', fields: ['*navigable', '-labels'], maxResults: 2 },
    ],
    [
      'jql parse',
      'POST',
      '/rest/api/3/jql/parse',
      '/rest/api/3/jql/parse?validation=strict',
      { queries: ['project = CAL', 'project = NOPE', 'status WAS x'] },
    ],
    ['fields', 'GET', '/rest/api/3/field', '/rest/api/3/field'],
    ['myself', 'GET', '/rest/api/3/myself', '/rest/api/3/myself'],
    ['server info', 'GET', '/rest/api/3/serverInfo', '/rest/api/3/serverInfo'],
    ['filter', 'GET', '/rest/api/3/filter/{id}', '/rest/api/3/filter/10000'],
    ['user', 'GET', '/rest/api/3/user', `/rest/api/3/user?accountId=${encodeURIComponent(A.chloe)}`],
    [
      'user groups',
      'GET',
      '/rest/api/3/user/groups',
      `/rest/api/3/user/groups?accountId=${encodeURIComponent(A.alice)}`,
    ],
    [
      'group members',
      'GET',
      '/rest/api/3/group/member',
      '/rest/api/3/group/member?groupname=marketing&includeInactiveUsers=true&maxResults=2',
    ],
    ['project search', 'GET', '/rest/api/3/project/search', '/rest/api/3/project/search?maxResults=2'],
    ['project roles', 'GET', '/rest/api/3/project/{projectIdOrKey}/role', '/rest/api/3/project/CAL/role'],
    [
      'project role',
      'GET',
      '/rest/api/3/project/{projectIdOrKey}/role/{id}',
      '/rest/api/3/project/MKT/role/10001',
    ],
    [
      'project role (group actor)',
      'GET',
      '/rest/api/3/project/{projectIdOrKey}/role/{id}',
      '/rest/api/3/project/CAL/role/10001',
    ],
    ['site roles', 'GET', '/rest/api/3/role', '/rest/api/3/role'],
    [
      'bulk fetch',
      'POST',
      '/rest/api/3/issue/bulkfetch',
      '/rest/api/3/issue/bulkfetch',
      { issueIdsOrKeys: ['10001', 'CAL-2'], fields: ['summary', 'duedate', 'fixVersions'] },
    ],
    [
      'my permissions',
      'GET',
      '/rest/api/3/mypermissions',
      '/rest/api/3/mypermissions?permissions=ADMINISTER,USER_PICKER',
    ],
    ['group picker', 'GET', '/rest/api/3/groups/picker', '/rest/api/3/groups/picker?query=ing&maxResults=5'],
    [
      'approximate count',
      'POST',
      '/rest/api/3/search/approximate-count',
      '/rest/api/3/search/approximate-count',
      { jql: 'project = CAL' },
    ],
    [
      'permissions',
      'POST',
      '/rest/api/3/permissions/check',
      '/rest/api/3/permissions/check',
      {
        accountId: A.bob,
        projectPermissions: [
          { permissions: ['BROWSE_PROJECTS'], projects: [10000, 10002], issues: [10001, 10017] },
        ],
        globalPermissions: ['ADMINISTER'],
      },
    ],
  ];

  it.each(cases)(
    '%s validates against the 200 response schema',
    async (_name, method, template, url, body) => {
      const response = await call(method, url, body);
      expect(response.status, response.text).toBe(200);
      const validate = responseSchema(method, template);
      const json: unknown = response.json();
      expect(validate(json), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    },
  );

  it('rejects query parameters the operation does not define', async () => {
    const response = await call('GET', '/rest/api/3/field?expand=all');
    expect(response.status).toBe(400);
    expect(response.json().errorMessages[0]).toContain("'expand'");
  });
});

describe('issue search', () => {
  it('returns issue fields shaped like Jira Cloud', async () => {
    const fields =
      'summary,status,assignee,duedate,created,resolution,project,fixVersions,customfield_10020,customfield_10030';
    const { issues } = (await call('GET', search('key in (CAL-2, CAL-4)', `&fields=${fields}`))).json();
    const byKey = Object.fromEntries(issues.map((i: { key: string }) => [i.key, i] as const));
    const cal2 = byKey['CAL-2'].fields;
    expect(cal2.status).toMatchObject({ name: 'Done', statusCategory: { key: 'done' } });
    expect(cal2.assignee).toMatchObject({ accountId: A.bob, displayName: 'Bob Brown', active: true });
    expect(cal2.resolution).toMatchObject({ name: 'Done' });
    expect(cal2.project).toEqual(
      expect.objectContaining({ id: '10000', key: 'CAL', name: 'Calendar Platform' }),
    );
    expect(cal2.fixVersions).toEqual([
      expect.objectContaining({ id: '10100', name: '1.0', released: true, releaseDate: '2026-03-31' }),
    ]);
    expect(cal2.customfield_10020).toEqual([
      expect.objectContaining({
        id: 1,
        state: 'closed',
        boardId: 1,
        completeDate: '2026-01-19T15:12:00.000Z',
      }),
      expect.objectContaining({ id: 2, name: 'CAL Sprint 2' }),
    ]);
    expect(cal2.duedate).toBe('2026-02-13');
    expect(cal2.created).toBe('2026-01-07T10:00:00.000+0100');
    expect(byKey['CAL-4'].fields.customfield_10030).toBe('2026-03-29T01:30:00.000+0100');
    expect(byKey['CAL-4'].fields.customfield_10020).toBeNull();
  });

  it('returns only ids by default and honours *all with exclusions', async () => {
    const ids = (await call('GET', search('key = CAL-1'))).json();
    expect(ids).toEqual({ issues: [{ id: '10001' }], isLast: true });
    const all = (
      await call('POST', '/rest/api/3/search/jql', { jql: 'key = CAL-1', fields: ['*all', '-summary'] })
    ).json();
    expect(Object.keys(all.issues[0].fields)).toContain('customfield_10015');
    expect(Object.keys(all.issues[0].fields)).not.toContain('summary');
  });

  async function pageThrough(jql: string, params: string): Promise<string[]> {
    const seen: string[] = [];
    let token: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const response = await call(
        'GET',
        search(jql, `${params}${token ? `&nextPageToken=${encodeURIComponent(token)}` : ''}`),
      );
      expect(response.status).toBe(200);
      const page = response.json();
      expect(page).not.toHaveProperty('total');
      seen.push(...page.issues.map((i: { id: string }) => i.id));
      if (page.isLast) return seen;
      token = page.nextPageToken;
    }
    throw new Error('paging did not end');
  }

  it('pages through every visible issue exactly once', async () => {
    const seen = await pageThrough(
      'project in (CAL, MKT, OPS) ORDER BY duedate',
      '&fields=summary&maxResults=7',
    );
    expect(seen).toHaveLength(jira.data.issues.length);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('caps pages at 100 issues with fields and 5000 without', async () => {
    const saved = jira.data.issues;
    jira.data.issues = generateIssues(5200, { seed: 11 });
    try {
      const withFields = (
        await call('GET', search('project = CAL', '&fields=summary&maxResults=5000'))
      ).json();
      expect(withFields.issues).toHaveLength(100);
      const seen = await pageThrough('project in (CAL, MKT, OPS)', '&maxResults=10000');
      expect(seen).toHaveLength(5200);
      expect(new Set(seen).size).toBe(5200);
      const count = jira.requests.filter(
        (r) => r.path === '/rest/api/3/search/jql' && r.query.get('maxResults') === '10000',
      );
      expect(count).toHaveLength(2);
    } finally {
      jira.data.issues = saved;
    }
  });

  it('hides issues the app user may not browse', async () => {
    const salary = jira.data.issues.find((issue) => issue.key === 'OPS-1')!;
    const level = salary.securityLevel!;
    salary.securityLevel = { ...level, groups: ['leadership'] };
    try {
      expect((await call('GET', search('key = OPS-1'))).json().issues).toEqual([]);
    } finally {
      salary.securityLevel = level;
    }
    expect((await call('GET', search('key = OPS-1'))).json().issues).toEqual([{ id: salary.id }]);
  });

  it.each([
    ['project = NOPE', "The value 'NOPE' does not exist for the field 'project'."],
    ['nonsense = 1', "Field 'nonsense' does not exist or you do not have permission to view it."],
    ['status WAS Done', 'Error in the JQL Query: '],
    ['ORDER BY key', 'Unbounded JQL queries are not allowed here.'],
  ])('answers 400 with Jira error messages to %j', async (jql, message) => {
    const response = await call('GET', search(jql));
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({ errorMessages: [expect.stringContaining(message)], errors: {} });
  });

  it('answers 400 to an unknown, expired or mismatched page token', async () => {
    const first = (await call('GET', search('project = CAL', '&fields=summary&maxResults=5'))).json();
    expect(first.isLast).toBe(false);
    const next = `&fields=summary&maxResults=5&nextPageToken=${encodeURIComponent(first.nextPageToken)}`;
    expect((await call('GET', search('project = MKT', next))).status).toBe(400);
    expect((await call('GET', search('project = CAL', next))).status).toBe(200);
    jira.faults.expirePageTokens();
    const expired = await call('GET', search('project = CAL', next));
    expect(expired.status).toBe(400);
    expect(expired.json()).toEqual({ errorMessages: [expect.stringMatching(/page token/)], errors: {} });
    expect((await call('GET', search('project = CAL', '&nextPageToken=made-up'))).status).toBe(400);
  });
});

describe('JQL parse endpoint', () => {
  it('reports syntax errors always and value errors by validation mode', async () => {
    const queries = ['project = CAL', 'project = NOPE', 'project ='];
    const parse = async (mode: string): Promise<Json> =>
      (await call('POST', `/rest/api/3/jql/parse?validation=${mode}`, { queries })).json().queries;
    const [strict, warn, none] = await Promise.all([parse('strict'), parse('warn'), parse('none')]);
    expect(strict[0]).toEqual({ query: 'project = CAL' });
    expect(strict[1].errors).toEqual(["The value 'NOPE' does not exist for the field 'project'."]);
    expect(warn[1]).toEqual({
      query: 'project = NOPE',
      warnings: ["The value 'NOPE' does not exist for the field 'project'."],
    });
    expect(none[1]).toEqual({ query: 'project = NOPE' });
    for (const mode of [strict, warn, none]) expect(mode[2].errors[0]).toMatch(/^Error in the JQL Query: /);
  });
});

describe('users, groups, projects and permissions', () => {
  it('answers 403 on project roles without the PROJECT_ADMIN grant', async () => {
    jira.data.appHasProjectAdmin = false;
    expect((await call('GET', '/rest/api/3/project/CAL/role')).status).toBe(403);
    expect((await call('GET', '/rest/api/3/project/CAL/role/10001')).status).toBe(403);
  });

  it('answers 403 to operations outside the scopes the descriptor asked for', async () => {
    const secret = 'q'.repeat(48);
    const readOnly = await FakeJira.start({ sharedSecret: secret, scopes: ['READ', 'PROJECT_ADMIN'] });
    try {
      const get = async (pathAndQuery: string) => {
        const url = `${readOnly.baseUrl}${pathAndQuery}`;
        const authorization = signAppRequest({ method: 'GET', url, appKey: APP_KEY, sharedSecret: secret });
        return (await fetch(url, { headers: { authorization } })).status;
      };
      expect(await get('/rest/api/3/group/member?groupname=marketing')).toBe(403);
      expect(await get('/rest/api/3/role')).toBe(403);
      expect(await get('/rest/api/3/project/CAL/role/10001')).toBe(200);
    } finally {
      await readOnly.stop();
    }
  });

  it('takes OAuth bearer tokens only through the gateway path of its own cloud id, within their scopes and lifetime', async () => {
    const site = await FakeJira.start();
    try {
      const get = async (path: string, token: string) =>
        (await fetch(`${site.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
      const later = new Date(Date.now() + 60_000);
      site.acceptBearer('read-only', { scopes: ['read:jira-work', 'read:jira-user'], expiresAt: later });
      site.acceptBearer('granular', {
        scopes: ['read:group:jira', 'read:user:jira', 'read:avatar:jira'],
        expiresAt: later,
      });
      site.acceptBearer('expired', { scopes: ['read:jira-work'], expiresAt: new Date(Date.now() - 1_000) });
      const gateway = `/ex/jira/${site.cloudId}`;
      expect(await get(`${gateway}/rest/api/3/field`, 'read-only')).toBe(200);
      expect(await get(`${gateway}/rest/api/3/group/member?groupname=marketing`, 'read-only')).toBe(403);
      expect(await get(`${gateway}/rest/api/3/group/member?groupname=marketing`, 'granular')).toBe(200);
      expect(await get(`${gateway}/rest/api/3/field`, 'granular')).toBe(403);
      expect(await get(`${gateway}/rest/api/3/field`, 'expired')).toBe(401);
      expect(await get(`${gateway}/rest/api/3/field`, 'never-minted')).toBe(401);
      expect(await get(`/ex/jira/${randomUUID()}/rest/api/3/field`, 'read-only')).toBe(404);
      // A bearer token is no Connect JWT: the site path still wants a signed JWT.
      expect(await get('/rest/api/3/field', 'read-only')).toBe(401);
      // A user token answers about its own user; a system token about the app user.
      site.acceptBearer('as-alice', { scopes: ['read:jira-work'], expiresAt: later, accountId: A.alice });
      site.acceptBearer('as-bob', { scopes: ['read:jira-work'], expiresAt: later, accountId: A.bob });
      const admin = async (token: string) =>
        (
          (await (
            await fetch(`${site.baseUrl}${gateway}/rest/api/3/mypermissions?permissions=ADMINISTER`, {
              headers: { authorization: `Bearer ${token}` },
            })
          ).json()) as { permissions: { ADMINISTER: { havePermission: boolean } } }
        ).permissions.ADMINISTER.havePermission;
      expect(await admin('as-alice')).toBe(true);
      expect(await admin('as-bob')).toBe(false);
      site.revokeBearers();
      expect(await get(`${gateway}/rest/api/3/field`, 'read-only')).toBe(401);
    } finally {
      await site.stop();
    }
  });

  it('counts matching issues the app may browse', async () => {
    const count = async (jql: string): Promise<Json> =>
      (await call('POST', '/rest/api/3/search/approximate-count', { jql })).json();
    expect(await count('project = MKT')).toEqual({
      count: jira.data.issues.filter((issue) => issue.projectKey === 'MKT').length,
    });
    expect((await call('POST', '/rest/api/3/search/approximate-count', { jql: 'ORDER BY key' })).status).toBe(
      400,
    );
  });

  it('lists project role actors, users and groups', async () => {
    const roles = (await call('GET', '/rest/api/3/project/CAL/role')).json();
    expect(roles['Developers']).toBe(`${jira.baseUrl}/rest/api/3/project/10000/role/10001`);
    const mkt = (await call('GET', '/rest/api/3/project/MKT/role/10001?excludeInactiveUsers=true')).json();
    expect(mkt.actors.map((a: { actorUser?: { accountId: string } }) => a.actorUser?.accountId)).toEqual([
      A.chloe,
    ]);
    const cal = (await call('GET', '/rest/api/3/project/CAL/role/10001')).json();
    expect(cal.actors).toEqual([
      expect.objectContaining({ type: 'atlassian-group-role-actor', name: 'engineering' }),
    ]);
    expect((await call('GET', '/rest/api/3/project/NOPE/role')).status).toBe(404);
  });

  it('pages group members and leaves inactive users out unless asked', async () => {
    const active = (await call('GET', '/rest/api/3/group/member?groupname=marketing')).json();
    expect(active.values.map((u: { accountId: string }) => u.accountId).sort()).toEqual(
      [A.chloe, A.farah].sort(),
    );
    const first = (
      await call('GET', '/rest/api/3/group/member?groupname=marketing&includeInactiveUsers=true&maxResults=2')
    ).json();
    expect(first).toMatchObject({ startAt: 0, maxResults: 2, total: 3, isLast: false });
    expect(first.nextPage).toContain('startAt=2');
    expect((await call('GET', '/rest/api/3/group/member?groupname=nobody')).status).toBe(404);
  });

  it('grants BROWSE_PROJECTS through roles, groups and issue security', async () => {
    const check = async (accountId: string): Promise<Json> =>
      (
        await call('POST', '/rest/api/3/permissions/check', {
          accountId,
          projectPermissions: [
            { permissions: ['BROWSE_PROJECTS'], projects: [10000, 10001, 10002], issues: [10001, 10017] },
          ],
          globalPermissions: ['ADMINISTER'],
        })
      ).json();
    // OPS-1 (10017) has a security level: dmitri and the leadership group only.
    expect(await check(A.bob)).toEqual({
      projectPermissions: [
        { permission: 'BROWSE_PROJECTS', projects: [10000, 10001, 10002], issues: [10001] },
      ],
      globalPermissions: [],
    });
    expect((await check(A.chloe)).projectPermissions[0]).toMatchObject({ projects: [10001], issues: [] });
    expect((await check(A.alice)).projectPermissions[0]).toMatchObject({
      projects: [10000, 10001],
      issues: [10001],
    });
    expect((await check(A.dmitri)).projectPermissions[0]).toMatchObject({
      projects: [10000, 10001, 10002],
      issues: [10001, 10017],
    });
    expect((await check(A.alice)).globalPermissions).toEqual(['ADMINISTER']);
    expect((await check(A.eve)).projectPermissions[0]).toMatchObject({ projects: [], issues: [] });
  });
});

describe('fault injection and the request log', () => {
  it('fails the next calls with 429 and Retry-After, then recovers', async () => {
    jira.faults.failNext(2, { status: 429, retryAfterSeconds: 3 });
    const first = await call('GET', '/rest/api/3/serverInfo');
    const second = await call('GET', '/rest/api/3/serverInfo');
    expect([first.status, second.status]).toEqual([429, 429]);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(first.json().errorMessages).toHaveLength(1);
    expect((await call('GET', '/rest/api/3/serverInfo')).status).toBe(200);
  });

  it('serves 500 and 503 in the order they were queued', async () => {
    jira.faults.failNext(1, { status: 500 });
    jira.faults.failNext(1, { status: 503 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/rest/api/3/myself')).status);
    expect(statuses).toEqual([500, 503, 200]);
  });

  it('truncates the JSON body with malformedJson', async () => {
    jira.faults.failNext(1, { malformedJson: true });
    const response = await call('GET', '/rest/api/3/field');
    expect(response.status).toBe(200);
    expect(() => void JSON.parse(response.text)).toThrow();
  });

  it('drops the connection after hangMs and answers normally after delayMs', async () => {
    jira.faults.failNext(1, { hangMs: 20 });
    await expect(call('GET', '/rest/api/3/myself')).rejects.toThrow();
    expect(jira.requests.at(-1)).toMatchObject({ path: '/rest/api/3/myself', status: 0 });
    jira.faults.failNext(1, { delayMs: 20 });
    expect((await call('GET', '/rest/api/3/myself')).status).toBe(200);
  });

  it('records method, path, query, body and status of each call', async () => {
    jira.requests = [];
    await call('GET', search('project = CAL', '&fields=summary'));
    await call('POST', '/rest/api/3/jql/parse?validation=none', { queries: ['project = CAL'] });
    await fetch(`${jira.baseUrl}/rest/api/3/field`);
    expect(jira.requests).toHaveLength(3);
    expect(jira.requests[0]).toMatchObject({ method: 'GET', path: '/rest/api/3/search/jql', status: 200 });
    expect(jira.requests[0]!.query.get('jql')).toBe('project = CAL');
    expect(jira.requests[1]).toMatchObject({
      method: 'POST',
      body: { queries: ['project = CAL'] },
      status: 200,
    });
    expect(jira.requests[2]).toMatchObject({ path: '/rest/api/3/field', status: 401 });
  });
});
