import { expect, it } from 'vitest';
import { CUSTOM_FIELD, FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { checkIcs, readIcsEvents } from '../support/ics-check.js';
import { type DoorApp, forEachDoor, type InstalledSite, withInstalledSite } from '../support/doors.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';

const A = SEED_ACCOUNTS;
/** 16:30 in Berlin (the feed's zone) and 08:30 in Denver on 10 June 2027; 00:30 on 11 June in Sydney. */
const GO_LIVE = '2027-06-10T14:30:00.000+0000';

forEachDoor((doorName) => {
  let jira: FakeJira;
  let app: TestApp;
  let site: InstalledSite;
  let door: DoorApp;

  withInstalledSite(doorName, {}, (world) => ({ jira, app, site, door } = world));

  const setZone = (accountId: string, timeZone: string, on = jira) => {
    on.data.users.find((user) => user.accountId === accountId)!.timeZone = timeZone;
  };

  async function allUrl(accountId: string, feedId: string, on = site): Promise<string> {
    const response = await on.api(accountId).get('/me/calendars');
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const calendars = response.body.calendars as { feedId: string; calendar: string; url: string }[];
    return calendars.find((calendar) => calendar.feedId === feedId && calendar.calendar === 'all')!.url;
  }

  async function goLiveDay(url: string, uidPrefix: string) {
    const response = await fetchFeed(url);
    expect(response.status).toBe(200);
    expect(checkIcs(response.text)).toEqual([]);
    const events = readIcsEvents(response.text).events.filter((event) => event.uid.startsWith(uidPrefix));
    expect(events).toHaveLength(1);
    return events[0]!;
  }

  it("puts a date-time deadline on each subscriber's own day; the shared URL and preview keep the feed's", async () => {
    const cal1 = jira.data.issues.find((issue) => issue.key === 'CAL-1')!;
    cal1.custom[CUSTOM_FIELD.goLiveAt] = GO_LIVE;
    setZone(A.bob, 'Australia/Sydney');
    setZone(A.chloe, 'America/Denver');
    const config = sampleFeedConfig({
      name: 'Own days',
      rules: [{ id: 'go-live', kind: 'allDay', field: CUSTOM_FIELD.goLiveAt, dayIn: 'subscriber' }],
      access: { mode: 'all' },
    });
    const admin = site.api(ADMIN);
    const preview = await admin.post('/feeds/preview', config);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.zoneNote).toMatch(
      /preview and the shared URL use the feed's time zone \(Europe\/Berlin\)/,
    );
    const previewed = (preview.body.events as { uid: string; start: string }[]).find((event) =>
      event.uid.startsWith(`${cal1.id}-go-live@`),
    );
    expect(previewed?.start).toBe('2027-06-10');

    const created = await admin.post('/feeds', config);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const feedId = created.body.id as string;
    expect(await app.services.sync.syncFeed(site.clientKey, feedId)).toMatchObject({ status: 'ok' });
    const uid = `${cal1.id}-go-live@`;
    const shared = await goLiveDay(created.body.url, uid);
    expect(shared.start).toBe('20270610');

    const [bobUrl, chloeUrl] = [await allUrl(A.bob, feedId), await allUrl(A.chloe, feedId)];
    const sydney = await goLiveDay(bobUrl, uid);
    const denver = await goLiveDay(chloeUrl, uid);
    expect(sydney).toMatchObject({ uid: shared.uid, start: '20270611', end: '20270612', allDay: true });
    expect(denver).toMatchObject({ uid: shared.uid, start: '20270610', end: '20270611', allDay: true });

    // Chloe moves to Sydney: the app's next access refresh reads her new zone.
    setZone(A.chloe, 'Australia/Sydney');
    await app.services.access.refreshSite(site.clientKey);
    const moved = await goLiveDay(chloeUrl, uid);
    expect(moved).toMatchObject({ uid: denver.uid, start: '20270611', end: '20270612' });
    expect(moved.sequence).toBe((denver.sequence ?? 0) + 1);
    // Bob's zone did not change: his calendar stands as it was.
    expect(await goLiveDay(bobUrl, uid)).toEqual(sydney);
  });

  // One Data Center deployment serves one Jira instance: there is no second site to keep apart.
  it.skipIf(doorName === 'datacenter')(
    "keeps each site's own profile zone for the same account: another site's Bob is in Honolulu",
    async () => {
      const other = await FakeJira.start();
      try {
        other.data.issues.find((issue) => issue.key === 'CAL-1')!.custom[CUSTOM_FIELD.goLiveAt] = GO_LIVE;
        setZone(A.bob, 'Pacific/Honolulu', other);
        const otherSite = await door.install(other);
        const config = sampleFeedConfig({
          name: 'Own days elsewhere',
          rules: [{ id: 'go-live', kind: 'allDay', field: CUSTOM_FIELD.goLiveAt, dayIn: 'subscriber' }],
          access: { mode: 'all' },
        });
        const created = await otherSite.api(ADMIN).post('/feeds', config);
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        expect(await app.services.sync.syncFeed(otherSite.clientKey, created.body.id)).toMatchObject({
          status: 'ok',
        });
        const cal1 = other.data.issues.find((issue) => issue.key === 'CAL-1')!;
        const honolulu = await goLiveDay(
          await allUrl(A.bob, created.body.id, otherSite),
          `${cal1.id}-go-live@`,
        );
        expect(honolulu).toMatchObject({ start: '20270610', end: '20270611' });
        // This site's Bob is still in Sydney.
        const mine = (await site.api(ADMIN).get('/feeds')).body.feeds as { id: string; name: string }[];
        const ownDays = mine.find((feed) => feed.name === 'Own days')!;
        const sydney = await goLiveDay(await allUrl(A.bob, ownDays.id), `${cal1.id}-go-live@`);
        expect(sydney).toMatchObject({ start: '20270611' });
      } finally {
        await other.stop();
      }
    },
  );

  it("refuses a rule that names both the subscriber's zone and a time zone field", async () => {
    const bad = await site.api(ADMIN).post(
      '/feeds',
      sampleFeedConfig({
        rules: [
          {
            id: 'go-live',
            kind: 'allDay',
            field: CUSTOM_FIELD.goLiveAt,
            dayIn: 'subscriber',
            timeZoneField: CUSTOM_FIELD.timeZone,
          },
        ],
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([
      { path: 'rules.0.dayIn', message: expect.stringMatching(/not both/) },
    ]);
  });
});
