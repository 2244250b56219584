import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeMicrosoftGraph, MAILBOX_CONCURRENCY } from '../support/fake-microsoft-graph.js';

const REDIRECT_URI = 'https://calendar-sync.example/oauth/microsoft/callback';
const UID_PROPERTY = 'String {8f0d3c2e-5b7a-4e61-9c1d-2a6f4b8e7d35} Name CalendarSyncUid';
let graph: FakeMicrosoftGraph;
let userId: string;
let token: string;

type Answer = { status: number; headers: Headers; body: Record<string, unknown> };

async function graphCall(
  bearer: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${graph.graphUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const errorCode = (answer: Answer) => (answer.body['error'] as { code: string } | undefined)?.code;

const timed = {
  subject: 'PROJ-1 Ship it',
  body: { contentType: 'text', content: 'Due' },
  start: { dateTime: '2026-03-10T09:00:00', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2026-03-10T10:00:00', timeZone: 'Europe/Berlin' },
};

async function appCalendar(name: string): Promise<string> {
  const created = await graphCall(token, 'POST', '/me/calendars', { name });
  expect(created.status).toBe(201);
  return created.body['id'] as string;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorize(params: Record<string, string>): Promise<{ status: number; location: URL | null }> {
  const query = new URLSearchParams({
    client_id: graph.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'Calendars.ReadWrite offline_access',
    state: 'st-1',
    code_challenge_method: 'S256',
    ...params,
  });
  const response = await fetch(`${graph.baseUrl}/common/oauth2/v2.0/authorize?${query.toString()}`, {
    redirect: 'manual',
  });
  const location = response.headers.get('location');
  return { status: response.status, location: location ? new URL(location) : null };
}

async function tokenCall(
  form: Record<string, string>,
  contentType = 'application/x-www-form-urlencoded',
): Promise<Answer> {
  const response = await fetch(`${graph.baseUrl}/common/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: contentType.includes('json') ? JSON.stringify(form) : new URLSearchParams(form).toString(),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

beforeAll(async () => {
  graph = await new FakeMicrosoftGraph({ redirectUris: [REDIRECT_URI] }).start();
  userId = graph.firstMailbox().userId;
  token = graph.issueAccessToken(userId, ['Calendars.ReadWrite']);
});
afterAll(() => graph.stop());

describe('identity platform', () => {
  const client = () => ({ client_id: graph.clientId, client_secret: graph.clientSecret });

  it('redirects with a code and the state, and redeems the code once against its verifier', async () => {
    const { verifier, challenge } = pkce();
    const consent = await authorize({ code_challenge: challenge });
    expect(consent.status).toBe(302);
    expect(consent.location?.origin + (consent.location?.pathname ?? '')).toBe(REDIRECT_URI);
    expect(consent.location?.searchParams.get('state')).toBe('st-1');
    const code = consent.location?.searchParams.get('code') ?? '';
    const wrongVerifier = await tokenCall({
      ...client(),
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce().verifier,
    });
    expect(wrongVerifier.body).toMatchObject({ error: 'invalid_grant', error_codes: [501481] });

    const { verifier: v2, challenge: c2 } = pkce();
    const again = await authorize({ code_challenge: c2 });
    const code2 = again.location?.searchParams.get('code') ?? '';
    const granted = await tokenCall({
      ...client(),
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: REDIRECT_URI,
      code_verifier: v2,
    });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3599,
      scope: 'https://graph.microsoft.com/Calendars.ReadWrite',
    });
    expect(typeof granted.body['refresh_token']).toBe('string');
    const reused = await tokenCall({
      ...client(),
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: REDIRECT_URI,
      code_verifier: v2,
    });
    expect(reused.body).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });
    expect(verifier).not.toBe(v2);
  });

  it('refuses authorize requests without S256 PKCE, from unregistered redirect URIs, and reports a denied consent', async () => {
    const plain = await authorize({ code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' });
    expect(plain.location?.searchParams.get('error')).toBe('invalid_request');
    expect(plain.location?.searchParams.get('state')).toBe('st-1');
    const missing = await authorize({});
    expect(missing.location?.searchParams.get('error')).toBe('invalid_request');
    const elsewhere = await authorize({
      code_challenge: pkce().challenge,
      redirect_uri: 'https://evil.example/cb',
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.location).toBeNull();
    graph.signInNext({ userId, consent: 'deny' });
    const denied = await authorize({ code_challenge: pkce().challenge });
    expect(denied.location?.searchParams.get('error')).toBe('access_denied');
    expect(denied.location?.searchParams.get('code')).toBeNull();
    expect(denied.location?.searchParams.get('state')).toBe('st-1');
  });

  it('takes only form bodies and the right client secret, rotates refresh tokens and refuses revoked ones', async () => {
    const person = graph.addMailbox('lee.gu@contoso.example');
    graph.signInNext({ userId: person.userId, consent: 'grant' });
    const { verifier, challenge } = pkce();
    const code = (await authorize({ code_challenge: challenge })).location?.searchParams.get('code') ?? '';
    const form = {
      ...client(),
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
    expect((await tokenCall(form, 'application/json')).body).toMatchObject({
      error: 'invalid_request',
      error_codes: [900144],
    });
    const badSecret = await tokenCall({ ...form, client_secret: 'guess' });
    expect(badSecret.status).toBe(401);
    expect(badSecret.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    const granted = await tokenCall(form);
    const first = granted.body['refresh_token'] as string;
    const refreshed = await tokenCall({ ...client(), grant_type: 'refresh_token', refresh_token: first });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body['refresh_token']).not.toBe(first);
    graph.revoke(person.userId);
    const revoked = await tokenCall({
      ...client(),
      grant_type: 'refresh_token',
      refresh_token: refreshed.body['refresh_token'] as string,
    });
    expect(revoked.status).toBe(400);
    expect(revoked.body).toMatchObject({ error: 'invalid_grant', error_codes: [50173] });
    expect(revoked.body['error_description']).toMatch(/^AADSTS50173: /);
    expect(Object.keys(revoked.body)).toEqual(
      expect.arrayContaining(['timestamp', 'trace_id', 'correlation_id']),
    );
    const access = granted.body['access_token'] as string;
    expect((await graphCall(access, 'POST', '/me/calendars', { name: 'After revoke' })).status).toBe(401);
  });
});

describe('Graph v1.0', () => {
  it('answers in Graph shapes and finds an event by its extended property', async () => {
    const calendarId = await appCalendar('Shapes');
    const created = await graphCall(token, 'POST', `/me/calendars/${encodeURIComponent(calendarId)}/events`, {
      ...timed,
      singleValueExtendedProperties: [{ id: UID_PROPERTY, value: "it's-1@calendar-sync" }],
    });
    expect(created.status).toBe(201);
    expect(created.body['@odata.context']).toMatch(
      /\$metadata#users\('.+'\)\/calendars\('.+'\)\/events\/\$entity$/,
    );
    expect(created.body['start']).toEqual({ dateTime: '2026-03-10T08:00:00.0000000', timeZone: 'UTC' });
    expect(created.body).not.toHaveProperty('singleValueExtendedProperties');
    const filter = `singleValueExtendedProperties/Any(ep: ep/id eq '${UID_PROPERTY}' and ep/value eq 'it''s-1@calendar-sync')`;
    const expand = `singleValueExtendedProperties($filter=id eq '${UID_PROPERTY}')`;
    const found = await graphCall(
      token,
      'GET',
      `/me/calendars/${encodeURIComponent(calendarId)}/events?$filter=${encodeURIComponent(filter)}&$expand=${encodeURIComponent(expand)}`,
    );
    expect(found.status).toBe(200);
    expect(found.body['@odata.context']).toMatch(/\/events$/);
    expect(found.body['value']).toEqual([
      expect.objectContaining({
        id: created.body['id'],
        singleValueExtendedProperties: [{ id: UID_PROPERTY, value: "it's-1@calendar-sync" }],
      }),
    ]);
    const other = await graphCall(
      token,
      'GET',
      `/me/calendars/${encodeURIComponent(calendarId)}/events?$filter=${encodeURIComponent("subject eq 'x'")}`,
    );
    expect(other.status).toBe(400);
  });

  it('refuses bodies Graph refuses and stores nothing from them', async () => {
    const calendarId = await appCalendar('Bad bodies');
    const path = `/me/calendars/${encodeURIComponent(calendarId)}/events`;
    const refusals: [unknown, string][] = [
      [{ ...timed, colour: 'red' }, 'RequestBodyRead'],
      [{ ...timed, showAs: 'maybe' }, 'BadRequest'],
      [{ ...timed, start: { dateTime: '2026-03-10T09:00:00+01:00', timeZone: 'UTC' } }, 'BadRequest'],
      [
        { ...timed, end: { dateTime: '2026-03-10T10:00:00', timeZone: 'Mars/Olympus' } },
        'TimeZoneNotSupportedException',
      ],
      [{ ...timed, isAllDay: true }, 'ErrorInvalidRequest'],
      [{ subject: 'no times' }, 'BadRequest'],
    ];
    for (const [body, code] of refusals) {
      const answer = await graphCall(token, 'POST', path, body);
      expect({ status: answer.status, code: errorCode(answer) }).toEqual({ status: 400, code });
    }
    expect(
      (await graphCall(token, 'POST', '/me/calendars', { name: 'X', description: 'no such field' })).status,
    ).toBe(400);
    expect(graph.calendarAsSeen(userId, calendarId)).toEqual([]);
    expect(graph.calendarNames(userId)).not.toContain('X');
  });

  it('refuses a missing, unknown or expired token, and writes without Calendars.ReadWrite', async () => {
    expect(errorCode(await graphCall(null, 'POST', '/me/calendars', { name: 'A' }))).toBe(
      'InvalidAuthenticationToken',
    );
    expect((await graphCall('made-up', 'POST', '/me/calendars', { name: 'A' })).status).toBe(401);
    const shortLived = graph.issueAccessToken(userId, ['Calendars.ReadWrite'], -1);
    const expired = await graphCall(shortLived, 'POST', '/me/calendars', { name: 'A' });
    expect({ status: expired.status, code: errorCode(expired) }).toEqual({
      status: 401,
      code: 'InvalidAuthenticationToken',
    });
    const readOnly = graph.issueAccessToken(userId, ['Calendars.Read', 'User.Read']);
    const write = await graphCall(readOnly, 'POST', '/me/calendars', { name: 'A' });
    expect({ status: write.status, code: errorCode(write) }).toEqual({
      status: 403,
      code: 'ErrorAccessDenied',
    });
    expect(graph.calendarNames(userId)).not.toContain('A');
  });

  it('refuses and records every call that touches the calendar or events the person made', async () => {
    const mailbox = graph.mailbox(userId);
    const [ownEvent] = mailbox.events.keys();
    const calendar = encodeURIComponent(mailbox.defaultCalendarId);
    const before = graph.foreignCalls().length;
    const answers = [
      await graphCall(token, 'POST', `/me/calendars/${calendar}/events`, timed),
      await graphCall(token, 'GET', `/me/calendars/${calendar}/events`),
      await graphCall(token, 'DELETE', `/me/calendars/${calendar}`),
      await graphCall(token, 'PATCH', `/me/events/${encodeURIComponent(ownEvent ?? '')}`, {
        subject: 'Hijacked',
      }),
      await graphCall(token, 'DELETE', `/me/events/${encodeURIComponent(ownEvent ?? '')}`),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([403, 403, 403, 403, 403]);
    expect(graph.foreignCalls().length - before).toBe(5);
    expect(graph.calendarAsSeen(userId, mailbox.defaultCalendarId).map((event) => event.subject)).toEqual([
      'Dentist',
    ]);
  });

  it('answers 404 for what is not there, in the mailbox the token belongs to', async () => {
    const calendarId = await appCalendar('Mine only');
    const other = graph.addMailbox('megan.bowen@contoso.example');
    const otherToken = graph.issueAccessToken(other.userId, ['Calendars.ReadWrite']);
    const across = await graphCall(
      otherToken,
      'POST',
      `/me/calendars/${encodeURIComponent(calendarId)}/events`,
      timed,
    );
    expect({ status: across.status, code: errorCode(across) }).toEqual({
      status: 404,
      code: 'ErrorItemNotFound',
    });
    expect((await graphCall(token, 'DELETE', '/me/events/AAMkAGInothere=')).status).toBe(404);
  });

  it(`throttles the request over ${MAILBOX_CONCURRENCY} concurrent ones per mailbox with 429 and Retry-After`, async () => {
    const calendarId = await appCalendar('Busy');
    const path = `/me/calendars/${encodeURIComponent(calendarId)}/events`;
    const gate = graph.hold();
    const held = Array.from({ length: MAILBOX_CONCURRENCY }, () => graphCall(token, 'POST', path, timed));
    const deadline = Date.now() + 5000;
    while (graph.inFlight(userId) < MAILBOX_CONCURRENCY && Date.now() < deadline)
      await new Promise((r) => setImmediate(r));
    const fifth = await graphCall(token, 'POST', path, timed);
    expect({
      status: fifth.status,
      code: errorCode(fifth),
      retryAfter: fifth.headers.get('retry-after'),
    }).toEqual({
      status: 429,
      code: 'ApplicationThrottled',
      retryAfter: '1',
    });
    gate.release();
    expect((await Promise.all(held)).map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    expect(graph.calendarAsSeen(userId, calendarId)).toHaveLength(MAILBOX_CONCURRENCY);
  });

  it('injects 429 with Retry-After and 503, then resumes', async () => {
    graph.failNext({ status: 429, retryAfterSeconds: 7 }, { status: 503 });
    const limited = await graphCall(token, 'POST', '/me/calendars', { name: 'Faults' });
    expect({ status: limited.status, retryAfter: limited.headers.get('retry-after') }).toEqual({
      status: 429,
      retryAfter: '7',
    });
    expect((await graphCall(token, 'POST', '/me/calendars', { name: 'Faults' })).status).toBe(503);
    expect((await graphCall(token, 'POST', '/me/calendars', { name: 'Faults' })).status).toBe(201);
  });
});
