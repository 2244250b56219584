import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoorApp, type DoorName, startDoorApp } from '../support/doors.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { examplePath, mountedRoutes } from '../support/mounted-routes.js';
import { ADMIN, apiAs, registerSite, sampleFeedConfig } from '../support/site.js';

const HTTPS_BASE_URL = 'https://calendar.example.test';
const ONE_YEAR = 31_536_000;

/** What the app answered on one request: the HSTS header, if any. */
type Answer = { request: string; status: number; hsts: string | null };

async function send(door: DoorApp, method: string, path: string, headers: Record<string, string> = {}) {
  const withBody = method !== 'GET' && method !== 'HEAD';
  const response = await fetch(`${door.app.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
    ...(withBody ? { body: '{}' } : {}),
  });
  await response.arrayBuffer();
  return {
    request: `${method} ${path}`,
    status: response.status,
    hsts: response.headers.get('strict-transport-security'),
  };
}

/** Every mounted route, plus answers no route gives: unknown paths, an unknown feed, a malformed body. */
async function everyKindOfAnswer(door: DoorApp): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const route of mountedRoutes(door.app.express)) {
    answers.push(await send(door, route.method === 'ALL' ? 'POST' : route.method, examplePath(route)));
  }
  answers.push(await send(door, 'GET', '/no-such-page'));
  answers.push(await send(door, 'GET', '/api/no-such-route'));
  answers.push(await send(door, 'GET', `/ical/${randomBytes(32).toString('base64url')}.ics`));
  answers.push(await send(door, 'GET', '/ical/%80'));
  const asset = await send(door, 'GET', '/pages/assets/dom.js');
  // A real static file, not one more 404.
  if (asset.status !== 200) throw new Error(`${asset.request} answered ${asset.status}`);
  answers.push(asset);
  return answers;
}

function isStrictEnough(header: string | null): boolean {
  if (header === null) return false;
  const directives = header.split(';').map((part) => part.trim().toLowerCase());
  const maxAge = Number(
    /^max-age=(\d+)$/.exec(directives.find((part) => part.startsWith('max-age=')) ?? '')?.[1],
  );
  return maxAge >= ONE_YEAR && directives.includes('includesubdomains');
}

const EDITIONS: { name: string; door: DoorName }[] = [
  { name: 'Cloud (Connect and Forge)', door: 'forge' },
  { name: 'Data Center', door: 'datacenter' },
];

describe.each(EDITIONS)('HSTS, $name edition', ({ door: doorName }) => {
  let jira: FakeJira;
  let secure: DoorApp;
  let plain: DoorApp;

  beforeAll(async () => {
    jira = await FakeJira.start();
    secure = await startDoorApp(doorName, jira, { config: { baseUrl: HTTPS_BASE_URL } });
    plain = await startDoorApp(doorName, jira);
  });
  afterAll(async () => {
    await secure?.stop();
    await plain?.stop();
    await jira?.stop();
  });

  it('with an https BASE_URL, tells browsers to use TLS for a year on every answer, errors and 404s included', async () => {
    const answers = await everyKindOfAnswer(secure);
    expect(answers.length).toBeGreaterThan(15);
    expect(answers.filter((answer) => !isStrictEnough(answer.hsts))).toEqual([]);
    // Refusals and misses carry it too, not only successes.
    expect(answers.some((answer) => answer.status === 404)).toBe(true);
    expect(answers.some((answer) => answer.status === 401)).toBe(true);
  });

  it('with a plain http BASE_URL (development), sends no HSTS at all', async () => {
    const answers = await everyKindOfAnswer(plain);
    expect(answers.filter((answer) => answer.hsts !== null)).toEqual([]);
  });
});

describe('HSTS on a served feed', () => {
  let jira: FakeJira;
  let door: DoorApp;

  beforeAll(async () => {
    const secret = randomBytes(36).toString('base64url');
    jira = await FakeJira.start();
    jira.trustApp(secret);
    door = await startDoorApp('connect', jira, { config: { baseUrl: HTTPS_BASE_URL } });
    await registerSite(door.app, jira, secret);
  });
  afterAll(async () => {
    await door?.stop();
    await jira?.stop();
  });

  it('is on the .ics answer and on its 304, which calendar apps fetch all day', async () => {
    const created = await apiAs(door.app, jira, ADMIN).post('/feeds', sampleFeedConfig());
    expect(created.status).toBe(201);
    expect(isStrictEnough(created.headers.get('strict-transport-security'))).toBe(true);
    const path = new URL(created.body.url as string).pathname;
    const feed = await fetch(`${door.app.url}${path}`);
    expect(feed.status).toBe(200);
    expect(isStrictEnough(feed.headers.get('strict-transport-security'))).toBe(true);
    const unchanged = await fetch(`${door.app.url}${path}`, {
      headers: { 'if-none-match': feed.headers.get('etag') ?? '' },
    });
    expect(unchanged.status).toBe(304);
    expect(isStrictEnough(unchanged.headers.get('strict-transport-security'))).toBe(true);
  });
});
