import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalendarConnectionRepository } from '../../src/db/calendar-connection-repository.js';
import type { Database } from '../../src/db/database.js';
import { InstallationRepository } from '../../src/db/installation-repository.js';
import { openTestDatabase } from '../support/test-database.js';

let db: Database;
let connections: CalendarConnectionRepository;
const SITE_A = `site-a-${randomUUID()}`;
const SITE_B = `site-b-${randomUUID()}`;
const now = new Date('2026-12-01T00:00:00Z');
/** One feed id on both sites: the count must still keep each site's connections to itself. */
const feedId = randomUUID();
const otherFeedId = randomUUID();

async function connected(
  site: string,
  accountId: string,
  feed: string,
  provider: 'google' | 'microsoft',
): Promise<string> {
  const id = randomUUID();
  await connections.saveConnected(
    site,
    {
      id,
      accountId,
      feedId: feed,
      calendar: 'all',
      subscriptionId: null,
      provider,
      remoteCalendarId: null,
      createdAt: now,
    },
    Buffer.from('sealed'),
  );
  return id;
}

beforeAll(async () => {
  db = await openTestDatabase();
  const installations = new InstallationRepository(db.knex);
  for (const site of [SITE_A, SITE_B])
    await installations.saveConnectInstall(
      site,
      { clientKey: site, sharedSecret: 's'.repeat(40), baseUrl: `https://${site}.atlassian.net` },
      now,
    );
  connections = new CalendarConnectionRepository(db.knex);
  await connected(SITE_A, 'acc-1', feedId, 'google');
  await connected(SITE_A, 'acc-2', feedId, 'google');
  await connected(SITE_A, 'acc-3', feedId, 'microsoft');
  const broken = await connected(SITE_A, 'acc-4', feedId, 'google');
  await connections.markBroken(SITE_A, broken, 'withdrawn', now);
  await connected(SITE_A, 'acc-1', otherFeedId, 'google');
  await connected(SITE_B, 'acc-9', feedId, 'google');
});
afterAll(() => db?.close());

describe('live connections counted per feed for the admin grid', () => {
  it('counts only the site’s own live connections, per feed and provider', async () => {
    const ofA = await connections.countLiveByFeed(SITE_A);
    expect(ofA.get(feedId)).toEqual({ google: 2, microsoft: 1 });
    expect(ofA.get(otherFeedId)).toEqual({ google: 1 });
    const ofB = await connections.countLiveByFeed(SITE_B);
    expect([...ofB.entries()]).toEqual([[feedId, { google: 1 }]]);
    expect((await connections.countLiveByFeed(`site-c-${randomUUID()}`)).size).toBe(0);
  });
});
