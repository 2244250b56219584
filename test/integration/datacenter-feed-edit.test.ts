import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataCenterBrowser, signInThroughJira, startDataCenterApp } from '../support/datacenter.js';
import { FakeJiraDc } from '../support/fake-jira-dc/fake-jira-dc.js';
import { canBrowse } from '../support/fake-jira/fake-jira-permissions.js';
import { SEED_ACCOUNTS as A } from '../support/fake-jira/fake-jira-seed.js';
import { readIcsEvents } from '../support/ics-check.js';
import { fetchFeed, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';

/**
 * A feed on Data Center reads Jira with one person's rights. An administrator who edits someone else's
 * feed had their query checked with their own rights: the feed must not go on publishing what only the
 * owner may browse to the URLs the editor (and everyone else) reads.
 */
describe('Data Center: editing another owner’s feed', () => {
  let dc: FakeJiraDc;
  let app: TestApp;
  let clientKey: string;
  let alice: DataCenterBrowser;
  let farah: DataCenterBrowser;
  let ownerOnlyId: string;

  const uids = (text: string) => readIcsEvents(text).events.map((event) => event.uid);
  const showsOwnerOnly = (text: string) => uids(text).some((uid) => uid.startsWith(`${ownerOnlyId}-`));

  beforeAll(async () => {
    dc = await FakeJiraDc.start();
    ({ app } = await startDataCenterApp(dc));
    // An issue only the owner (Alice) may browse; Farah is a Jira administrator who may not.
    const issue = dc.data.issues.find(
      (candidate) => candidate.projectKey === 'CAL' && candidate.duedate !== null && !candidate.securityLevel,
    );
    if (!issue) throw new Error('the seed has no CAL issue with a due date');
    issue.securityLevel = { name: 'Alice only', accountIds: [A.alice], groups: [] };
    ownerOnlyId = issue.id;
    dc.data.groups.find((group) => group.name === 'site-admins')?.members.push(A.farah);
    expect(canBrowse(dc.data, A.alice, issue)).toBe(true);
    expect(canBrowse(dc.data, A.farah, issue)).toBe(false);
    alice = await signInThroughJira(app, dc, A.alice);
    farah = await signInThroughJira(app, dc, A.farah);
    clientKey = (await alice.api.get('/session')).body.clientKey as string;
  });
  afterAll(async () => {
    await app?.stop();
    await dc?.stop();
  });

  it('moves the feed to the editor’s rights: the issue only the owner may browse leaves every URL', async () => {
    const created = await alice.api.post('/feeds', sampleFeedConfig({ access: { mode: 'all' } }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const feedId = created.body.id as string;
    expect(await app.services.sync.syncFeed(clientKey, feedId)).toMatchObject({ status: 'ok' });
    const sharedUrl = created.body.url as string;
    expect(showsOwnerOnly((await fetchFeed(sharedUrl)).text)).toBe(true);

    const edited = await farah.api.put(
      `/feeds/${feedId}`,
      sampleFeedConfig({ name: 'Edited by Farah', access: { mode: 'all' } }),
    );
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body).toMatchObject({ runsAs: dc.userKey(A.farah), updatedBy: dc.userKey(A.farah) });

    const searchesBefore = dc.requests.length;
    expect(await app.services.sync.syncFeed(clientKey, feedId)).toMatchObject({ status: 'ok' });
    const searches = dc.requests
      .slice(searchesBefore)
      .filter((request) => request.path === '/rest/api/2/search');
    expect(searches.length).toBeGreaterThan(0);
    expect(searches.every((request) => request.caller === A.farah)).toBe(true);

    const shared = await fetchFeed(sharedUrl);
    expect(shared.status).toBe(200);
    expect(readIcsEvents(shared.text).events.length).toBeGreaterThan(0);
    expect(showsOwnerOnly(shared.text)).toBe(false);
    // Another subscriber's personal URL publishes the same narrowed feed.
    const bob = await signInThroughJira(app, dc, A.bob);
    const calendars = await bob.api.get('/me/calendars');
    const personal = (calendars.body.calendars as { feedId: string; url: string }[]).find(
      (calendar) => calendar.feedId === feedId,
    );
    expect(personal).toBeDefined();
    const served = await fetchFeed(personal?.url ?? '');
    expect(served.status).toBe(200);
    expect(showsOwnerOnly(served.text)).toBe(false);
  });

  it('keeps the owner’s rights when the owner edits their own feed', async () => {
    const created = await alice.api.post('/feeds', sampleFeedConfig({ access: { mode: 'all' } }));
    const feedId = created.body.id as string;
    const edited = await alice.api.put(`/feeds/${feedId}`, sampleFeedConfig({ name: 'Renamed' }));
    expect(edited.status).toBe(200);
    expect(edited.body.runsAs).toBe(dc.userKey(A.alice));
    expect(await app.services.sync.syncFeed(clientKey, feedId)).toMatchObject({ status: 'ok' });
    expect(showsOwnerOnly((await fetchFeed(created.body.url as string)).text)).toBe(true);
  });

  it('leaves a feed of another deployment on the same database untouched', async () => {
    const otherJira = await FakeJiraDc.start();
    const other = await startDataCenterApp(otherJira, { db: app.db });
    try {
      const created = await alice.api.post('/feeds', sampleFeedConfig());
      const feedId = created.body.id as string;
      otherJira.data.groups.find((group) => group.name === 'site-admins')?.members.push(A.farah);
      const stranger = await signInThroughJira(other.app, otherJira, A.farah);
      const refused = await stranger.api.put(`/feeds/${feedId}`, sampleFeedConfig({ name: 'Hijacked' }));
      expect(refused.status).toBe(404);
      expect((await alice.api.get(`/feeds/${feedId}`)).body).toMatchObject({
        name: 'Calendar Platform dates',
        runsAs: dc.userKey(A.alice),
      });
    } finally {
      await other.app.stop();
      await otherJira.stop();
    }
  });
});
