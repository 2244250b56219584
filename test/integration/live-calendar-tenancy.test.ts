import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { CalendarConnectAttemptRepository } from '../../src/db/calendar-connect-attempt-repository.js';
import { CalendarConnectionRepository } from '../../src/db/calendar-connection-repository.js';
import { CalendarPushedEventRepository } from '../../src/db/calendar-pushed-event-repository.js';
import { InstallationRepository } from '../../src/db/installation-repository.js';
import { PrivacyRepository } from '../../src/db/privacy-repository.js';
import { openTestDatabase } from '../support/test-database.js';

let db: Database;
const SITE_A = `site-a-${randomUUID()}`;
const SITE_B = `site-b-${randomUUID()}`;
const now = new Date('2026-12-01T00:00:00Z');
const connectionId = randomUUID();
const feedId = randomUUID();
let connections: CalendarConnectionRepository;
let pushed: CalendarPushedEventRepository;
let attempts: CalendarConnectAttemptRepository;

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
  pushed = new CalendarPushedEventRepository(db.knex);
  attempts = new CalendarConnectAttemptRepository(db.knex);
  await connections.saveConnected(
    SITE_A,
    {
      id: connectionId,
      accountId: 'acc-1',
      feedId,
      calendar: 'all',
      subscriptionId: null,
      provider: 'google',
      remoteCalendarId: 'cal-a',
      createdAt: now,
    },
    Buffer.from('sealed'),
  );
  await pushed.put(SITE_A, connectionId, { uid: 'u1', remoteId: 'r1', digest: 'd1' });
  await attempts.create(
    SITE_A,
    {
      stateSha256: 'state-a',
      accountId: 'acc-1',
      feedId,
      calendar: 'all',
      provider: 'google',
      verifierSealed: Buffer.from('v'),
      expiresAt: new Date(now.getTime() + 60_000),
    },
    now,
  );
});
afterAll(() => db?.close());

const rowsOfA = async () => ({
  connections: await db.knex('calendar_connections').where({ client_key: SITE_A }),
  pushed: await db.knex('calendar_pushed_events').where({ client_key: SITE_A }),
  attempts: await db.knex('calendar_connect_attempts').where({ client_key: SITE_A }),
});

describe('live calendar storage keeps each site to itself', () => {
  it('reads and writes as site B find and change nothing of site A', async () => {
    const before = await rowsOfA();
    expect(await connections.findById(SITE_B, connectionId)).toBeNull();
    expect(
      await connections.findFor(SITE_B, { accountId: 'acc-1', feedId, calendar: 'all', provider: 'google' }),
    ).toBeNull();
    expect(await connections.listForAccount(SITE_B, 'acc-1')).toEqual([]);
    expect(await connections.listLive(SITE_B)).toEqual([]);
    expect(await connections.sealedToken(SITE_B, connectionId)).toBeNull();
    expect(await pushed.list(SITE_B, connectionId)).toEqual([]);
    expect(await attempts.consume(SITE_B, 'state-a', now)).toBeNull();
    await connections.update(SITE_B, connectionId, { state: 'ended', eventCount: 99 });
    await connections.markBroken(SITE_B, connectionId, 'x', now);
    await connections.delete(SITE_B, connectionId);
    await pushed.remove(SITE_B, connectionId, 'u1');
    await pushed.clear(SITE_B, connectionId);
    expect(await rowsOfA()).toEqual(before);
    expect(await connections.listLive(SITE_A)).toHaveLength(1);
    expect(await pushed.list(SITE_A, connectionId)).toEqual([{ uid: 'u1', remoteId: 'r1', digest: 'd1' }]);
  });

  it('uses a connect attempt once, and never after it expired', async () => {
    const attempt = {
      accountId: 'acc-2',
      feedId,
      calendar: 'all',
      provider: 'google' as const,
      verifierSealed: Buffer.from('v'),
    };
    await attempts.create(
      SITE_A,
      { ...attempt, stateSha256: 'once', expiresAt: new Date(now.getTime() + 60_000) },
      now,
    );
    expect(await attempts.consume(SITE_A, 'once', now)).toMatchObject({ accountId: 'acc-2' });
    expect(await attempts.consume(SITE_A, 'once', now)).toBeNull();
    await attempts.create(
      SITE_A,
      { ...attempt, stateSha256: 'late', expiresAt: new Date(now.getTime() + 1) },
      now,
    );
    expect(await attempts.consume(SITE_A, 'late', new Date(now.getTime() + 2))).toBeNull();
  });

  it('erasing the person deletes their live calendars and connect attempts, on their site only', async () => {
    const privacy = new PrivacyRepository(db.knex);
    await privacy.erase(SITE_B, 'acc-1', 'erased');
    expect(await connections.listForAccount(SITE_A, 'acc-1')).toHaveLength(1);
    await privacy.erase(SITE_A, 'acc-1', 'erased');
    expect(await connections.listForAccount(SITE_A, 'acc-1')).toEqual([]);
    expect(await pushed.list(SITE_A, connectionId)).toEqual([]);
    expect(
      await db.knex('calendar_connect_attempts').where({ client_key: SITE_A, account_id: 'acc-1' }),
    ).toEqual([]);
  });
});
