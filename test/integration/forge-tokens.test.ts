import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoorApp, type InstalledSite, startInstalledSite } from '../support/doors.js';
import { ADMIN, sampleFeedConfig } from '../support/site.js';
import { waitFor } from '../support/wait.js';

let door: DoorApp;
let site: InstalledSite;
let stop: (() => Promise<void>) | undefined;
let feedId: string;

beforeAll(async () => {
  ({ door, site, stop } = await startInstalledSite('forge', { worker: true }));
  const created = await site.api(ADMIN).post('/feeds', sampleFeedConfig({ name: 'Token feed' }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  feedId = created.body.id as string;
  await syncedAfter(new Date(0));
});
afterAll(() => stop?.());

const forge = () => site.forge!;
const stored = () => door.app.services.forgeTokenRepository.find(site.clientKey);
const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A JWT-shaped system token Jira never issued, claiming whatever expiry the sender likes. */
const rogueToken = (expiresAt: Date) =>
  `${segment({ alg: 'none', typ: 'system' })}.${segment({ exp: Math.floor(expiresAt.getTime() / 1000) })}.rogue${Date.now()}`;

const syncStatus = () => door.app.services.syncRepository.find(site.clientKey, feedId);
function syncedAfter(since: Date) {
  return waitFor('a successful sync', async () => {
    const status = await syncStatus();
    return status?.state === 'ok' && status.lastSuccessAt && status.lastSuccessAt > since ? status : null;
  });
}
/** An issue edit as Forge delivers it: the site's feeds sync again. */
async function issueEdited(): Promise<void> {
  expect(await forge().deliverEvent('avi:jira:updated:issue', { issue: { id: '10001' } })).toEqual([
    { attempt: 0, status: 200 },
  ]);
}

describe('the system token the app keeps for syncs', () => {
  it('does not believe a far-future expiry: a valid token that arrives later replaces it and syncs go on', async () => {
    // The stored token near its end, as between two hourly triggers: any later token is kept.
    await door.app.db
      .knex('forge_system_tokens')
      .where({ client_key: site.clientKey })
      .update({ expires_at: new Date(Date.now() + 10 * 60_000) });
    const forged = rogueToken(new Date('2100-01-01T00:00:00Z'));
    expect((await forge().sendOnce('ev-hourly', {}, { systemToken: forged })).status).toBe(200);
    const kept = await stored();
    expect(kept?.token).toBe(forged);
    expect(kept!.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 4 * 60 * 60_000);

    const valid = forge().mintToken('system');
    expect((await forge().sendOnce('ev-hourly', {}, { systemToken: valid.token })).status).toBe(200);
    expect((await stored())?.token).toBe(valid.token);

    const before = new Date();
    await issueEdited();
    await syncedAfter(before);
  });

  it('drops a stored token Jira answers with 401, so the next invocation brings a working one', async () => {
    // Looks like Forge's (later than the stored one, within 4 h) but Jira never issued it.
    const rogue = rogueToken(new Date(Date.now() + 3.9 * 60 * 60_000));
    expect((await forge().sendOnce('ev-hourly', {}, { systemToken: rogue })).status).toBe(200);
    expect((await stored())?.token).toBe(rogue);

    const before = new Date();
    await issueEdited();
    await waitFor('the refused token to be dropped', async () => (await stored()) === null);
    const failed = await waitFor('the sync to fail on the refused token', async () => {
      const status = await syncStatus();
      return status?.state === 'error' && status.finishedAt && status.finishedAt > before ? status : null;
    });
    expect(failed.errorCode).not.toBe('ok');

    // The hourly trigger's token is stored again (nothing outranks it now) and the feed syncs.
    expect((await forge().runScheduledTrigger()).at(-1)?.status).toBe(200);
    expect((await stored())?.token).not.toBe(rogue);
    const recovered = new Date();
    await issueEdited();
    await syncedAfter(recovered);
  });
});
