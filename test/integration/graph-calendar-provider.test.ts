import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError, type PushedEvent } from '../../src/domain/calendar-provider.js';
import { GraphCalendarProvider } from '../../src/providers/microsoft/graph-calendar-provider.js';
import { FakeMicrosoftGraph, type SeenEvent } from '../support/fake-microsoft-graph.js';

const REDIRECT_URI = 'https://calendar-sync.example/oauth/microsoft/callback';
const UID_PROPERTY = 'String {8f0d3c2e-5b7a-4e61-9c1d-2a6f4b8e7d35} Name CalendarSyncUid';
let graph: FakeMicrosoftGraph;
let provider: GraphCalendarProvider;
/** Every token and secret handed out in this file: none may appear in an error message. */
const secrets: string[] = [];

function pushed(overrides: Partial<PushedEvent> & Pick<PushedEvent, 'uid'>): PushedEvent {
  return {
    summary: 'PROJ-1 Ship the release',
    description: 'Status: In Progress',
    url: 'https://acme.atlassian.net/browse/PROJ-1',
    start: { date: '2026-03-10' },
    end: { date: '2026-03-11' },
    transparent: true,
    digest: 'd1',
    ...overrides,
  };
}

/** Runs the real consent flow for a person and returns the grant the adapter made of it. */
async function connect(userId: string) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  graph.signInNext({ userId, consent: 'grant' });
  const url = provider.authorizationUrl({
    state,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    redirectUri: REDIRECT_URI,
  });
  const consent = await fetch(url, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location') ?? '');
  expect(back.searchParams.get('state')).toBe(state);
  const grant = await provider.exchangeCode(back.searchParams.get('code') ?? '', verifier, REDIRECT_URI);
  secrets.push(grant.accessToken, grant.refreshToken ?? '', verifier);
  return grant;
}

async function failure(work: Promise<unknown>): Promise<ProviderError> {
  const error: unknown = await work.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

beforeAll(async () => {
  graph = await new FakeMicrosoftGraph({ redirectUris: [REDIRECT_URI] }).start();
  secrets.push(graph.clientSecret);
  provider = new GraphCalendarProvider({
    clientId: graph.clientId,
    clientSecret: graph.clientSecret,
    authorityBaseUrl: graph.baseUrl,
    graphBaseUrl: graph.graphUrl,
  });
});
afterAll(() => graph.stop());

describe('GraphCalendarProvider against the fake Graph', () => {
  it('asks for Calendars.ReadWrite and offline_access with S256 PKCE on the common tenant', () => {
    const url = new URL(
      provider.authorizationUrl({ state: 's', codeChallenge: 'c'.repeat(43), redirectUri: REDIRECT_URI }),
    );
    expect(url.pathname).toBe('/common/oauth2/v2.0/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: graph.clientId,
      response_type: 'code',
      scope: 'Calendars.ReadWrite offline_access',
      code_challenge_method: 'S256',
      state: 's',
      redirect_uri: REDIRECT_URI,
    });
  });

  it('connects, fills a calendar of its own, keeps it in step and loses the grant when the person revokes it', async () => {
    const person = graph.addMailbox('alex.wilber@contoso.example');
    const before = Date.now();
    const grant = await connect(person.userId);
    expect(grant.scopes).toEqual(['Calendars.ReadWrite']);
    expect(grant.refreshToken).not.toBeNull();
    expect(grant.accessTokenExpiresAt.getTime()).toBeGreaterThanOrEqual(before + 3_598_000);
    const refreshed = await provider.refreshGrant(grant.refreshToken ?? '');
    secrets.push(refreshed.accessToken, refreshed.refreshToken ?? '');
    expect(refreshed.refreshToken).not.toBe(grant.refreshToken);
    const token = refreshed.accessToken;

    const { remoteId: calendarId } = await provider.createCalendar(token, {
      name: 'Team releases',
      description: 'Jira issues from Calendar Sync',
      timeZone: 'Europe/Berlin',
    });
    expect(graph.calendarNames(person.userId)).toEqual(['Calendar', 'Team releases']);

    const allDay = pushed({ uid: "release-1'quoted@calendar-sync" });
    const timed = pushed({
      uid: 'meeting-2@calendar-sync',
      summary: 'PROJ-2 Review',
      description: '',
      url: null,
      start: { dateTime: '2026-07-01T09:00:00', timeZone: 'America/New_York' },
      end: { dateTime: '2026-07-01T10:30:00-04:00', timeZone: 'America/New_York' },
      transparent: false,
    });
    const calls = graph.calls.length;
    const inserted = await provider.applyChange(token, calendarId, { kind: 'insert', event: allDay });
    const insertedTimed = await provider.applyChange(token, calendarId, { kind: 'insert', event: timed });
    expect(graph.calls.length - calls).toBe(2);
    expect(inserted).toMatchObject({ kind: 'inserted', uid: allDay.uid });
    const allDayId = inserted.kind === 'inserted' ? inserted.remoteId : '';
    const timedId = insertedTimed.kind === 'inserted' ? insertedTimed.remoteId : '';

    const seenAllDay: SeenEvent = {
      id: allDayId,
      subject: 'PROJ-1 Ship the release',
      body: 'Status: In Progress\n\nhttps://acme.atlassian.net/browse/PROJ-1',
      isAllDay: true,
      start: '2026-03-10',
      end: '2026-03-11',
      showAs: 'free',
      reminder: false,
      properties: { [UID_PROPERTY]: allDay.uid },
    };
    const seenTimed: SeenEvent = {
      id: timedId,
      subject: 'PROJ-2 Review',
      body: '',
      isAllDay: false,
      start: '2026-07-01T13:00:00.000Z',
      end: '2026-07-01T14:30:00.000Z',
      showAs: 'busy',
      reminder: false,
      properties: { [UID_PROPERTY]: timed.uid },
    };
    expect(graph.calendarAsSeen(person.userId, calendarId)).toEqual([seenAllDay, seenTimed]);

    expect(await provider.findEvent(token, calendarId, allDay.uid)).toBe(allDayId);
    expect(await provider.findEvent(token, calendarId, timed.uid)).toBe(timedId);
    expect(await provider.findEvent(token, calendarId, 'never-pushed@calendar-sync')).toBeNull();

    const moved = pushed({
      ...allDay,
      summary: 'PROJ-1 Ship the release (moved)',
      start: { date: '2026-03-12' },
      end: { date: '2026-03-14' },
      transparent: false,
      digest: 'd2',
    });
    const beforeUpdate = graph.calls.length;
    expect(
      await provider.applyChange(token, calendarId, { kind: 'update', remoteId: allDayId, event: moved }),
    ).toEqual({
      kind: 'updated',
      uid: allDay.uid,
      remoteId: allDayId,
    });
    const toTimed = pushed({
      ...timed,
      start: { dateTime: '2026-07-02T08:00:00Z', timeZone: 'UTC' },
      end: { dateTime: '2026-07-02T08:15:00Z', timeZone: 'UTC' },
      transparent: true,
    });
    await provider.applyChange(token, calendarId, { kind: 'update', remoteId: timedId, event: toTimed });
    expect(graph.calls.length - beforeUpdate).toBe(2);
    expect(graph.calendarAsSeen(person.userId, calendarId)).toEqual([
      {
        ...seenAllDay,
        subject: 'PROJ-1 Ship the release (moved)',
        start: '2026-03-12',
        end: '2026-03-14',
        showAs: 'busy',
      },
      { ...seenTimed, start: '2026-07-02T08:00:00.000Z', end: '2026-07-02T08:15:00.000Z', showAs: 'free' },
    ]);

    expect(
      await provider.applyChange(token, calendarId, { kind: 'delete', remoteId: timedId, uid: timed.uid }),
    ).toEqual({
      kind: 'deleted',
      uid: timed.uid,
    });
    expect(
      await provider.applyChange(token, calendarId, { kind: 'delete', remoteId: timedId, uid: timed.uid }),
    ).toEqual({
      kind: 'gone',
      uid: timed.uid,
    });
    expect(
      await provider.applyChange(token, calendarId, { kind: 'update', remoteId: timedId, event: toTimed }),
    ).toEqual({
      kind: 'gone',
      uid: timed.uid,
    });
    expect(graph.calendarAsSeen(person.userId, calendarId).map((event) => event.id)).toEqual([allDayId]);
    expect(
      graph.calendarAsSeen(person.userId, person.defaultCalendarId).map((event) => event.subject),
    ).toEqual(['Dentist']);
    expect(graph.foreignCalls()).toEqual([]);

    await provider.deleteCalendar(token, calendarId);
    await provider.deleteCalendar(token, calendarId);
    expect(graph.calendarNames(person.userId)).toEqual(['Calendar']);

    await provider.revokeGrant(refreshed.refreshToken ?? '');
    graph.revoke(person.userId);
    const revoked = await failure(provider.refreshGrant(refreshed.refreshToken ?? ''));
    expect({ kind: revoked.kind, status: revoked.status }).toEqual({ kind: 'grant_revoked', status: 400 });
    expect(
      (await failure(provider.createCalendar(token, { name: 'Again', description: '', timeZone: 'UTC' })))
        .kind,
    ).toBe('unauthorized');
  });
});

describe('GraphCalendarProvider error mapping', () => {
  let userId: string;
  let token: string;
  let calendarId: string;
  const event = pushed({ uid: 'errors@calendar-sync' });
  const errors: ProviderError[] = [];
  const caught = async (work: Promise<unknown>) => {
    const error = await failure(work);
    errors.push(error);
    return { kind: error.kind, status: error.status, retryAfterMs: error.retryAfterMs };
  };

  beforeAll(async () => {
    userId = graph.addMailbox('diego.siciliani@contoso.example').userId;
    token = (await connect(userId)).accessToken;
    calendarId = (await provider.createCalendar(token, { name: 'Errors', description: '', timeZone: 'UTC' }))
      .remoteId;
  });

  it('maps throttling, outages and a dropped connection', async () => {
    graph.failNext(
      { status: 429, retryAfterSeconds: 7 },
      { status: 503, retryAfterSeconds: 2 },
      { status: 500 },
      { drop: true },
    );
    const insert = () => provider.applyChange(token, calendarId, { kind: 'insert', event });
    expect(await caught(insert())).toEqual({ kind: 'rate_limited', status: 429, retryAfterMs: 7000 });
    expect(await caught(insert())).toEqual({ kind: 'unavailable', status: 503, retryAfterMs: 2000 });
    expect(await caught(insert())).toEqual({ kind: 'unavailable', status: 500, retryAfterMs: null });
    expect(await caught(insert())).toEqual({ kind: 'unavailable', status: null, retryAfterMs: null });
    graph.failNext({ status: 429, retryAfterDate: new Date(Date.now() + 30_000) });
    const dated = await failure(insert());
    expect(dated.kind).toBe('rate_limited');
    expect(dated.retryAfterMs).toBeGreaterThan(25_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(graph.calendarAsSeen(userId, calendarId)).toEqual([]);
  });

  it('maps the mailbox concurrency limit to rate_limited with its Retry-After', async () => {
    const gate = graph.hold();
    const held = Array.from({ length: 4 }, (_, i) =>
      provider.applyChange(token, calendarId, {
        kind: 'insert',
        event: pushed({ uid: `held-${i}@calendar-sync` }),
      }),
    );
    const deadline = Date.now() + 5000;
    while (graph.inFlight(userId) < 4 && Date.now() < deadline)
      await new Promise((resolve) => setImmediate(resolve));
    expect(await caught(provider.findEvent(token, calendarId, 'held-0@calendar-sync'))).toEqual({
      kind: 'rate_limited',
      status: 429,
      retryAfterMs: 1000,
    });
    gate.release();
    expect((await Promise.all(held)).map((outcome) => outcome.kind)).toEqual([
      'inserted',
      'inserted',
      'inserted',
      'inserted',
    ]);
  });

  it('maps an expired token to unauthorized and a bad client secret to rejected', async () => {
    const expired = graph.issueAccessToken(userId, ['Calendars.ReadWrite'], -1);
    secrets.push(expired);
    expect(await caught(provider.findEvent(expired, calendarId, event.uid))).toEqual({
      kind: 'unauthorized',
      status: 401,
      retryAfterMs: null,
    });
    const wrongSecret = new GraphCalendarProvider({
      clientId: graph.clientId,
      clientSecret: 'not-the-secret',
      authorityBaseUrl: graph.baseUrl,
      graphBaseUrl: graph.graphUrl,
    });
    expect(await caught(wrongSecret.refreshGrant('whatever-refresh-token'))).toMatchObject({
      kind: 'rejected',
      status: 401,
    });
    expect(await caught(provider.refreshGrant('unknown-refresh-token'))).toMatchObject({
      kind: 'grant_revoked',
    });
  });

  it('maps what Graph refuses to rejected: a foreign calendar, a duplicate name, an event Exchange will not store', async () => {
    const mailbox = graph.mailbox(userId);
    expect(
      await caught(provider.applyChange(token, mailbox.defaultCalendarId, { kind: 'insert', event })),
    ).toMatchObject({
      kind: 'rejected',
      status: 403,
    });
    expect(graph.foreignCalls().map((call) => call.userId)).toEqual([userId]);
    expect(
      await caught(provider.createCalendar(token, { name: 'Errors', description: '', timeZone: 'UTC' })),
    ).toMatchObject({
      kind: 'rejected',
      status: 409,
    });
    const empty = pushed({ uid: 'zero@calendar-sync', end: { date: '2026-03-10' } });
    expect(
      await caught(provider.applyChange(token, calendarId, { kind: 'insert', event: empty })),
    ).toMatchObject({
      kind: 'rejected',
      status: 400,
    });
  });

  it('maps a calendar the person deleted to calendar_gone, and deleting it again to done', async () => {
    const { remoteId } = await provider.createCalendar(token, {
      name: 'Soon gone',
      description: '',
      timeZone: 'UTC',
    });
    graph.mailbox(userId).deleteCalendar(remoteId);
    expect(await caught(provider.applyChange(token, remoteId, { kind: 'insert', event }))).toMatchObject({
      kind: 'calendar_gone',
      status: 404,
    });
    expect(await caught(provider.findEvent(token, remoteId, event.uid))).toMatchObject({
      kind: 'calendar_gone',
    });
    await expect(provider.deleteCalendar(token, remoteId)).resolves.toBeUndefined();
  });

  it('never puts a token or secret in an error message', () => {
    expect(errors.length).toBeGreaterThan(10);
    for (const error of errors)
      for (const secret of secrets.filter(Boolean))
        expect(`${error.message} ${error.stack ?? ''}`).not.toContain(secret);
  });
});
