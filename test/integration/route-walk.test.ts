import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInThroughJira } from '../support/datacenter.js';
import {
  type ApiClient,
  type DoorApp,
  forgeApi,
  type InstalledSite,
  installConnect,
  startDoorApp,
} from '../support/doors.js';
import { FakeForge, type FakeForgeInstallation } from '../support/fake-forge/fake-forge.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { examplePath, type MountedRoute, mountedRoutes } from '../support/mounted-routes.js';
import { everyStoredRow } from '../support/stored-rows.js';
import { ADMIN, NON_ADMIN, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';

/**
 * Routes anyone may call, each with the reason. Patterns are `METHOD path` as Express spells the route;
 * a trailing `*` covers everything below.
 */
const OPEN: Record<string, string> = {
  'GET /ical/:token':
    'a capability URL: the unguessable, revocable token is the credential; an unknown one gets a bare 404',
  'GET /healthz': 'load balancers probe it without credentials; it says "ok" or "unavailable", nothing else',
  'GET /': 'Cloud: the landing page, public facts only; Data Center: a redirect to My calendars',
  'GET /robots.txt': 'for crawlers, public by nature',
  'GET /atlassian-connect.json':
    'Jira reads the Connect descriptor before anything is installed; no secret in it',
  'GET /pages/admin':
    'a static page shell without data; every call it makes to /api carries its own credential',
  'GET /pages/my-calendars':
    'a static page shell without data; every call it makes to /api carries its own credential',
  'GET /pages/assets/*': 'static scripts and styles of the pages',
  'GET /signin': "Data Center: starts Jira's OAuth sign-in; stores nothing, sets a sealed short-lived cookie",
  'GET /oauth/callback':
    'Data Center: Jira sends the browser back here; only a code Jira granted, with the sealed sign-in cookie whose state matches, opens a session (400 otherwise)',
  'GET /live-calendars/:provider/callback':
    'a calendar provider sends the person back here in a top-level window; only a sealed, single-use, unexpired state of a connect the person started opens anything (a 400 page otherwise)',
  'POST /signout':
    "Data Center: ends the caller's own session, which takes that session and its CSRF token (403 otherwise); without a session it only clears the cookie",
};

/** Routes behind a credential check of their own, and what that check is. */
const GATES: { routes: string; gate: string; refusal?: number[] }[] = [
  {
    routes: '* /api/*',
    gate: 'authenticate(): a Connect context JWT, a Forge invocation token, or a Data Center session (with its CSRF token for writes)',
  },
  { routes: 'POST /connect/webhooks/*', gate: "the site's Connect JWT, its qsh bound to this very request" },
  {
    routes: 'POST /installed',
    gate: "Connect's signed install: an RS256 JWT checked against Atlassian's keys",
  },
  { routes: 'POST /uninstalled', gate: "Connect's signed uninstall, checked like the install" },
  { routes: 'POST /forge/*', gate: "a Forge invocation token, checked against Forge's published keys" },
  {
    routes: 'GET /metrics',
    gate: 'Bearer METRICS_TOKEN, compared in constant time',
    // A stranger must not even learn that the route exists.
    refusal: [404],
  },
];

const REFUSED = [401, 403];

const keyOf = (route: MountedRoute): string => `${route.method} ${route.path}`;

function matches(pattern: string, route: MountedRoute): boolean {
  const [method = '', path = ''] = pattern.split(' ');
  if (method !== '*' && method !== route.method) return false;
  return path.endsWith('*') ? route.path.startsWith(path.slice(0, -1)) : route.path === path;
}

type Classified =
  | { kind: 'open'; route: MountedRoute; reason: string }
  | { kind: 'gated'; route: MountedRoute; refusal: number[] }
  | { kind: 'unknown'; route: MountedRoute; problem: string };

function classify(route: MountedRoute): Classified {
  const open = Object.entries(OPEN).find(([pattern]) => matches(pattern, route));
  const gate = GATES.find((candidate) => matches(candidate.routes, route));
  if (open && gate)
    return { kind: 'unknown', route, problem: `${keyOf(route)} is listed as open and as gated: keep one` };
  if (open) return { kind: 'open', route, reason: open[1] };
  if (gate) return { kind: 'gated', route, refusal: gate.refusal ?? REFUSED };
  return {
    kind: 'unknown',
    route,
    problem:
      `${keyOf(route)} is mounted but neither gated nor listed as open (test/integration/route-walk.test.ts): ` +
      'put it behind a door (under /api, or a check of its own added to GATES), ' +
      'or, if anyone may call it, add it to OPEN with the reason why',
  };
}

type Credential = { name: string; headers: () => Promise<Record<string, string>> | Record<string, string> };

type WalkResult = { failures: string[]; walked: string[] };

/**
 * Calls every mounted route: gated ones once per wrong credential (each must be refused), open ones
 * anonymously. /api answers must never be cached, refused or not.
 */
async function walk(
  app: TestApp,
  credentials: Credential[],
  ids: Record<string, string>,
): Promise<WalkResult> {
  const failures: string[] = [];
  const walked: string[] = [];
  for (const route of mountedRoutes(app.express)) {
    const entry = classify(route);
    if (entry.kind === 'unknown') {
      failures.push(entry.problem);
      continue;
    }
    const url = `${app.url}${examplePath(route, ids)}`;
    const method = route.method === 'ALL' ? 'POST' : route.method;
    const tries: Credential[] =
      entry.kind === 'gated' ? credentials : [{ name: 'no credential', headers: () => ({}) }];
    for (const credential of tries) {
      const withBody = method !== 'GET' && method !== 'HEAD';
      const response = await fetch(url, {
        method,
        redirect: 'manual',
        headers: {
          ...(await credential.headers()),
          ...(withBody ? { 'content-type': 'application/json' } : {}),
        },
        ...(withBody ? { body: '{}' } : {}),
      });
      await response.arrayBuffer();
      const what = `${keyOf(route)} with ${credential.name}`;
      if (entry.kind === 'gated' && !entry.refusal.includes(response.status))
        failures.push(`${what} answered ${response.status}, not ${entry.refusal.join(' or ')}`);
      if (entry.kind === 'open' && response.status >= 500)
        failures.push(`${what} answered ${response.status}`);
      if (route.path.startsWith('/api/') && response.headers.get('cache-control') !== 'no-store')
        failures.push(
          `${what}: Cache-Control ${String(response.headers.get('cache-control'))}, not no-store`,
        );
    }
    walked.push(keyOf(route));
  }
  return { failures, walked };
}

/**
 * Calls every /api route with a valid credential (so answers past authentication are seen) and lists
 * the ones a browser, proxy or CDN would be allowed to keep. Deletions run last: they may remove the feed.
 */
async function cacheableApiAnswers(
  app: TestApp,
  api: ApiClient,
  ids: Record<string, string>,
): Promise<string[]> {
  const problems: string[] = [];
  const routes = mountedRoutes(app.express).filter((route) => route.path.startsWith('/api/'));
  const order = (route: MountedRoute): number =>
    route.method === 'GET' ? 0 : route.method === 'DELETE' ? 2 : 1;
  for (const route of routes.sort((a, b) => order(a) - order(b))) {
    const path = examplePath(route, ids).slice('/api'.length);
    const response = await api.raw(route.method, path, route.method === 'GET' ? undefined : {});
    const what = `${keyOf(route)} (${response.status})`;
    if (response.status === 401) problems.push(`${what}: the credential was refused, nothing was checked`);
    if (response.headers.get('cache-control') !== 'no-store')
      problems.push(`${what}: Cache-Control ${String(response.headers.get('cache-control'))}, not no-store`);
  }
  return problems;
}

const METRICS_TOKEN = randomBytes(24).toString('base64url');

describe('the route walk itself', () => {
  it('fails a newly mounted route that is neither gated nor open, saying what to do', () => {
    const problem = classify({ method: 'GET', path: '/privacy/report' });
    expect(problem.kind).toBe('unknown');
    expect(problem.kind === 'unknown' && problem.problem).toMatch(
      /GET \/privacy\/report is mounted but neither gated nor listed as open.*add it to OPEN with the reason/,
    );
    expect(classify({ method: 'DELETE', path: '/api/me/personal-data' }).kind).toBe('gated');
    expect(classify({ method: 'POST', path: '/ical/:token' }).kind).toBe('unknown');
  });
});

describe('Cloud edition (Connect and Forge): every route refuses a missing or wrong credential', () => {
  let jira: FakeJira;
  let forgeSite: FakeJira;
  let door: DoorApp;
  let connect: InstalledSite;
  let installation: FakeForgeInstallation;
  let stranger: FakeForge;
  let feedId: string;

  beforeAll(async () => {
    jira = await FakeJira.start();
    forgeSite = await FakeJira.start();
    stranger = await FakeForge.start();
    door = await startDoorApp('forge', jira, { config: { metricsToken: METRICS_TOKEN } });
    connect = await installConnect(door.app, jira);
    installation = await door.forge!.install(door.app.url, forgeSite);
    const created = await connect.api(ADMIN).post('/feeds', sampleFeedConfig());
    expect(created.status).toBe(201);
    feedId = created.body.id as string;
  });
  afterAll(async () => {
    await door?.stop();
    await stranger?.stop();
    await jira?.stop();
    await forgeSite?.stop();
  });

  it('reads every route from the router stacks, refuses each without a valid credential, and changes nothing', async () => {
    const forge = door.forge!;
    const ui = { accountId: ADMIN, moduleKey: 'calsync-admin' };
    const opaque = randomBytes(30).toString('base64url');
    const credentials: Credential[] = [
      { name: 'no credential', headers: () => ({}) },
      {
        name: 'a Connect JWT signed with a wrong secret',
        headers: () => ({
          authorization: `JWT ${jira.contextToken({ accountId: ADMIN, sharedSecret: randomBytes(32).toString('hex') })}`,
        }),
      },
      {
        name: 'an expired Connect JWT',
        headers: () => ({
          authorization: `JWT ${jira.contextToken({ accountId: ADMIN, expiresInSeconds: -600 })}`,
        }),
      },
      {
        name: 'a Forge invocation token signed by an unknown key',
        headers: async () => ({
          authorization: `Bearer ${await stranger.signFit(installation.claims('calsync-admin', ui), {
            claims: { aud: forge.appId },
            kid: String(forge.publicJwk.kid),
          })}`,
          'x-forge-oauth-system': opaque,
          'x-forge-oauth-user': opaque,
        }),
      },
      {
        name: 'an expired Forge invocation token',
        headers: async () => ({
          authorization: `Bearer ${await forge.signFit(installation.claims('calsync-admin', ui), { expiresInSeconds: -600 })}`,
          'x-forge-oauth-system': opaque,
        }),
      },
      {
        name: 'a wrong metrics token',
        headers: () => ({ authorization: `Bearer ${randomBytes(24).toString('base64url')}` }),
      },
    ];
    const before = await everyStoredRow(door.app.db);
    const { failures, walked } = await walk(door.app, credentials, {
      feedId,
      accountId: ADMIN,
      event: 'jira:issue_updated',
    });
    expect(failures).toEqual([]);
    expect(await everyStoredRow(door.app.db)).toEqual(before);
    // The walk saw each door's routes, not a stack it failed to read.
    for (const route of [
      'GET /api/feeds/:feedId',
      'POST /forge/lifecycle',
      'POST /installed',
      'GET /ical/:token',
    ])
      expect(walked).toContain(route);
  });

  it('answers every /api route with Cache-Control: no-store, through Connect and through Forge', async () => {
    // The admin erases someone else's personal data: erasing their own would end their session midway.
    const ids = { accountId: NON_ADMIN };
    expect(await cacheableApiAnswers(door.app, forgeApi(installation, ADMIN), ids)).toEqual([]);
    expect(await cacheableApiAnswers(door.app, connect.api(ADMIN), { ...ids, feedId })).toEqual([]);
  });
});

describe('Data Center edition: every route refuses a missing, forged, ended or expired session', () => {
  let jira: FakeJira;
  let door: DoorApp;
  let site: InstalledSite;
  let skewMs = 0;
  let feedId: string;

  beforeAll(async () => {
    jira = await FakeJira.start();
    door = await startDoorApp('datacenter', jira, {
      config: { metricsToken: METRICS_TOKEN },
      now: () => new Date(Date.now() + skewMs),
    });
    site = await door.install(jira);
    const created = await site.api(ADMIN).post('/feeds', sampleFeedConfig());
    expect(created.status).toBe(201);
    feedId = created.body.id as string;
  });
  afterAll(async () => {
    await door?.stop();
    await jira?.stop();
  });

  it('answers every /api route with Cache-Control: no-store to a signed-in user', async () => {
    const own = await site.api(ADMIN).post('/feeds', sampleFeedConfig({ name: 'Written to by the walk' }));
    expect(own.status).toBe(201);
    const ids = { feedId: own.body.id as string, accountId: site.userId(NON_ADMIN) };
    expect(await cacheableApiAnswers(door.app, site.api(ADMIN), ids)).toEqual([]);
  });

  it('reads every route from the router stacks, refuses each without a valid session, and changes nothing', async () => {
    const { app } = door;
    const ended = await signInThroughJira(app, site.dc!, NON_ADMIN);
    const signedOut = await fetch(`${app.url}/signout`, {
      method: 'POST',
      headers: { cookie: ended.sessionCookie, 'x-csrf-token': ended.csrfToken },
    });
    expect(signedOut.status).toBe(204);
    const expired = await signInThroughJira(app, site.dc!, ADMIN);
    // Sessions last an hour here.
    skewMs = 2 * 60 * 60_000;
    const session = (browser: { sessionCookie: string; csrfToken: string }) => () => ({
      cookie: browser.sessionCookie,
      'x-csrf-token': browser.csrfToken,
    });
    const credentials: Credential[] = [
      { name: 'no credential', headers: () => ({}) },
      {
        name: 'a forged session cookie',
        headers: () => ({
          cookie: `calsync_session=${randomBytes(32).toString('base64url')}`,
          'x-csrf-token': randomBytes(32).toString('base64url'),
        }),
      },
      { name: 'a signed-out session', headers: session(ended) },
      { name: 'an expired session', headers: session(expired) },
      {
        name: "a Cloud site's Connect JWT",
        headers: () => ({
          authorization: `JWT ${jira.contextToken({ accountId: ADMIN, sharedSecret: randomBytes(32).toString('hex') })}`,
        }),
      },
      {
        name: 'a wrong metrics token',
        headers: () => ({ authorization: `Bearer ${randomBytes(24).toString('base64url')}` }),
      },
    ];
    const before = await everyStoredRow(app.db);
    const { failures, walked } = await walk(app, credentials, { feedId, accountId: site.userId(ADMIN) });
    expect(failures).toEqual([]);
    expect(await everyStoredRow(app.db)).toEqual(before);
    for (const route of ['GET /api/session', 'POST /api/feeds/:feedId/take-over', 'GET /oauth/callback'])
      expect(walked).toContain(route);
  });
});
