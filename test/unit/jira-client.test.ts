import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createQueryStringHash, decodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from 'atlassian-jwt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connectJiraAuth } from '../../src/doors/connect/connect-jira-auth.js';
import { JiraClient, type JiraClientOptions } from '../../src/jira/cloud/cloud-jira-client.js';
import { withJiraBudget } from '../../src/jira/jira-budget.js';
import { JiraError } from '../../src/jira/jira-error.js';
import { TenantPacer } from '../../src/jira/pacer.js';

const SHARED_SECRET = 'shared-secret-for-tenant-a-0123456789';
const APP_KEY = 'com.example.calendar-sync';
const CLIENT_KEY = 'tenant-a';
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

type Received = { method: string; url: string; headers: IncomingHttpHeaders; body: string };
type Reply =
  { status?: number; json?: unknown; raw?: string; headers?: Record<string, string> } | 'hang' | 'destroy';

const servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A loopback HTTP server standing in for Jira; `route` decides each reply from what was received. */
async function startJira(route: (request: Received, index: number) => Reply, basePath = '') {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      const reply = route(request, received.length - 1);
      if (reply === 'hang') return;
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.raw ?? JSON.stringify(reply.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle = {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return { baseUrl: `http://127.0.0.1:${port}${basePath}`, received };
}

/** Replies in order; the last one repeats. */
function inOrder(...replies: Reply[]) {
  return (_request: Received, index: number): Reply => replies[Math.min(index, replies.length - 1)]!;
}

class RecordingPacer extends TenantPacer {
  readonly takes: string[] = [];
  readonly pauses: { clientKey: string; until: number }[] = [];
  override take(clientKey: string, signal?: AbortSignal): Promise<void> {
    this.takes.push(clientKey);
    return super.take(clientKey, signal);
  }
  override pauseUntil(clientKey: string, epochMs: number): void {
    this.pauses.push({ clientKey, until: epochMs });
    super.pauseUntil(clientKey, epochMs);
  }
}

function makeClient(baseUrl: string, options: Partial<JiraClientOptions> = {}) {
  let now = T0;
  const sleeps: number[] = [];
  const pacerSleeps: number[] = [];
  const logs: Record<string, unknown>[] = [];
  const rawLog: string[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        rawLog.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  const pacer = new RecordingPacer({
    requestsPerSecond: 1000,
    burst: 100,
    now: () => now,
    sleep: (ms) => {
      pacerSleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  });
  const client = new JiraClient(
    {
      clientKey: CLIENT_KEY,
      auth: connectJiraAuth({ baseUrl, sharedSecret: SHARED_SECRET }, { appKey: APP_KEY, now: () => now }),
    },
    {
      pacer,
      logger,
      now: () => now,
      sleep: (ms) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
      random: () => 0.5,
      ...options,
    },
  );
  return { client, sleeps, pacerSleeps, pacer, logs, rawLog, now: () => now };
}

type Claims = { iss: string; iat: number; exp: number; qsh: string };

/** Checks the JWT of a received request the way Jira would, against the URL the server actually saw. */
function verifyJwt(request: Received, siteBaseUrl: string): Claims {
  const authorization = request.headers.authorization ?? '';
  expect(authorization).toMatch(/^JWT [\w-]+\.[\w-]+\.[\w-]+$/);
  const token = authorization.slice('JWT '.length);
  expect(() => {
    decodeSymmetric(token, 'some-other-secret', SymmetricAlgorithm.HS256);
  }).toThrow();
  const claims = decodeSymmetric(token, SHARED_SECRET, SymmetricAlgorithm.HS256) as Claims;
  expect(claims.qsh).toBe(
    createQueryStringHash(fromMethodAndUrl(request.method, request.url), false, siteBaseUrl),
  );
  return claims;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function queryOf(request: Received): URLSearchParams {
  return new URL(request.url, 'http://jira.invalid').searchParams;
}

async function collect<T>(pages: AsyncGenerator<T[]>): Promise<T[][]> {
  const all: T[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

async function failureOf(promise: Promise<unknown>): Promise<JiraError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(JiraError);
  return error as JiraError;
}

describe('JiraClient signing', () => {
  it('signs each request as the app with a qsh relative to the site base path', async () => {
    const jira = await startJira(() => ({ json: { groups: [] } }), '/jira');
    const { client } = makeClient(jira.baseUrl);
    const query = 'team "a&b" ~x';

    await client.findGroups(query, 25);

    const [request] = jira.received;
    expect(request!.url.startsWith('/jira/rest/api/3/groups/picker?')).toBe(true);
    expect(request!.headers.accept).toBe('application/json');
    const claims = verifyJwt(request!, jira.baseUrl);
    expect(claims.iss).toBe(APP_KEY);
    expect(claims.iat).toBe(T0 / 1000);
    expect(claims.exp).toBe(T0 / 1000 + 180);
    expect(claims.qsh).toBe(
      sha256('GET&/rest/api/3/groups/picker&maxResults=25&query=team%20%22a%26b%22%20~x'),
    );
    expect(queryOf(request!).get('query')).toBe(query);
  });

  it('searches with POST, the JQL in the body, so a query near the 10,000-character limit still fits', async () => {
    const jira = await startJira(() => ({ json: { isLast: true, issues: [] } }), '/jira');
    const { client } = makeClient(jira.baseUrl);
    const jql = `project = CAL AND (${Array.from({ length: 700 }, (_, i) => `summary ~ "w${i}"`).join(' OR ')})`;
    expect(jql.length).toBeGreaterThan(9_900);

    await collect(client.searchPages({ jql, fields: ['summary', 'duedate'], pageSize: 25 }));

    const [request] = jira.received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/jira/rest/api/3/search/jql');
    expect(JSON.parse(request!.body)).toEqual({ jql, fields: ['summary', 'duedate'], maxResults: 25 });
    expect(verifyJwt(request!, jira.baseUrl).qsh).toBe(sha256('POST&/rest/api/3/search/jql&'));
  });

  it('signs POSTs over method, path and query, sending the body as JSON', async () => {
    const jira = await startJira(() => ({
      json: {
        queries: [
          { query: 'project = CAL', structure: { where: {} } },
          { query: 'bad', errors: ['Oops'] },
        ],
      },
    }));
    const { client } = makeClient(jira.baseUrl);

    const parsed = await client.parseJql(['project = CAL', 'bad']);

    const [request] = jira.received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/rest/api/3/jql/parse?validation=strict');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({ queries: ['project = CAL', 'bad'] });
    expect(verifyJwt(request!, jira.baseUrl).qsh).toBe(
      sha256('POST&/rest/api/3/jql/parse&validation=strict'),
    );
    expect(parsed).toEqual([
      { query: 'project = CAL', structure: { where: {} }, errors: [], warnings: [] },
      { query: 'bad', errors: ['Oops'], warnings: [] },
    ]);
  });
});

describe('JiraClient paging', () => {
  it('follows nextPageToken until a page has none, sending the fields as a comma list', async () => {
    const issue = (id: number) => ({
      id: String(id),
      key: `CAL-${id}`,
      self: `https://x.atlassian.net/rest/api/3/issue/${id}`,
      fields: { summary: `Issue ${id}`, duedate: '2025-02-01', customfield_10015: null },
    });
    const jira = await startJira((request) => {
      const token = (JSON.parse(request.body) as { nextPageToken?: string }).nextPageToken ?? null;
      if (token === null)
        return { json: { issues: [issue(1), issue(2)], nextPageToken: 'tok-2', isLast: false } };
      if (token === 'tok-2') return { json: { issues: [issue(3), issue(4)], nextPageToken: 'tok/3+=' } };
      if (token === 'tok/3+=') return { json: { issues: [issue(5)] } };
      return { status: 400, json: { errorMessages: [`unknown token ${token}`] } };
    });
    const { client } = makeClient(jira.baseUrl);

    const pages = await collect(
      client.searchPages({
        jql: 'project = CAL',
        fields: ['summary', 'duedate', 'customfield_10015'],
        pageSize: 2,
      }),
    );

    expect(pages.map((page) => page.map((item) => item.key))).toEqual([
      ['CAL-1', 'CAL-2'],
      ['CAL-3', 'CAL-4'],
      ['CAL-5'],
    ]);
    expect(pages[0]![0]!.fields).toEqual({
      summary: 'Issue 1',
      duedate: '2025-02-01',
      customfield_10015: null,
    });
    const bodies = jira.received.map((request) => JSON.parse(request.body) as Record<string, unknown>);
    expect(bodies.map((body) => body['nextPageToken'] ?? null)).toEqual([null, 'tok-2', 'tok/3+=']);
    for (const [i, request] of jira.received.entries()) {
      expect(bodies[i]).toMatchObject({ fields: ['summary', 'duedate', 'customfield_10015'], maxResults: 2 });
      verifyJwt(request, jira.baseUrl);
    }
  });

  it('stops at isLast even when a token is present, and refuses a token it has already followed', async () => {
    const lastWithToken = await startJira(() => ({
      json: { issues: [{ id: '1', key: 'A-1' }], isLast: true, nextPageToken: 'x' },
    }));
    const first = makeClient(lastWithToken.baseUrl);
    const pages = await collect(first.client.searchPages({ jql: 'project = A', fields: ['summary'] }));
    expect(pages).toEqual([[{ id: '1', key: 'A-1', fields: {} }]]);
    expect(lastWithToken.received).toHaveLength(1);

    const looping = await startJira(() => ({
      json: { issues: [{ id: '1', key: 'A-1' }], nextPageToken: 'same' },
    }));
    const second = makeClient(looping.baseUrl);
    const error = await failureOf(
      collect(second.client.searchPages({ jql: 'project = A', fields: ['summary'] })),
    );
    expect(error.code).toBe('jira_bad_response');
    expect(looping.received).toHaveLength(2);
  });

  it('never asks for all fields', async () => {
    const jira = await startJira(() => ({ json: { issues: [] } }));
    const { client } = makeClient(jira.baseUrl);
    await expect(collect(client.searchPages({ jql: 'project = A', fields: ['*all'] }))).rejects.toThrow(
      TypeError,
    );
    await expect(collect(client.searchPages({ jql: 'project = A', fields: [] }))).rejects.toThrow(TypeError);
    expect(jira.received).toHaveLength(0);
  });

  it('pages projects until isLast', async () => {
    const project = (id: number) => ({
      id: String(id),
      key: `P${id}`,
      name: `Project ${id}`,
      projectTypeKey: 'software',
    });
    const jira = await startJira((request) =>
      queryOf(request).get('startAt') === '0'
        ? { json: { startAt: 0, maxResults: 2, total: 3, isLast: false, values: [project(1), project(2)] } }
        : { json: { startAt: 2, maxResults: 2, total: 3, isLast: true, values: [project(3)] } },
    );
    const pages = await collect(makeClient(jira.baseUrl).client.listProjects());
    expect(pages.flat().map((p) => p.key)).toEqual(['P1', 'P2', 'P3']);
    expect(jira.received.map((request) => new URL(request.url, 'http://x').pathname)).toEqual([
      '/rest/api/3/project/search',
      '/rest/api/3/project/search',
    ]);
  });
});

describe('JiraClient endpoints', () => {
  it('reads project roles: ids from the role URLs, actors split into users and groups', async () => {
    const jira = await startJira((request) => {
      if (request.url === '/rest/api/3/project/CAL/role') {
        return {
          json: {
            Administrators: 'https://x.atlassian.net/rest/api/3/project/CAL/role/10002',
            Developers: 'https://x.atlassian.net/rest/api/3/project/CAL/role/10000',
          },
        };
      }
      return {
        json: {
          id: 10000,
          name: 'Developers',
          self: 'https://x.atlassian.net/rest/api/3/project/CAL/role/10000',
          actors: [
            {
              id: 10240,
              displayName: 'jira-developers',
              type: 'atlassian-group-role-actor',
              name: 'jira-developers',
              actorGroup: { displayName: 'jira-developers', groupId: '952d12c3', name: 'jira-developers' },
            },
            {
              id: 10241,
              displayName: 'Mia',
              type: 'atlassian-user-role-actor',
              actorUser: { accountId: '5b10a284' },
            },
          ],
        },
      };
    });
    const { client } = makeClient(jira.baseUrl);

    expect(await client.getProjectRoles('CAL')).toEqual([
      { name: 'Administrators', id: '10002' },
      { name: 'Developers', id: '10000' },
    ]);
    expect(await client.getProjectRole('CAL', '10000')).toEqual({
      id: '10000',
      name: 'Developers',
      actors: {
        users: [{ accountId: '5b10a284' }],
        groups: [{ name: 'jira-developers', groupId: '952d12c3' }],
      },
    });
    expect(new URL(jira.received[1]!.url, 'http://x').pathname).toBe('/rest/api/3/project/CAL/role/10000');
    jira.received.forEach((request) => verifyJwt(request, jira.baseUrl));
  });

  it('returns null for an unknown user and maps groups', async () => {
    const jira = await startJira((request) => {
      const path = new URL(request.url, 'http://x').pathname;
      if (path === '/rest/api/3/user')
        return { status: 404, json: { errorMessages: ['User does not exist'] } };
      return {
        json: [
          {
            groupId: '276f955c',
            name: 'jira-administrators',
            self: 'https://x/rest/api/3/group?groupId=276f955c',
          },
          { groupId: null, name: 'legacy-group' },
        ],
      };
    });
    const { client } = makeClient(jira.baseUrl);

    expect(await client.getUser('nobody')).toBeNull();
    expect(await client.getUserGroups('5b10a284')).toEqual([
      { groupId: '276f955c', name: 'jira-administrators' },
      { name: 'legacy-group' },
    ]);
    expect(jira.received.map((request) => queryOf(request).get('accountId'))).toEqual(['nobody', '5b10a284']);
    expect(jira.received).toHaveLength(2);
  });

  it('checks permissions with the request body as given', async () => {
    const jira = await startJira(() => ({
      json: {
        globalPermissions: ['ADMINISTER'],
        projectPermissions: [{ issues: [10010, 10013], permission: 'BROWSE_PROJECTS', projects: [10001] }],
      },
    }));
    const { client } = makeClient(jira.baseUrl);
    const body = {
      accountId: '5b10a284',
      projectPermissions: [{ permissions: ['BROWSE_PROJECTS'], projects: [10001] }],
    };

    const grants = await client.checkPermissions(body);

    expect(JSON.parse(jira.received[0]!.body)).toEqual(body);
    expect(jira.received[0]!.url).toBe('/rest/api/3/permissions/check');
    expect(grants).toEqual({
      globalPermissions: ['ADMINISTER'],
      projectPermissions: [{ issues: [10010, 10013], permission: 'BROWSE_PROJECTS', projects: [10001] }],
    });
  });

  it('parses fields, myself, server info and filters, keeping the extra properties Jira sends', async () => {
    const replies: Record<string, unknown> = {
      '/rest/api/3/field': [
        {
          clauseNames: ['duedate'],
          custom: false,
          id: 'duedate',
          key: 'duedate',
          name: 'Due date',
          navigable: true,
          orderable: true,
          schema: { system: 'duedate', type: 'date' },
          searchable: true,
        },
        { id: 'issuekey', key: 'issuekey', name: 'Key', custom: false, clauseNames: ['id', 'issue', 'key'] },
      ],
      '/rest/api/3/myself': {
        accountId: 'app-user',
        accountType: 'app',
        active: true,
        displayName: 'Calendar Sync',
        timeZone: 'UTC',
      },
      '/rest/api/3/serverInfo': {
        baseUrl: 'https://x.atlassian.net',
        version: '1001.0.0',
        deploymentType: 'Cloud',
        serverTimeZone: 'UTC',
      },
      '/rest/api/3/filter/10000': {
        id: '10000',
        name: 'All Open Bugs',
        jql: 'type = Bug and resolution is empty',
        favourite: true,
        owner: { accountId: 'x' },
      },
    };
    const jira = await startJira((request) => ({
      json: replies[request.url] ?? {},
      status: request.url in replies ? 200 : 404,
    }));
    const { client } = makeClient(jira.baseUrl);

    const fields = await client.getFields();
    expect(fields.map((field) => [field.id, field.schema?.type])).toEqual([
      ['duedate', 'date'],
      ['issuekey', undefined],
    ]);
    expect((await client.getMyself()).accountId).toBe('app-user');
    const info = await client.getServerInfo();
    expect(info.baseUrl).toBe('https://x.atlassian.net');
    expect(info['serverTimeZone']).toBe('UTC');
    expect(await client.getFilter('10000')).toEqual({
      id: '10000',
      name: 'All Open Bugs',
      jql: 'type = Bug and resolution is empty',
    });
  });
});

describe('JiraClient retries', () => {
  it('honours Retry-After on 429 (seconds and HTTP date), pausing the tenant and re-signing each attempt', async () => {
    const retryAt = new Date(T0 + 2_000 + 5_000).toUTCString();
    const jira = await startJira(
      inOrder(
        { status: 429, headers: { 'retry-after': '2' }, json: { errorMessages: ['Rate limit exceeded.'] } },
        { status: 429, headers: { 'retry-after': retryAt } },
        { json: { accountId: 'app-user' } },
      ),
    );
    const { client, sleeps, pacerSleeps, pacer } = makeClient(jira.baseUrl);

    expect((await client.getMyself()).accountId).toBe('app-user');

    expect(sleeps).toEqual([2_000, 5_000]);
    expect(pacer.pauses).toEqual([
      { clientKey: CLIENT_KEY, until: T0 + 2_000 },
      { clientKey: CLIENT_KEY, until: T0 + 7_000 },
    ]);
    expect(pacer.takes).toEqual([CLIENT_KEY, CLIENT_KEY, CLIENT_KEY]);
    expect(pacerSleeps).toEqual([]);
    const issuedAt = jira.received.map((request) => verifyJwt(request, jira.baseUrl).iat);
    expect(issuedAt).toEqual([T0 / 1000, T0 / 1000 + 2, T0 / 1000 + 7]);
  });

  it('never retries before a long Retry-After: it gives up at once with the wait, leaving the tenant paused', async () => {
    const jira = await startJira(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const { client, sleeps, pacer } = makeClient(jira.baseUrl, { maxRetries: 5, maxRetryAfterMs: 60_000 });

    const error = await failureOf(client.getServerInfo());

    expect(jira.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(pacer.pauses).toEqual([{ clientKey: CLIENT_KEY, until: T0 + 120_000 }]);
    expect(error).toMatchObject({
      jiraStatus: 429,
      code: 'jira_rate_limited',
      retryable: true,
      retryAfterMs: 120_000,
    });
  });

  it('waits out a Retry-After it may sit out itself, to the millisecond, then succeeds', async () => {
    const jira = await startJira(
      inOrder(
        { status: 429, headers: { 'retry-after': '45' } },
        { json: { baseUrl: 'https://x.atlassian.net' } },
      ),
    );
    const { client, sleeps } = makeClient(jira.baseUrl, { maxRetryAfterMs: 60_000 });

    await client.getServerInfo();

    expect(sleeps).toEqual([45_000]);
    expect(jira.received).toHaveLength(2);
  });

  it('under a request budget answers at once with the wait instead of sitting out Retry-After', async () => {
    const jira = await startJira(() => ({ status: 429, headers: { 'retry-after': '30' } }));
    const { client, sleeps, now } = makeClient(jira.baseUrl);

    const error = await failureOf(withJiraBudget(5_000, () => client.getServerInfo(), now));

    expect(jira.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(error.retryAfterMs).toBe(30_000);
    // The site stays paused: the next budgeted call does not even ask Jira.
    const paced = await failureOf(withJiraBudget(5_000, () => client.getServerInfo(), now));
    expect(jira.received).toHaveLength(1);
    expect(paced).toMatchObject({ code: 'jira_rate_limited', retryAfterMs: 30_000 });
  });

  it('under a request budget gives a silent Jira no more than the budget, in one attempt', async () => {
    const jira = await startJira(() => 'hang');
    const { client } = makeClient(jira.baseUrl, { now: Date.now, requestTimeoutMs: 30_000 });

    const error = await failureOf(withJiraBudget(300, () => client.getServerInfo()));

    expect(jira.received).toHaveLength(1);
    expect(error).toMatchObject({ code: 'jira_unavailable', retryable: true });
    expect(error.message).toMatch(/no answer within (\d{1,3}) ms/);
  });

  it('holds the site off until X-RateLimit-Reset when Jira says no points are left', async () => {
    const reset = new Date(T0 + 90_000).toISOString();
    const jira = await startJira(() => ({
      json: { baseUrl: 'https://x.atlassian.net' },
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': reset,
        'ratelimit-reason': 'jira-quota-global-based',
      },
    }));
    const { client, pacer } = makeClient(jira.baseUrl);

    await client.getServerInfo();

    expect(pacer.pauses).toEqual([{ clientKey: CLIENT_KEY, until: T0 + 90_000 }]);
  });

  it('honours Retry-After on 503 and backs off exponentially when a 503 has no readable one', async () => {
    const jira = await startJira(
      inOrder(
        { status: 503, headers: { 'retry-after': '3' } },
        { status: 503, headers: { 'retry-after': 'later' } },
        { status: 503 },
        { json: { baseUrl: 'https://x.atlassian.net' } },
      ),
    );
    const { client, sleeps } = makeClient(jira.baseUrl, { baseBackoffMs: 1_000 });

    await client.getServerInfo();

    expect(sleeps).toEqual([3_000, 1_000, 2_000]);
    expect(jira.received).toHaveLength(4);
  });

  it('retries 500 then succeeds, with full-jitter backoff drawn from the injected random', async () => {
    const jira = await startJira(
      inOrder({ status: 500, raw: '<html>oops</html>' }, { status: 502 }, { json: [] }),
    );
    const draws = [0.25, 0.75];
    const { client, sleeps, pacer } = makeClient(jira.baseUrl, {
      baseBackoffMs: 400,
      random: () => draws.shift() ?? 0,
    });

    expect(await client.getFields()).toEqual([]);

    expect(sleeps).toEqual([100, 600]);
    expect(pacer.takes).toHaveLength(3);
    expect(pacer.pauses).toEqual([]);
  });

  it('caps the backoff at maxBackoffMs and reports the last 5xx after maxRetries', async () => {
    const jira = await startJira(() => ({ status: 500, json: { errorMessages: ['Internal server error'] } }));
    const { client, sleeps } = makeClient(jira.baseUrl, {
      baseBackoffMs: 500,
      maxBackoffMs: 3_000,
      random: () => 0.5,
    });

    const error = await failureOf(client.getFields());

    expect(sleeps).toEqual([250, 500, 1_000, 1_500, 1_500]);
    expect(jira.received).toHaveLength(6);
    expect(error).toMatchObject({
      jiraStatus: 500,
      code: 'jira_unavailable',
      retryable: true,
      jiraMessages: ['Internal server error'],
    });
  });

  it('fails fast on 400 keeping Jira messages verbatim and no query in the request info', async () => {
    const jira = await startJira(() => ({
      status: 400,
      json: {
        errorMessages: ["Field 'duedatee' does not exist or you do not have permission to view it."],
        errors: { jql: "The value 'CAL\"' does not exist for the field 'project'." },
      },
    }));
    const { client, sleeps } = makeClient(jira.baseUrl);

    const error = await failureOf(
      collect(client.searchPages({ jql: 'project = CAL"', fields: ['duedatee'] })),
    );

    expect(jira.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(error).toMatchObject({ jiraStatus: 400, code: 'jira_error', retryable: false });
    expect(error.jiraMessages).toEqual([
      "Field 'duedatee' does not exist or you do not have permission to view it.",
      "The value 'CAL\"' does not exist for the field 'project'.",
    ]);
    expect(error.request).toEqual({ method: 'POST', path: '/rest/api/3/search/jql', dialect: 'cloud' });
    expect(error.message).toContain("Field 'duedatee' does not exist");
  });

  it('maps 401 and 403 to their own codes without retrying', async () => {
    const jira = await startJira(
      inOrder({ status: 401, raw: '' }, { status: 403, json: { errorMessages: ['No access'] } }),
    );
    const { client } = makeClient(jira.baseUrl);

    expect(await failureOf(client.getMyself())).toMatchObject({
      jiraStatus: 401,
      code: 'jira_unauthorized',
      retryable: false,
      jiraMessages: [],
    });
    expect(await failureOf(client.getMyself())).toMatchObject({
      jiraStatus: 403,
      code: 'jira_forbidden',
      jiraMessages: ['No access'],
    });
    expect(jira.received).toHaveLength(2);
  });

  it('treats malformed JSON and unexpected shapes as a retryable jira_bad_response', async () => {
    const malformed = await startJira(() => ({ raw: '{"accountId": "app-us' }));
    const first = makeClient(malformed.baseUrl, { maxRetries: 2 });
    const error = await failureOf(first.client.getMyself());
    expect(error).toMatchObject({ jiraStatus: 502, code: 'jira_bad_response', retryable: true });
    expect(malformed.received).toHaveLength(3);
    expect(first.sleeps).toHaveLength(2);

    const wrongShape = await startJira(
      inOrder({ json: { displayName: 'no account id' } }, { json: { accountId: 'app-user' } }),
    );
    const second = makeClient(wrongShape.baseUrl);
    expect(await second.client.getMyself()).toMatchObject({ accountId: 'app-user' });
    expect(wrongShape.received).toHaveLength(2);
  });

  it('times out a request Jira never answers and retries it', async () => {
    const jira = await startJira(() => 'hang');
    const { client } = makeClient(jira.baseUrl, { requestTimeoutMs: 50, maxRetries: 1 });

    const error = await failureOf(client.getServerInfo());

    expect(error).toMatchObject({ jiraStatus: 504, code: 'jira_unavailable', retryable: true });
    expect(jira.received).toHaveLength(2);
  });

  it('retries after the connection is dropped', async () => {
    const jira = await startJira(inOrder('destroy', { json: { baseUrl: 'https://x.atlassian.net' } }));
    const { client, sleeps, logs } = makeClient(jira.baseUrl);

    expect((await client.getServerInfo()).baseUrl).toBe('https://x.atlassian.net');
    expect(jira.received).toHaveLength(2);
    expect(sleeps).toEqual([250]);
    expect(logs.find((line) => line['level'] === 40)).toMatchObject({
      status: 503,
      code: 'jira_unavailable',
    });
  });

  it('stops at once when the caller aborts', async () => {
    const jira = await startJira(() => ({ status: 500 }));
    const controller = new AbortController();
    const { client, sleeps } = makeClient(jira.baseUrl, {
      sleep: (ms) => {
        sleeps.push(ms);
        controller.abort(new Error('sync cancelled'));
        return Promise.resolve();
      },
    });

    await expect(
      collect(client.searchPages({ jql: 'project = A', fields: ['summary'], signal: controller.signal })),
    ).rejects.toThrow('sync cancelled');
    expect(jira.received).toHaveLength(1);
  });
});

describe('JiraClient logging', () => {
  it('logs one debug line per request and a warning per retry, without the token or query values', async () => {
    const jira = await startJira(
      inOrder({ status: 503, headers: { 'retry-after': '1' } }, { json: { issues: [] } }),
    );
    const { client, logs, rawLog } = makeClient(jira.baseUrl);

    await collect(client.searchPages({ jql: 'summary ~ "secret-plan"', fields: ['summary'] }));

    const debug = logs.filter((line) => line['level'] === 20);
    expect(debug.map((line) => [line['method'], line['path'], line['status'], line['attempt']])).toEqual([
      ['POST', '/rest/api/3/search/jql', 503, 1],
      ['POST', '/rest/api/3/search/jql', 200, 2],
    ]);
    expect(debug.every((line) => typeof line['ms'] === 'number')).toBe(true);
    const warnings = logs.filter((line) => line['level'] === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ status: 503, attempt: 1, delayMs: 1_000 });

    const token = (jira.received[0]!.headers.authorization ?? '').slice('JWT '.length);
    const everything = rawLog.join('');
    expect(token.length).toBeGreaterThan(20);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('eyJ');
    expect(everything).not.toContain('secret-plan');
    expect(everything).not.toContain(SHARED_SECRET);
  });
});
