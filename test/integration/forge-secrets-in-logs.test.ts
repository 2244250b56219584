import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoorApp, forgeApi, type InstalledSite, startInstalledSite } from '../support/doors.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { findSecrets } from '../support/hostile.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';

let jira: FakeJira;
let door: DoorApp;
let site: InstalledSite;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ jira, door, site, stop } = await startInstalledSite('forge'));
});
afterAll(() => stop?.());

describe('an opaque Forge token in a statement that fails', () => {
  it('is kept out of the log, which still says why the statement failed', async () => {
    const forge = site.forge!;
    // Forge's tokens are opaque: nothing about these says "secret" to a pattern.
    const systemToken = randomBytes(30).toString('base64url');
    const userToken = randomBytes(30).toString('base64url');
    const { knex } = door.app.db;
    await knex.raw(
      'ALTER TABLE forge_system_tokens ADD CONSTRAINT refuse_every_token CHECK (false) NOT VALID',
    );
    try {
      const before = door.app.logs().length;
      expect((await forge.sendOnce('ev-hourly', {}, { systemToken })).status).toBe(500);
      const page = await forge.invokeRemote(
        {
          path: '/api/feeds',
          method: 'GET',
          headers: { 'x-forge-oauth-user': userToken, cookie: `s=${userToken}` },
        },
        { accountId: ADMIN, moduleKey: 'calsync-admin' },
        { systemToken },
      );
      expect(page.status).toBe(500);
      const logs = door.app.logs().slice(before);
      expect(logs).toContain('violates check constraint');
      expect(logs).toContain('23514');
      expect(findSecrets(logs, { 'system token': systemToken, 'user token': userToken })).toEqual([]);
    } finally {
      await knex.raw('ALTER TABLE forge_system_tokens DROP CONSTRAINT refuse_every_token');
    }
  });
});

describe('a Forge session, logged at debug level', () => {
  it('logs what happened and no invocation token, system or user token, or feed URL', async () => {
    const forge = site.forge!;
    const admin = site.api(ADMIN);
    const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Logged feed' }));
    expect(created.status).toBe(201);
    const feedUrl = String(created.body.url);
    expect(await door.app.services.sync.syncFeed(site.clientKey, created.body.id)).toMatchObject({
      status: 'ok',
    });
    expect((await fetchFeed(feedUrl)).status).toBe(200);
    expect(
      (await forgeApi(forge, SEED_ACCOUNTS.bob, 'calsync-my-calendars').get('/me/calendars')).status,
    ).toBe(200);
    expect((await admin.get('/feeds/not-a-uuid')).status).toBeGreaterThanOrEqual(400);
    await forge.deliverEvent('avi:jira:updated:issue', { issue: { id: '10001' } });
    await forge.deliverEvent('avi:jira:updated:issue', { issue: { id: 'not a number' } });
    await forge.runScheduledTrigger();
    // Failures log too: a hostile FIT, a sync without a usable token, Jira refusing a revoked one.
    expect(
      (
        await forge.invokeRemote(
          { path: '/api/feeds', method: 'GET' },
          { accountId: ADMIN, moduleKey: 'calsync-admin' },
          { expiresInSeconds: -300 },
        )
      ).status,
    ).toBe(401);
    await door.app.db
      .knex('forge_system_tokens')
      .where({ client_key: site.clientKey })
      .update({ expires_at: new Date(0) });
    expect(await door.app.services.sync.syncFeed(site.clientKey, created.body.id)).toMatchObject({
      status: 'failed',
    });
    const leaked = forge.mintToken('system', { expiresInMs: 10 * 60 * 60_000 });
    await forge.sendOnce('ev-hourly', {}, { systemToken: leaked.token });
    jira.revokeBearers();
    expect(await door.app.services.sync.syncFeed(site.clientKey, created.body.id)).toMatchObject({
      status: 'failed',
    });
    await site.uninstall();

    const logs = door.app.logs();
    expect(logs.split('\n').length).toBeGreaterThan(30);
    const secrets: Record<string, string> = { 'feed token': feedUrl.split('/ical/')[1]!.replace('.ics', '') };
    door.forge!.issued.forEach((token, index) => (secrets[`Forge token or FIT #${index}`] = token));
    expect(Object.keys(secrets).length).toBeGreaterThan(10);
    expect(findSecrets(logs, secrets)).toEqual([]);
    // The scan itself can fail: a planted token is found.
    expect(findSecrets(`${logs}${door.forge!.issued[0]}`, secrets).length).toBeGreaterThan(0);
  });
});
