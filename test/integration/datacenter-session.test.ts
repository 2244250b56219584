import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_RECHECK_MS } from '../../src/doors/datacenter/datacenter-door.js';
import { type DataCenterApp, signInThroughJira, startDataCenterApp } from '../support/datacenter.js';
import { FakeJiraDc } from '../support/fake-jira-dc/fake-jira-dc.js';
import { SEED_ACCOUNTS as A } from '../support/fake-jira/fake-jira-seed.js';

/** A session must not outlive its user in Jira by more than the re-check interval. */
describe('Data Center sessions of users Jira no longer has', () => {
  let dc: FakeJiraDc;
  let deployment: DataCenterApp;
  let clientKey: string;
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const sessionsOf = (key: string, userKey: string) =>
    deployment.app.db.knex('datacenter_sessions').where({ client_key: key, account_id: userKey });

  beforeAll(async () => {
    dc = await FakeJiraDc.start();
    deployment = await startDataCenterApp(dc, { now });
  });
  afterAll(async () => {
    await deployment?.app.stop();
    await dc?.stop();
  });

  it('ends every session of a user deactivated in Jira at the next check; another deployment’s stand', async () => {
    const { app } = deployment;
    const otherJira = await FakeJiraDc.start();
    const other = await startDataCenterApp(otherJira, { db: app.db, now });
    try {
      const chloe = await signInThroughJira(app, dc, A.chloe);
      const chloeElsewhere = await signInThroughJira(app, dc, A.chloe);
      // The same user key in another deployment's Jira, where Chloe stays active.
      const chloeOther = await signInThroughJira(other.app, otherJira, A.chloe);
      clientKey = (await chloe.api.get('/session')).body.clientKey as string;

      dc.deactivateUser(A.chloe);
      offsetMs += USER_RECHECK_MS + 1_000;
      const refused = await chloe.api.get('/session');
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('signin_required');
      expect(await sessionsOf(clientKey, dc.userKey(A.chloe))).toEqual([]);
      expect((await chloeElsewhere.api.get('/feeds')).status).toBe(401);

      expect((await chloeOther.api.get('/session')).status).toBe(200);
      const otherKey = (await chloeOther.api.get('/session')).body.clientKey as string;
      expect(await sessionsOf(otherKey, otherJira.userKey(A.chloe))).toHaveLength(1);
    } finally {
      await other.app.stop();
      await otherJira.stop();
    }
  });

  it('ends the session of a user deleted in Jira', async () => {
    const gao = await signInThroughJira(deployment.app, dc, A.gao);
    expect((await gao.api.get('/session')).status).toBe(200);
    dc.deleteUser(A.gao);
    offsetMs += USER_RECHECK_MS + 1_000;
    expect((await gao.api.get('/session')).status).toBe(401);
    expect(await sessionsOf(clientKey, dc.userKey(A.gao))).toEqual([]);
  });

  it('asks Jira at most once an interval for an active user, and keeps the session', async () => {
    const bob = await signInThroughJira(deployment.app, dc, A.bob);
    const asked = () =>
      dc.requests.filter((request) => request.path === '/rest/api/2/myself' && request.caller === A.bob)
        .length;
    const atSignIn = asked();
    expect((await bob.api.get('/session')).status).toBe(200);
    expect(asked()).toBe(atSignIn);
    offsetMs += USER_RECHECK_MS + 1_000;
    expect((await bob.api.get('/session')).status).toBe(200);
    expect((await bob.api.get('/session')).status).toBe(200);
    expect(asked()).toBe(atSignIn + 1);
  });
});
