import { z } from 'zod';
import {
  type AuthorizationRequest,
  type CalendarChange,
  type CalendarProvider,
  type ChangeOutcome,
  type ProviderGrant,
  ProviderError,
  type PushedEvent,
} from '../../domain/calendar-provider.js';

/** The one scope asked for: the app's own secondary calendars and nothing else of the person's account. */
export const GOOGLE_SCOPE = 'https://www.googleapis.com/auth/calendar.app.created';
/** The private extended property that holds the feed's UID on each event. */
const UID_PROPERTY = 'calendarSyncUid';
const REQUEST_TIMEOUT_MS = 15_000;

export type GoogleProviderOptions = {
  clientId: string;
  clientSecret: string;
  /** Google's own endpoints unless set: one base serving `/o/oauth2/v2/auth`, `/token` and `/revoke`. */
  oauthBaseUrl?: string;
  /** `https://www.googleapis.com` unless set; the API is under `/calendar/v3`. */
  apiBaseUrl?: string;
  fetch?: typeof fetch;
};

const tokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().default(''),
});
const calendarSchema = z.object({ id: z.string().min(1) });
const eventSchema = z.object({ id: z.string().min(1) });
const eventsSchema = z.object({ items: z.array(eventSchema).default([]) });
const errorSchema = z.object({
  error: z.union([
    z.string(),
    z.object({ errors: z.array(z.object({ reason: z.string().optional() })).optional() }),
  ]),
});

/** Google Calendar API v3 behind the calendar-provider port. */
export class GoogleCalendarProvider implements CalendarProvider {
  readonly key = 'google' as const;
  readonly label = 'Google Calendar';
  private readonly endpoints: { authorize: string; token: string; revoke: string; api: string };
  private readonly fetch: typeof fetch;

  constructor(private readonly options: GoogleProviderOptions) {
    const oauth = options.oauthBaseUrl?.replace(/\/+$/, '');
    this.endpoints = {
      authorize: oauth ? `${oauth}/o/oauth2/v2/auth` : 'https://accounts.google.com/o/oauth2/v2/auth',
      token: oauth ? `${oauth}/token` : 'https://oauth2.googleapis.com/token',
      revoke: oauth ? `${oauth}/revoke` : 'https://oauth2.googleapis.com/revoke',
      api: `${(options.apiBaseUrl ?? 'https://www.googleapis.com').replace(/\/+$/, '')}/calendar/v3`,
    };
    this.fetch = options.fetch ?? fetch;
  }

  authorizationUrl(request: AuthorizationRequest): string {
    const url = new URL(this.endpoints.authorize);
    url.search = new URLSearchParams({
      client_id: this.options.clientId,
      redirect_uri: request.redirectUri,
      response_type: 'code',
      scope: GOOGLE_SCOPE,
      access_type: 'offline',
      // Without it, a second connection of the same account gets no refresh token.
      prompt: 'consent',
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  }

  exchangeCode(code: string, codeVerifier: string, redirectUri: string): Promise<ProviderGrant> {
    return this.tokenCall({
      grant_type: 'authorization_code',
      code,
      code_verifier: codeVerifier,
      redirect_uri: redirectUri,
    });
  }

  refreshGrant(refreshToken: string): Promise<ProviderGrant> {
    return this.tokenCall({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  async revokeGrant(refreshToken: string): Promise<void> {
    const response = await this.send(this.endpoints.revoke, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken }).toString(),
    });
    // 400 invalid_token: Google no longer knows the grant, which is what revoking wants.
    if (response.ok || response.status === 400) return;
    throw await errorOf(response, 'revoke');
  }

  async createCalendar(
    accessToken: string,
    calendar: { name: string; description: string; timeZone: string },
  ): Promise<{ remoteId: string }> {
    const body = await this.api(accessToken, 'POST', '/calendars', {
      summary: calendar.name,
      description: calendar.description,
      timeZone: calendar.timeZone,
    });
    return { remoteId: calendarSchema.parse(body).id };
  }

  async deleteCalendar(accessToken: string, remoteCalendarId: string): Promise<void> {
    try {
      await this.api(accessToken, 'DELETE', `/calendars/${encodeURIComponent(remoteCalendarId)}`);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
  }

  async findEvent(accessToken: string, remoteCalendarId: string, uid: string): Promise<string | null> {
    const query = new URLSearchParams({ privateExtendedProperty: `${UID_PROPERTY}=${uid}`, maxResults: '1' });
    const body = await this.api(
      accessToken,
      'GET',
      `/calendars/${encodeURIComponent(remoteCalendarId)}/events?${query.toString()}`,
    );
    return eventsSchema.parse(body).items[0]?.id ?? null;
  }

  async applyChange(
    accessToken: string,
    remoteCalendarId: string,
    change: CalendarChange,
  ): Promise<ChangeOutcome> {
    const events = `/calendars/${encodeURIComponent(remoteCalendarId)}/events`;
    switch (change.kind) {
      case 'insert': {
        const body = await this.api(accessToken, 'POST', events, eventBody(change.event)).catch(
          (error: unknown) => {
            // Inserting names no event: a 404 can only mean the calendar itself is gone.
            throw isMissing(error) ? new ProviderError('calendar_gone', 'the calendar is gone', 404) : error;
          },
        );
        return { kind: 'inserted', uid: change.event.uid, remoteId: eventSchema.parse(body).id };
      }
      case 'update': {
        const path = `${events}/${encodeURIComponent(change.remoteId)}`;
        try {
          await this.api(accessToken, 'PATCH', path, eventBody(change.event));
        } catch (error) {
          if (isMissing(error)) return { kind: 'gone', uid: change.event.uid };
          throw error;
        }
        return { kind: 'updated', uid: change.event.uid, remoteId: change.remoteId };
      }
      case 'delete':
        try {
          await this.api(accessToken, 'DELETE', `${events}/${encodeURIComponent(change.remoteId)}`);
        } catch (error) {
          if (isMissing(error)) return { kind: 'gone', uid: change.uid };
          throw error;
        }
        return { kind: 'deleted', uid: change.uid };
    }
  }

  private async tokenCall(form: Record<string, string>): Promise<ProviderGrant> {
    const response = await this.send(this.endpoints.token, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        ...form,
        client_id: this.options.clientId,
        client_secret: this.options.clientSecret,
      }).toString(),
    });
    if (!response.ok) throw await errorOf(response, 'token');
    const parsed = tokenSchema.safeParse(await response.json().catch(() => null));
    if (!parsed.success) throw new ProviderError('unavailable', 'Google answered the token call unreadably');
    return {
      accessToken: parsed.data.access_token,
      accessTokenExpiresAt: new Date(Date.now() + parsed.data.expires_in * 1000),
      refreshToken: parsed.data.refresh_token ?? null,
      scopes: parsed.data.scope.split(' ').filter((scope) => scope.length > 0),
    };
  }

  private async api(accessToken: string, method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.send(`${this.endpoints.api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw await errorOf(response, 'api');
    if (response.status === 204) return null;
    return response.json().catch(() => null);
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch {
      // The URL may carry nothing secret, but the request's body does: no detail from it is kept.
      throw new ProviderError('unavailable', 'Google could not be reached');
    }
  }
}

function eventBody(event: PushedEvent) {
  return {
    summary: event.summary,
    description: event.description,
    start: event.start,
    end: event.end,
    transparency: event.transparent ? 'transparent' : 'opaque',
    ...(event.url && /^https?:\/\//.test(event.url) ? { source: { title: 'Jira', url: event.url } } : {}),
    extendedProperties: { private: { [UID_PROPERTY]: event.uid } },
  };
}

function isMissing(error: unknown): boolean {
  return error instanceof ProviderError && (error.status === 404 || error.status === 410);
}

async function errorOf(response: Response, call: 'token' | 'revoke' | 'api'): Promise<ProviderError> {
  const parsed = errorSchema.safeParse(await response.json().catch(() => null));
  const error = parsed.success ? parsed.data.error : null;
  const code = typeof error === 'string' ? error : null;
  const reasons = error && typeof error === 'object' ? (error.errors ?? []).map((item) => item.reason) : [];
  const status = response.status;
  const retryAfterMs = retryAfter(response.headers.get('retry-after'));
  if (
    status === 429 ||
    reasons.some((reason) => reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded')
  )
    return new ProviderError('rate_limited', `Google asked to slow down (${status})`, status, retryAfterMs);
  if (call === 'token' && code === 'invalid_grant')
    return new ProviderError('grant_revoked', 'Google no longer honours the grant (invalid_grant)', status);
  if (status === 401) return new ProviderError('unauthorized', 'Google refused the access token', status);
  if (status >= 500) return new ProviderError('unavailable', `Google answered ${status}`, status);
  return new ProviderError(
    'rejected',
    `Google refused the ${call} call (${status}${code ? ` ${code}` : ''})`,
    status,
  );
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds; null when absent or unreadable. */
function retryAfter(header: string | null): number | null {
  if (header === null) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
