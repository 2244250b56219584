import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DataCenterApp,
  type DataCenterBrowser,
  signInThroughJira,
  startDataCenterApp,
} from '../support/datacenter.js';
import { FakeJiraDc } from '../support/fake-jira-dc/fake-jira-dc.js';
import { SEED_ACCOUNTS as A } from '../support/fake-jira/fake-jira-seed.js';
import { fetchFeed, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

/**
 * Data Center has no Personal Data Reporting: a sweep asks Jira about every stored user key. Two
 * deployments share the database, and their Jiras give the same keys to different people.
 */
describe('Data Center sweep of stored users', () => {
  let dcA: FakeJiraDc;
  let dcB: FakeJiraDc;
  let a: DataCenterApp;
  let b: DataCenterApp;
  let keyA: string;
  let keyB: string;
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const urls = new Map<string, string>();
  const extra: TestApp[] = [];

  async function personalUrl(app: TestApp, browser: DataCenterBrowser, feedId: string): Promise<string> {
    const calendars = await browser.api.get('/me/calendars');
    expect(calendars.status, JSON.stringify(calendars.body)).toBe(200);
    const found = (calendars.body.calendars as { feedId: string; url: string }[]).find(
      (calendar) => calendar.feedId === feedId,
    );
    if (!found) throw new Error(`no personal calendar of ${feedId} at ${app.url}`);
    return found.url;
  }

  async function deploymentWithSubscribers(
    deployment: DataCenterApp,
    dc: FakeJiraDc,
    subscribers: (keyof typeof A)[],
  ): Promise<string> {
    const alice = await signInThroughJira(deployment.app, dc, A.alice);
    const clientKey = (await alice.api.get('/session')).body.clientKey as string;
    const created = await alice.api.post('/feeds', sampleFeedConfig({ access: { mode: 'all' } }));
    expect(created.status).toBe(201);
    const feedId = created.body.id as string;
    expect(await deployment.app.services.sync.syncFeed(clientKey, feedId)).toMatchObject({ status: 'ok' });
    for (const name of subscribers) {
      const browser = await signInThroughJira(deployment.app, dc, A[name]);
      urls.set(`${clientKey}/${name}`, await personalUrl(deployment.app, browser, feedId));
    }
    return clientKey;
  }

  const rows = (app: TestApp, table: string, where: Record<string, string>) =>
    app.db.knex(table).where(where);
  const userLookups = (dc: FakeJiraDc, since = 0) =>
    dc.requests
      .slice(since)
      .filter((request) => request.path === '/rest/api/2/user' && request.query.has('key'));

  async function sweepToTheEnd(app: TestApp, clientKey: string): Promise<number> {
    let steps = 0;
    for (;;) {
      steps += 1;
      const step = await app.services.userSweeps.step(clientKey, 2);
      if (step.status !== 'more') return steps;
    }
  }

  beforeAll(async () => {
    dcA = await FakeJiraDc.start();
    dcB = await FakeJiraDc.start();
    a = await startDataCenterApp(dcA, { now });
    b = await startDataCenterApp(dcB, { db: a.app.db, now });
    keyA = await deploymentWithSubscribers(a, dcA, ['bob', 'chloe', 'farah']);
    keyB = await deploymentWithSubscribers(b, dcB, ['bob', 'chloe']);
  });
  afterAll(async () => {
    for (const app of extra) await app.stop();
    await b?.app.stop();
    await a?.app.stop();
    await dcA?.stop();
    await dcB?.stop();
  });

  it('erases a deleted user’s URLs and cached memberships, refuses a deactivated one’s, and leaves the other site be', async () => {
    const bobKey = dcA.userKey(A.bob);
    const chloeKey = dcA.userKey(A.chloe);
    expect(bobKey).toBe(dcB.userKey(A.bob));
    expect(await rows(a.app, 'jira_users', { client_key: keyA, account_id: bobKey })).toHaveLength(1);
    for (const url of urls.values()) expect((await fetchFeed(url)).status).toBe(200);

    // Bob took a feed over: his sign-in stands for the site too, until Jira refuses it.
    const { services } = a.app;
    const config = services.feeds.parse(sampleFeedConfig({ name: 'Taken over by Bob' }));
    const bobsFeed = await a.app.db.knex.transaction(async (trx) => {
      const feed = await services.feedRepository.insert(
        keyA,
        { name: 'Taken over by Bob', config, accountId: dcA.userKey(A.alice), now: now() },
        trx,
      );
      await services.syncRepository.create(keyA, feed.id, new Date(Date.now() + 3_600_000), trx);
      return feed.id;
    });
    await services.feedRepository.setRunAs(keyA, bobsFeed, bobKey, now());
    dcA.deleteUser(A.bob);
    dcA.deactivateUser(A.chloe);
    const stored = (await rows(a.app, 'personal_data_accounts', { client_key: keyA })).length;
    const sinceA = dcA.requests.length;
    const sinceB = dcB.requests.length;
    const steps = await sweepToTheEnd(a.app, keyA);
    expect(steps).toBeGreaterThan(1);
    // Each stored key asked about once in the pass, over several resumable steps, with a feed owner's rights.
    const asked = userLookups(dcA, sinceA)
      .filter((request) => !request.query.has('expand') && request.status !== 401)
      .map((request) => request.query.get('key'));
    expect(asked).toHaveLength(stored);
    expect(new Set(asked).size).toBe(stored);
    expect(
      userLookups(dcA, sinceA)
        .filter((request) => request.status !== 401)
        .every((request) => request.caller === A.alice),
    ).toBe(true);
    expect(userLookups(dcB, sinceB)).toEqual([]);

    expect((await fetchFeed(urls.get(`${keyA}/bob`) ?? '')).status).toBe(404);
    expect(await rows(a.app, 'feed_subscriptions', { client_key: keyA, account_id: bobKey })).toEqual([]);
    expect(await rows(a.app, 'jira_users', { client_key: keyA, account_id: bobKey })).toEqual([]);
    expect(await rows(a.app, 'feeds', { client_key: keyA, run_as_account_id: bobKey })).toEqual([]);
    expect(
      await rows(a.app, 'personal_data_accounts', { client_key: keyA, account_id: bobKey }),
    ).toMatchObject([{ closed_at: expect.any(Date) }]);
    expect(await rows(a.app, 'datacenter_user_tokens', { client_key: keyA, account_id: bobKey })).toEqual([]);

    expect((await fetchFeed(urls.get(`${keyA}/chloe`) ?? '')).status).toBe(404);
    // The scheduled membership refresh keeps the deactivated user's URL too, refused, not revoked.
    await a.app.services.access.refreshSite(keyA);
    expect((await fetchFeed(urls.get(`${keyA}/chloe`) ?? '')).status).toBe(404);
    const [chloeUrl] = await rows(a.app, 'feed_subscriptions', { client_key: keyA, account_id: chloeKey });
    expect(chloeUrl).toMatchObject({ revoked_at: null });
    expect((await fetchFeed(urls.get(`${keyA}/farah`) ?? '')).status).toBe(200);

    // The other deployment: same keys, people Jira B still has.
    for (const name of ['bob', 'chloe']) {
      expect((await fetchFeed(urls.get(`${keyB}/${name}`) ?? '')).status).toBe(200);
    }
    expect(await rows(b.app, 'feed_subscriptions', { client_key: keyB, account_id: bobKey })).toHaveLength(1);
    expect(await rows(b.app, 'jira_users', { client_key: keyB, account_id: bobKey })).toHaveLength(1);
  });

  it('serves a reactivated user’s URL again at the next pass, a day later; the deleted user is not asked again', async () => {
    dcA.reactivateUser(A.chloe);
    const before = dcA.requests.length;
    expect((await a.app.services.userSweeps.step(keyA, 2)).status).toBe('idle');
    expect(userLookups(dcA, before)).toEqual([]);
    expect((await fetchFeed(urls.get(`${keyA}/chloe`) ?? '')).status).toBe(404);

    offsetMs += 25 * 60 * 60_000;
    await sweepToTheEnd(a.app, keyA);
    expect((await fetchFeed(urls.get(`${keyA}/chloe`) ?? '')).status).toBe(200);
    const lookups = userLookups(dcA, before);
    expect(lookups.some((request) => request.query.get('key') === dcA.userKey(A.chloe))).toBe(true);
    expect(lookups.some((request) => request.query.get('key') === dcA.userKey(A.bob))).toBe(false);
    expect((await fetchFeed(urls.get(`${keyA}/bob`) ?? '')).status).toBe(404);
  });

  it('is started by the worker’s tick once a day, for its own deployment only', async () => {
    const sweepOf = async (clientKey: string) =>
      (await rows(a.app, 'user_sweeps', { client_key: clientKey }).first()) as
        { finished_at: Date | null } | undefined;
    const last = (await sweepOf(keyA))?.finished_at ?? new Date(0);
    offsetMs += 25 * 60 * 60_000;
    const worker = await startDataCenterApp(dcA, { db: a.app.db, now, worker: true }, a);
    extra.push(worker.app);
    await worker.app.queue.requestTick();
    await waitFor('the worker to finish a pass', async () => {
      const finished = (await sweepOf(keyA))?.finished_at;
      return finished !== null && finished !== undefined && finished > last;
    });
    expect(await sweepOf(keyB)).toBeUndefined();
  });
});
