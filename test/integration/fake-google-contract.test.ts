import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PushedEvent, ProviderError } from '../../src/domain/calendar-provider.js';
import { GoogleCalendarProvider, GOOGLE_SCOPE } from '../../src/providers/google/google-calendar-provider.js';
import { FakeGoogle } from '../support/fake-google.js';

const REDIRECT = 'http://127.0.0.1:9/live-calendars/google/callback';

let google: FakeGoogle;
let provider: GoogleCalendarProvider;

beforeAll(async () => {
  google = await FakeGoogle.start();
  provider = new GoogleCalendarProvider({
    ...google.client,
    oauthBaseUrl: google.url,
    apiBaseUrl: google.url,
  });
});
afterAll(async () => {
  await google.stop();
});

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Follows the authorize redirect as a browser would, returning the callback's query. */
async function consent(url: string): Promise<URLSearchParams> {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') ?? '').searchParams;
}

async function connect(user: string) {
  google.oauth.nextUser = user;
  const { verifier, challenge } = pkce();
  const back = await consent(
    provider.authorizationUrl({ state: 'st-1', codeChallenge: challenge, redirectUri: REDIRECT }),
  );
  expect(back.get('state')).toBe('st-1');
  return provider.exchangeCode(back.get('code') ?? '', verifier, REDIRECT);
}

const event = (uid: string, summary: string): PushedEvent => ({
  uid,
  summary,
  description: 'From Jira',
  url: 'https://example.atlassian.net/browse/CAL-1',
  start: { date: '2026-12-10' },
  end: { date: '2026-12-11' },
  transparent: true,
  digest: 'd1',
});

describe('fake Google OAuth', () => {
  it('asks for the one app-created scope, offline, with PKCE S256 and state', () => {
    const url = new URL(
      provider.authorizationUrl({ state: 's', codeChallenge: pkce().challenge, redirectUri: REDIRECT }),
    );
    expect(url.searchParams.get('scope')).toBe(GOOGLE_SCOPE);
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('hands out a refresh token only for the right verifier, once per code', async () => {
    google.oauth.nextUser = 'ana@example.com';
    const { verifier, challenge } = pkce();
    const back = await consent(
      provider.authorizationUrl({ state: 'x', codeChallenge: challenge, redirectUri: REDIRECT }),
    );
    const code = back.get('code') ?? '';
    await expect(provider.exchangeCode(code, pkce().verifier, REDIRECT)).rejects.toMatchObject({
      kind: 'grant_revoked',
    });
    // The failed attempt used the code up, as Google does.
    await expect(provider.exchangeCode(code, verifier, REDIRECT)).rejects.toBeInstanceOf(ProviderError);
    const grant = await connect('ana@example.com');
    expect(grant.refreshToken).toMatch(/^1\/\//);
    expect(grant.scopes).toEqual([GOOGLE_SCOPE]);
    const refreshed = await provider.refreshGrant(grant.refreshToken ?? '');
    expect(refreshed.refreshToken).toBeNull();
    expect(refreshed.accessToken).not.toBe(grant.accessToken);
  });

  it('refuses an authorize request without PKCE and reports a denial to the redirect URI', async () => {
    const plain = new URL(
      provider.authorizationUrl({ state: 's', codeChallenge: pkce().challenge, redirectUri: REDIRECT }),
    );
    plain.searchParams.delete('code_challenge');
    expect((await consent(plain.toString())).get('error')).toBe('invalid_request');
    google.oauth.nextUser = null;
    const denied = await consent(
      provider.authorizationUrl({ state: 's2', codeChallenge: pkce().challenge, redirectUri: REDIRECT }),
    );
    expect(denied.get('error')).toBe('access_denied');
    expect(denied.get('state')).toBe('s2');
  });

  it('answers invalid_grant and 401 once the person revokes the grant', async () => {
    const grant = await connect('bo@example.com');
    google.oauth.revokeUser('bo@example.com');
    await expect(provider.refreshGrant(grant.refreshToken ?? '')).rejects.toMatchObject({
      kind: 'grant_revoked',
    });
    await expect(
      provider.createCalendar(grant.accessToken, { name: 'x', description: '', timeZone: 'UTC' }),
    ).rejects.toMatchObject({ kind: 'unauthorized', status: 401 });
    await expect(provider.revokeGrant(grant.refreshToken ?? '')).resolves.toBeUndefined();
  });
});

describe('fake Google Calendar API', () => {
  it('creates the calendar, inserts, finds, patches and deletes events within the contract', async () => {
    const grant = await connect('cy@example.com');
    const token = grant.accessToken;
    const { remoteId } = await provider.createCalendar(token, {
      name: 'Due dates',
      description: 'Jira',
      timeZone: 'UTC',
    });
    const inserted = await provider.applyChange(token, remoteId, {
      kind: 'insert',
      event: event('u1@x', 'One'),
    });
    expect(inserted.kind).toBe('inserted');
    const remoteEventId = inserted.kind === 'inserted' ? inserted.remoteId : '';
    expect(await provider.findEvent(token, remoteId, 'u1@x')).toBe(remoteEventId);
    expect(await provider.findEvent(token, remoteId, 'other@x')).toBeNull();
    await provider.applyChange(token, remoteId, {
      kind: 'update',
      remoteId: remoteEventId,
      event: {
        ...event('u1@x', 'One, renamed'),
        start: { dateTime: '2026-12-10T09:00:00Z', timeZone: 'UTC' },
        end: { dateTime: '2026-12-10T10:00:00Z', timeZone: 'UTC' },
      },
    });
    const [calendar] = google.calendarsOf('cy@example.com');
    expect(calendar?.events.map((item) => [item.id, item.summary])).toEqual([
      [remoteEventId, 'One, renamed'],
    ]);
    expect(
      await provider.applyChange(token, remoteId, { kind: 'delete', remoteId: remoteEventId, uid: 'u1@x' }),
    ).toEqual({ kind: 'deleted', uid: 'u1@x' });
    expect(
      await provider.applyChange(token, remoteId, { kind: 'delete', remoteId: remoteEventId, uid: 'u1@x' }),
    ).toEqual({ kind: 'gone', uid: 'u1@x' });
    await provider.deleteCalendar(token, remoteId);
    await provider.deleteCalendar(token, remoteId);
    expect(google.calendarsOf('cy@example.com')).toEqual([]);
    expect(google.violations).toEqual([]);
  });

  it('refuses calls outside the discovery document, outside the scope, or on calendars the app did not create', async () => {
    const grant = await connect('di@example.com');
    const call = (path: string, init: RequestInit = {}, token = grant.accessToken) =>
      fetch(`${google.url}/calendar/v3${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    const before = google.violations.length;
    expect(
      (await call('/calendars', { method: 'POST', body: JSON.stringify({ summary: 'x', colour: 'red' }) }))
        .status,
    ).toBe(400);
    expect(
      (await call('/calendars', { method: 'POST', body: JSON.stringify({ description: 'no summary' }) }))
        .status,
    ).toBe(400);
    expect((await call('/calendars/primary/events?nosuch=1')).status).toBe(400);
    expect(google.violations.slice(before).join('\n')).toMatch(/colour[\s\S]*summary[\s\S]*nosuch/);
    google.violations.splice(before);
    // `primary` exists in every account, but the app-created scope cannot see it.
    expect((await call('/calendars/primary/events')).status).toBe(404);
    const other = await connect('ed@example.com');
    const { remoteId } = await provider.createCalendar(other.accessToken, {
      name: 'Ed',
      description: '',
      timeZone: 'UTC',
    });
    expect((await call(`/calendars/${encodeURIComponent(remoteId)}/events`)).status).toBe(404);
    expect((await call('/users/me/calendarList')).status).toBe(403);
  });

  it('injects rate limits with Retry-After, 5xx, and maps them to the port errors', async () => {
    const grant = await connect('fa@example.com');
    const make = () =>
      provider.createCalendar(grant.accessToken, { name: 'F', description: '', timeZone: 'UTC' });
    google.fail({ status: 429, retryAfterSeconds: 3 });
    await expect(make()).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000 });
    google.fail({ status: 403, reason: 'rateLimitExceeded' });
    await expect(make()).rejects.toMatchObject({ kind: 'rate_limited', status: 403, retryAfterMs: null });
    google.fail({ status: 503 });
    await expect(make()).rejects.toMatchObject({ kind: 'unavailable', status: 503 });
    await expect(make()).resolves.toMatchObject({ remoteId: expect.any(String) });
    expect(google.violations).toEqual([]);
  });
});
