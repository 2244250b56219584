import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataCenterBrowser, signInThroughJira, startDataCenterApp } from '../support/datacenter.js';
import { FakeJiraDc } from '../support/fake-jira-dc/fake-jira-dc.js';
import { SEED_ACCOUNTS as A } from '../support/fake-jira/fake-jira-seed.js';
import { sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';

/**
 * Jira Data Center speaks REST v2 and has no app user: a sync reads as the feed's owner. What its
 * failures mean must read as on Cloud where they are the same failure (a rejected query), and must not
 * send an administrator looking for an app user that does not exist.
 */
describe('Data Center: what a failed sync says', () => {
  let dc: FakeJiraDc;
  let app: TestApp;
  let clientKey: string;
  let alice: DataCenterBrowser;

  const createFeed = async (jql: string) => {
    const created = await alice.api.post('/feeds', sampleFeedConfig({ source: { type: 'jql', jql } }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const errorOf = async (feedId: string) =>
    (await alice.api.get(`/feeds/${feedId}`)).body.status.error as { code: string; message: string } | null;

  beforeAll(async () => {
    dc = await FakeJiraDc.start();
    ({ app } = await startDataCenterApp(dc));
    alice = await signInThroughJira(app, dc, A.alice);
    clientKey = (await alice.api.get('/session')).body.clientKey as string;
  });
  afterAll(async () => {
    await app?.stop();
    await dc?.stop();
  });

  it('records a query Jira rejects as jql_rejected, worded as on Cloud', async () => {
    const feedId = await createFeed('project = OPS ORDER BY key');
    const ops = dc.data.projects.find((project) => project.key === 'OPS');
    if (!ops) throw new Error('the seed has no OPS project');
    ops.key = 'OPSX'; // the project was renamed in Jira since the feed was saved

    await app.services.sync.syncFeed(clientKey, feedId);
    const error = await errorOf(feedId);
    expect(error?.code).toBe('jql_rejected');
    expect(error?.message).toMatch(/^Jira rejected the query\. Jira said: .*'OPS'/);
  });

  it('blames the account the sync reads as, not an app user, for a 403', async () => {
    const feedId = await createFeed('project = CAL ORDER BY key');
    dc.faults.failNext(20, { status: 403 });
    await app.services.sync.syncFeed(clientKey, feedId);
    dc.faults.clear();
    const error = await errorOf(feedId);
    expect(error?.code).toBe('jira_forbidden');
    expect(error?.message).not.toMatch(/app user/i);
    expect(error?.message).toMatch(/feed’s owner/);
  });
});

/**
 * A page's own Jira calls on Data Center go out as the signed-in person, with their token: Jira's 401 and
 * 403 are about that person, not about an app user, so they do not read as Cloud's 502s.
 */
describe('Data Center: what a page’s own Jira call says', () => {
  let dc: FakeJiraDc;
  let app: TestApp;
  let alice: DataCenterBrowser;

  beforeAll(async () => {
    dc = await FakeJiraDc.start();
    ({ app } = await startDataCenterApp(dc));
    alice = await signInThroughJira(app, dc, A.alice);
    // The admin answer is cached, so each fault below meets the page's own call.
    expect((await alice.api.get('/feeds')).status).toBe(200);
  });
  afterAll(async () => {
    await app?.stop();
    await dc?.stop();
  });

  it('takes one 401 as an expired access token: refreshes it and asks again', async () => {
    const before = dc.currentRefreshTokens(A.alice);
    dc.faults.failNext(1, { status: 401 });
    const fields = await alice.api.get('/jira/fields');
    dc.faults.clear();
    expect(fields.status, JSON.stringify(fields.body)).toBe(200);
    expect(fields.body.fields.length).toBeGreaterThan(0);
    // The refresh rotated the person's refresh token.
    expect(dc.currentRefreshTokens(A.alice)).not.toEqual(before);
  });

  it('takes a 401 that outlasts a fresh token as the person’s sign-in ending: 401, sign in again', async () => {
    dc.faults.failNext(10, { status: 401 });
    const fields = await alice.api.get('/jira/fields');
    dc.faults.clear();
    expect(fields.status, JSON.stringify(fields.body)).toBe(401);
  });

  it('takes a 403 on the admin check as a Jira failure about this person’s account, not about an app user', async () => {
    const chloe = await signInThroughJira(app, dc, A.chloe);
    dc.faults.failNext(1, { status: 403 });
    const feeds = await chloe.api.get('/feeds');
    dc.faults.clear();
    // Jira never refuses a signed-in person their own permissions: a 403 there is Jira's failure, not a no.
    expect(feeds.status, JSON.stringify(feeds.body)).toBe(502);
    expect(feeds.body.error.code).toBe('jira_forbidden');
    expect(feeds.body.error.message).toMatch(/you on this page/);
    expect(feeds.body.error.message).not.toMatch(/app user/i);
  });
});
