import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import type { FakeIssue } from '../support/fake-jira/fake-jira-types.js';
import { formatJiraDateTime } from '../support/fake-jira/jira-time.js';
import { readIcsEvents } from '../support/ics-check.js';
import { type DoorName, forEachDoor, type InstalledSite, withInstalledSite } from '../support/doors.js';
import { LIVE_PROVIDERS, type LiveProviderHarness } from '../support/live-providers.js';
import { ADMIN, fetchFeed, sampleFeedConfig, syncNow } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const A = SEED_ACCOUNTS;

describe.each(LIVE_PROVIDERS.map((make) => [make().label, make]))('live calendars in %s', (_label, make) => {
  forEachDoor((doorName) => liveCalendarSuite(doorName, make()));
});

function liveCalendarSuite(doorName: DoorName, provider: LiveProviderHarness): void {
  let jira: FakeJira;
  let app: TestApp;
  let site: InstalledSite;

  beforeAll(() => provider.start());
  afterAll(() => provider.stop());
  withInstalledSite(
    doorName,
    () => ({ worker: true, config: provider.config() }),
    (world) => {
      ({ jira, app, site } = world);
      provider.appStarted(app.config.baseUrl);
    },
  );

  async function createFeed(name: string, access: Record<string, unknown>): Promise<string> {
    const created = await site.api(ADMIN).post('/feeds', sampleFeedConfig({ name, access }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await syncNow(app, site.clientKey, String(created.body.id));
    return String(created.body.id);
  }

  async function personalUrl(accountId: string, feedId: string): Promise<string> {
    const response = await site.api(accountId).get('/me/calendars');
    expect(response.status).toBe(200);
    const found = (response.body.calendars as { feedId: string; url: string }[]).find(
      (calendar) => calendar.feedId === feedId,
    );
    if (!found) throw new Error('no personal calendar');
    return found.url;
  }

  /** Clicks "Keep it live in …" and consents in the window it opens. */
  async function connect(accountId: string, feedId: string): Promise<string> {
    const started = await site.api(accountId).post('/me/live-calendars', {
      feedId,
      calendar: 'all',
      provider: provider.key,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    states.push(new URL(started.body.authorizationUrl as string).searchParams.get('state') ?? '');
    provider.signInNext(accountId);
    const consent = await fetch(started.body.authorizationUrl as string, { redirect: 'manual' });
    const callback = await fetch(consent.headers.get('location') ?? '');
    expect(callback.status).toBe(200);
    expect(await callback.text()).toContain('Connected');
    const listed = await site.api(accountId).get('/me/live-calendars');
    const connection = (listed.body.connections as { id: string; feedId: string }[]).find(
      (item) => item.feedId === feedId,
    );
    return connection!.id;
  }

  async function connectionOf(accountId: string, id: string) {
    const listed = await site.api(accountId).get('/me/live-calendars');
    return (
      listed.body.connections as {
        id: string;
        state: string;
        stateReason: string | null;
        eventCount: number;
        pendingCount: number;
      }[]
    ).find((item) => item.id === id);
  }

  const remoteEvents = (accountId: string) => provider.appCalendars(accountId)[0]?.events ?? [];

  /** The person's calendar at the provider equals their personal URL: same UIDs, same titles. */
  async function matchesUrl(accountId: string, url: string): Promise<boolean> {
    const served = readIcsEvents((await fetchFeed(url)).text).events;
    const remote = remoteEvents(accountId);
    const key = (uid: string | undefined, summary: string | undefined) => `${uid ?? ''}|${summary ?? ''}`;
    const want = served.map((event) => key(event.uid, event.summary)).sort();
    const have = remote.map((event) => key(event.uid, event.summary)).sort();
    return want.length > 0 && JSON.stringify(want) === JSON.stringify(have);
  }

  const states: string[] = [];
  const refusedCodes: string[] = [];
  const callsSince = (index: number) =>
    provider
      .calls()
      .slice(index)
      .map((call) => call.kind);

  // Each case drives several syncs, pushes and page calls through the door on a shared, busy machine.
  describe(`live calendars in ${provider.label}`, { timeout: 120_000 }, () => {
    let feedId: string;
    let chloeConnection: string;

    it('fills the calendar with exactly the personal URL, then changes only what an edit changed', async () => {
      feedId = await createFeed('Marketing live', { mode: 'groups', groups: [{ name: 'marketing' }] });
      const url = await personalUrl(A.chloe, feedId);
      chloeConnection = await connect(A.chloe, feedId);
      await waitFor('the first fill', () => matchesUrl(A.chloe, url));
      expect(provider.appCalendars(A.chloe).map((calendar) => calendar.name)).toEqual(['Marketing live']);
      await waitFor(
        'the push bookkeeping',
        async () => (await connectionOf(A.chloe, chloeConnection))?.pendingCount === 0,
      );

      const before = provider.calls().length;
      await app.services.calendarPushes.push(site.clientKey, chloeConnection);
      // A push job naming another site finds no connection there.
      expect(await app.services.calendarPushes.push(`${site.clientKey}-other`, chloeConnection)).toEqual({
        status: 'skipped',
        reason: 'not live',
      });
      expect(callsSince(before)).toEqual([]);

      const stored = await app.db.knex('feed_events').where({ feed_id: feedId });
      const edited = (stored as { event: { issueKey: string | null } }[]).find((row) => row.event.issueKey)!;
      const issue = jira.data.issues.find((candidate: FakeIssue) => candidate.key === edited.event.issueKey)!;
      issue.summary = 'Edited for the live calendar';
      issue.updated = formatJiraDateTime(Date.now(), 'UTC');
      const atEdit = provider.calls().length;
      await syncNow(app, site.clientKey, feedId);
      await waitFor(`the edit in ${provider.label}`, () =>
        Promise.resolve(
          remoteEvents(A.chloe).some((event) => event.summary?.includes('Edited for the live calendar')),
        ),
      );
      expect(await matchesUrl(A.chloe, url)).toBe(true);
      expect(callsSince(atEdit)).toEqual(['events.patch']);
      expect(provider.violations()).toEqual([]);
    });

    it('takes the events out when the person leaves the group that gave access', async () => {
      const marketing = jira.data.groups.find((group) => group.name === 'marketing')!;
      marketing.members = marketing.members.filter((member) => member !== A.chloe);
      try {
        await app.services.access.refreshSite(site.clientKey);
        await waitFor('the events removed', () => Promise.resolve(remoteEvents(A.chloe).length === 0));
        const connection = await waitFor('the ended state', async () => {
          const found = await connectionOf(A.chloe, chloeConnection);
          return found?.state === 'ended' ? found : null;
        });
        expect(connection.stateReason).toMatch(/group|access/i);
      } finally {
        marketing.members.push(A.chloe);
      }
    });

    it(`marks a withdrawn grant broken and stops calling ${provider.label}`, async () => {
      const feed = await createFeed('Everyone live', { mode: 'all' });
      const id = await connect(A.gao, feed);
      await waitFor('the first fill to finish', async () => {
        const connection = await connectionOf(A.gao, id);
        const remote = remoteEvents(A.gao).length;
        return remote > 0 && connection?.pendingCount === 0 && connection.eventCount === remote;
      });
      provider.revoke(A.gao);
      // An issue in Gao's calendar changes, so the next push has a call to make and meets the withdrawn grant.
      const issueId = remoteEvents(A.gao)
        .map((event) => /^(\d+)-/.exec(event.uid ?? '')?.[1])
        .find((found) => found !== undefined);
      const issue = jira.data.issues.find((candidate: FakeIssue) => candidate.id === issueId)!;
      issue.summary = `Changed while revoked ${Date.now()}`;
      issue.updated = formatJiraDateTime(Date.now(), 'UTC');
      await syncNow(app, site.clientKey, feed);
      await waitFor('the broken state', async () => (await connectionOf(A.gao, id))?.state === 'broken');
      const sealed = await app.db.knex('calendar_connections').where({ id }).first();
      expect(sealed.refresh_token_sealed).toBeNull();
      const before = provider.calls().length;
      await app.services.calendarPushes.push(site.clientKey, id);
      expect(provider.calls().length).toBe(before);
    });

    it(`disconnects: deletes the calendar in ${provider.label}, revokes the grant and erases the token`, async () => {
      const feed = await createFeed('Disconnect live', { mode: 'all' });
      const id = await connect(A.bob, feed);
      await waitFor('the first fill', () => Promise.resolve(remoteEvents(A.bob).length > 0));
      expect(provider.liveGrants(A.bob)).toBeOneOf([1, null]);
      expect((await site.api(A.chloe).delete(`/me/live-calendars/${id}`)).status).toBe(404);
      expect((await site.api(A.bob).delete(`/me/live-calendars/${id}`)).status).toBe(204);
      expect(provider.appCalendars(A.bob)).toEqual([]);
      expect(provider.liveGrants(A.bob)).toBeOneOf([0, null]);
      expect(await app.db.knex('calendar_connections').where({ id })).toEqual([]);
    });

    let aliceConnection = '';

    it(`waits out a rate limit for as long as ${provider.label} asked, then fills the calendar`, async () => {
      const feed = await createFeed('Rate limited live', { mode: 'all' });
      const start = provider.calls().length;
      provider.rateLimitNext(1);
      aliceConnection = await connect(A.alice, feed);
      await waitFor('the fill after the wait', () => Promise.resolve(remoteEvents(A.alice).length > 0));
      const calls = provider.calls().slice(start);
      const limited = calls.find((call) => call.status === 429)!;
      const next = calls[calls.indexOf(limited) + 1]!;
      expect(next.at - limited.at).toBeGreaterThanOrEqual(1000);
    });

    it('after a push that died between a call and its bookkeeping, finds the events instead of duplicating them', async () => {
      const connection = { id: aliceConnection };
      await waitFor(
        'the fill settled',
        async () => (await connectionOf(A.alice, connection.id))?.pendingCount === 0,
      );
      const count = remoteEvents(A.alice).length;
      await app.db.knex('calendar_pushed_events').where({ connection_id: connection.id }).delete();
      await app.db
        .knex('calendar_connections')
        .where({ id: connection.id })
        .update({ pending_count: count, last_error: null });
      const before = provider.calls().length;
      await app.services.calendarPushes.push(site.clientKey, connection.id);
      expect(remoteEvents(A.alice)).toHaveLength(count);
      expect(new Set(callsSince(before))).toEqual(new Set(['events.list', 'events.patch']));
    });

    it('names each calendar apart when the person already has one of that name', async () => {
      provider.addOwnCalendar(A.dmitri, 'Same name live');
      const first = await createFeed('Same name live', { mode: 'all' });
      const second = await createFeed('Same name live', { mode: 'all' });
      await connect(A.dmitri, first);
      await connect(A.dmitri, second);
      const calendars = await waitFor('both calendars filled', () => {
        const made = provider.appCalendars(A.dmitri);
        return Promise.resolve(made.length === 2 && made.every((c) => c.events.length > 0) ? made : null);
      });
      expect(calendars.map((calendar) => calendar.name).sort()).toEqual(
        provider.uniqueCalendarNames
          ? ['Same name live (2)', 'Same name live (3)']
          : ['Same name live', 'Same name live'],
      );
      expect(provider.violations()).toEqual([]);
    });

    it('refuses bad input field by field, and a callback that is forged, replayed or denied', async () => {
      const bad = await site
        .api(A.bob)
        .post('/me/live-calendars', { feedId: 'x', calendar: 'other', provider: 'yahoo' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.fields.map((field: { path: string }) => field.path).sort()).toEqual([
        'calendar',
        'feedId',
        'provider',
      ]);
      expect((await site.api(A.bob).delete('/me/live-calendars/not-a-uuid')).status).toBe(400);
      const forged = await fetch(
        `${app.url}/live-calendars/${provider.key}/callback?state=${'a'.repeat(60)}&code=x`,
      );
      expect(forged.status).toBe(400);
      expect(await forged.text()).toContain('Not connected');
      const feed = await createFeed('Denied live', { mode: 'all' });
      const started = await site
        .api(A.farah)
        .post('/me/live-calendars', { feedId: feed, calendar: 'all', provider: provider.key });
      provider.signInNext(null);
      const consent = await fetch(started.body.authorizationUrl as string, { redirect: 'manual' });
      const callbackUrl = consent.headers.get('location') ?? '';
      const denied = await fetch(callbackUrl);
      expect(denied.status).toBe(400);
      expect(await denied.text()).toMatch(/did not grant access/);
      expect((await fetch(callbackUrl)).status).toBe(400);
      expect((await site.api(A.farah).get('/me/live-calendars')).body.connections).toEqual([]);
    });

    it('says so when the provider refuses the code, and logs why without the code', async () => {
      const feed = await createFeed('Refused code live', { mode: 'all' });
      const started = await site
        .api(A.dmitri)
        .post('/me/live-calendars', { feedId: feed, calendar: 'all', provider: provider.key });
      const state = new URL(started.body.authorizationUrl as string).searchParams.get('state') ?? '';
      states.push(state);
      const code = `0.AAAA-${randomBytes(24).toString('base64url')}`;
      refusedCodes.push(code);
      const callback = await fetch(
        `${app.url}/live-calendars/${provider.key}/callback?state=${encodeURIComponent(state)}&code=${code}`,
      );
      expect(callback.status).toBe(400);
      expect(await callback.text()).toContain(`${provider.label} did not confirm the connection`);
      expect(app.logs()).toContain('code exchange failed');
    });

    it('keeps every token, code and verifier out of the logs', () => {
      const logs = app.logs();
      const secrets = provider.secrets();
      expect(secrets.length).toBeGreaterThan(5);
      for (const secret of [...secrets, ...states, ...refusedCodes]) expect(logs).not.toContain(secret);
      expect(states.length).toBeGreaterThan(2);
    });

    it('never touches a calendar or event the app did not create', () => {
      expect(provider.violations()).toEqual([]);
    });
  });
}
