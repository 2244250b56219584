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
