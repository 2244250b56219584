import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  forEachDoor,
  type InstalledSite,
  publishTeamFeed,
  type TeamFeed,
  withInstalledSite,
} from '../support/doors.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { ADMIN, fetchFeed } from '../support/site.js';

const A = SEED_ACCOUNTS;

type Footprint = {
  subscriptions: unknown[];
  cachedAccount: unknown;
  projectRoles: unknown[];
  eventsNamingAccount: unknown[];
};

/**
 * An account closed where the site's Jira keeps people is erased from that site, whichever door the site
 * came through and however that door learns of it (Personal Data Reporting on Connect and Forge, the user
 * sweep on Data Center); the same person on another site keeps everything.
 */
forEachDoor((doorName) => {
  let site: InstalledSite;
  let other: FakeJira;
  let otherSite: InstalledSite;

  withInstalledSite(doorName, {}, async (world) => {
    ({ site } = world);
    other = await FakeJira.start();
    otherSite = await world.door.install(other);
  });
  // Registered after withInstalledSite's, so it runs before the app stops.
  afterAll(() => other?.stop());

  async function publish(target: InstalledSite): Promise<TeamFeed> {
    const feed = await publishTeamFeed(target, A.bob);
    expect(feed.personal).toHaveLength(2);
    return feed;
  }

  const footprint = async (target: InstalledSite): Promise<Footprint> => {
    const report = await target
      .api(ADMIN)
      .get(`/privacy/accounts/${encodeURIComponent(target.userId(A.bob))}`);
    expect(report.status).toBe(200);
    return report.body as Footprint;
  };

  let mine: TeamFeed;
  let theirs: TeamFeed;
  beforeAll(async () => {
    mine = await publish(site);
    theirs = await publish(otherSite);
  });

  it("erases a closed account's URLs, cached account and memberships from its site", async () => {
    for (const url of mine.personal) expect((await fetchFeed(url)).status).toBe(200);
    expect((await fetchFeed(mine.shared)).text).toContain('Bob Brown');
    expect(await footprint(site)).toMatchObject({ cachedAccount: expect.anything() });

    await site.closeAccount(A.bob);

    for (const url of mine.personal) expect((await fetchFeed(url)).status).toBe(404);
    expect(await footprint(site)).toMatchObject({ subscriptions: [], cachedAccount: null, projectRoles: [] });
    // Jira shows him as a former user from now on: the next sync takes his name out of the shared feed.
    expect(await site.app.services.sync.syncFeed(site.clientKey, mine.feedId)).toMatchObject({
      status: 'ok',
    });
    const served = await fetchFeed(mine.shared);
    expect(served.status).toBe(200);
    expect(served.text).not.toContain('Bob Brown');
  });

  it('leaves the same person on another site as they were', async () => {
    for (const url of theirs.personal) expect((await fetchFeed(url)).status).toBe(200);
    expect((await fetchFeed(theirs.shared)).text).toContain('Bob Brown');
    const kept = await footprint(otherSite);
    expect(kept.subscriptions).toHaveLength(2);
    expect(kept.cachedAccount).not.toBeNull();
    expect(kept.eventsNamingAccount).not.toEqual([]);
  });
});
