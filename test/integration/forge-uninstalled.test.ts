import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoorApp, type InstalledSite, startInstalledSite } from '../support/doors.js';
import { storedState } from '../support/hostile.js';
import { ADMIN, sampleFeedConfig } from '../support/site.js';

let door: DoorApp;
let site: InstalledSite;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ door, site, stop } = await startInstalledSite('forge'));
  expect((await site.api(ADMIN).post('/feeds', sampleFeedConfig({ name: 'Before uninstall' }))).status).toBe(
    201,
  );
  await site.uninstall();
});
afterAll(() => stop?.());

const forge = () => site.forge!;
const installation = () => door.app.db.knex('installations').where({ client_key: site.clientKey }).first();
const codeOf = (body: unknown): unknown =>
  (typeof body === 'string'
    ? (JSON.parse(body) as { error?: { code?: unknown } })
    : (body as { error?: { code?: unknown } })
  )?.error?.code;

const invocations: [string, () => Promise<{ status: number; body: unknown }>][] = [
  ['the hourly trigger', () => forge().sendOnce('ev-hourly', {})],
  [
    'an issue event',
    () => forge().sendOnce('ev-issue', { eventType: 'avi:jira:updated:issue', issue: { id: '10001' } }),
  ],
  [
    'a sprint event',
    () =>
      forge().sendOnce('ev-planning', { eventType: 'avi:jira-software:updated:sprint', sprint: { id: 3 } }),
  ],
  ['an upgrade event', () => forge().sendOnce('ev-lifecycle', { eventType: 'avi:forge:upgraded:app' })],
  ['pre-uninstall again', () => forge().sendOnce('ev-uninstall', {})],
  [
    "the admin page's feed list",
    () =>
      forge().invokeRemote(
        { path: '/api/feeds', method: 'GET' },
        { accountId: ADMIN, moduleKey: 'calsync-admin' },
      ),
  ],
  [
    'a new feed from the admin page',
    () =>
      forge().invokeRemote(
        { path: '/api/feeds', method: 'POST', body: sampleFeedConfig({ name: 'After uninstall' }) },
        { accountId: ADMIN, moduleKey: 'calsync-admin' },
      ),
  ],
  [
    'My calendars',
    () =>
      forge().invokeRemote(
        { path: '/api/me/calendars', method: 'GET' },
        { accountId: ADMIN, moduleKey: 'calsync-my-calendars' },
      ),
  ],
];

describe('an uninstalled Forge installation', () => {
  it.each(invocations)(
    'refuses %s with a JSON 410, logged without tokens, and stores nothing',
    async (_name, send) => {
      const before = await storedState(door.app);
      expect((await installation()).state).toBe('uninstalled');
      const answer = await send();
      expect(answer.status).toBe(410);
      expect(codeOf(answer.body)).toBe('installation_uninstalled');
      expect(await storedState(door.app)).toEqual(before);
      expect(await door.app.db.knex('forge_system_tokens').where({ client_key: site.clientKey })).toEqual([]);
      const logs = door.app.logs();
      expect(logs).toContain('Forge invocation for an uninstalled installation refused');
      for (const secret of door.forge!.issued) expect(logs.includes(secret)).toBe(false);
    },
  );

  it("comes back through Forge's install event, and only then", async () => {
    forge().uninstalled = false;
    expect(await forge().deliverEvent('avi:forge:installed:app')).toEqual([{ attempt: 0, status: 200 }]);
    expect(await installation()).toMatchObject({ state: 'installed', door: 'forge' });
    expect(await door.app.services.forgeTokenRepository.find(site.clientKey)).not.toBeNull();
    // Its old data stayed deleted.
    const feeds = await site.api(ADMIN).get('/feeds');
    expect(feeds.status).toBe(200);
    expect(feeds.body.feeds).toEqual([]);
  });
});
