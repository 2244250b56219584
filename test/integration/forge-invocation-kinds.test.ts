import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORGE_BACKEND_ROUTES, FORGE_UI_MODULES } from '../../src/doors/forge/forge-routes.js';
import { type DoorApp, type InstalledSite, startInstalledSite } from '../support/doors.js';
import { SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { storedState } from '../support/hostile.js';
import { ADMIN, sampleFeedConfig } from '../support/site.js';

// No worker: whatever a route enqueues stays in the queue where the test can count it.
let door: DoorApp;
let site: InstalledSite;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ door, site, stop } = await startInstalledSite('forge'));
  const created = await site.api(ADMIN).post('/feeds', sampleFeedConfig({ name: 'Kept' }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
});
afterAll(() => stop?.());

const forge = () => site.forge!;
const routes = Object.values(FORGE_BACKEND_ROUTES);
const endpointKeys = routes.map((route) => route.endpointKey);
const uiModules = Object.keys(FORGE_UI_MODULES);

/** What Forge would send each route. */
const payloadFor = (endpointKey: string): Record<string, unknown> =>
  ({
    'ev-lifecycle': { eventType: 'avi:forge:installed:app' },
    'ev-issue': { eventType: 'avi:jira:updated:issue', issue: { id: '10001' } },
    'ev-planning': { eventType: 'avi:jira-software:updated:sprint', sprint: { id: 3 } },
  })[endpointKey] ?? {};

async function snapshot() {
  const jobs = await door.app.db.knex.raw<{ rows: Record<string, unknown>[] }>(
    `SELECT * FROM graphile_worker.jobs ORDER BY id`,
  );
  return {
    state: await storedState(door.app),
    jobs: jobs.rows,
    token: await door.app.services.forgeTokenRepository.find(site.clientKey),
  };
}

const errorCode = (body: unknown): unknown =>
  (typeof body === 'string'
    ? (JSON.parse(body) as { error?: { code?: unknown } })
    : (body as { error?: { code?: unknown } })
  )?.error?.code;

describe.each(routes)('backend route $path', (route) => {
  it.each(uiModules)(
    "refuses a page's invokeRemote from %s with a JSON 403 and changes nothing",
    async (moduleKey) => {
      const before = await snapshot();
      const answer = await forge().invokeRemote(
        { path: route.path, method: 'POST', body: payloadFor(route.endpointKey) },
        { accountId: ADMIN, moduleKey },
      );
      expect(answer.status).toBe(403);
      expect(errorCode(answer.body)).toBe('wrong_invocation');
      expect(await snapshot()).toEqual(before);
    },
  );

  it.each(endpointKeys.filter((key) => key !== route.endpointKey))(
    "refuses the %s endpoint's invocation with a JSON 403 and changes nothing",
    async (otherKey) => {
      const before = await snapshot();
      const answer = await forge().sendOnce(otherKey, payloadFor(route.endpointKey), { path: route.path });
      expect(answer.status).toBe(403);
      expect(errorCode(answer.body)).toBe('wrong_invocation');
      expect(await snapshot()).toEqual(before);
    },
  );
});

describe('the routes answer their own endpoint', () => {
  it.each(routes.filter((route) => route.endpointKey !== 'ev-uninstall'))(
    '$path answers $endpointKey with 200',
    async (route) => {
      const answer = await forge().sendOnce(route.endpointKey, payloadFor(route.endpointKey));
      expect(answer.status, answer.body).toBe(200);
    },
  );

  it('and those calls enqueued the resync the refusals did not', async () => {
    const jobs = await door.app.db
      .knex('graphile_worker.jobs')
      .where('key', 'like', `site_changed:${site.clientKey}:%`);
    expect(jobs.length).toBeGreaterThan(0);
  });
});

describe('the API the pages call', () => {
  it.each(endpointKeys)(
    "refuses the %s endpoint's invocation with a JSON 403 and creates nothing",
    async (key) => {
      const before = await snapshot();
      const listed = await forge().sendOnce(key, undefined, { path: '/api/feeds', method: 'GET' });
      expect(listed.status).toBe(403);
      expect(errorCode(listed.body)).toBe('wrong_invocation');
      const created = await forge().sendOnce(key, sampleFeedConfig({ name: 'From a trigger' }), {
        path: '/api/feeds',
      });
      expect(created.status).toBe(403);
      expect(await snapshot()).toEqual(before);
    },
  );

  it.each(uiModules)('answers a page of %s', async (moduleKey) => {
    const answer = await forge().invokeRemote(
      { path: '/api/me/calendars', method: 'GET' },
      { accountId: SEED_ACCOUNTS.bob, moduleKey },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  });
});

describe('pre-uninstall', () => {
  it("after every refusal above the site's feed is still there; its own endpoint then deletes the site", async () => {
    expect((await site.api(ADMIN).get('/feeds')).body.feeds).toHaveLength(1);
    expect((await forge().sendOnce('ev-uninstall', {})).status).toBe(200);
    const row = await door.app.db.knex('installations').where({ client_key: site.clientKey }).first();
    expect(row.state).toBe('uninstalled');
    expect(await door.app.db.knex('feeds').where({ client_key: site.clientKey })).toEqual([]);
  });
});
