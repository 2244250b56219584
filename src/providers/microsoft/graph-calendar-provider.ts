import { z } from 'zod';
import type {
  AuthorizationRequest,
  CalendarChange,
  CalendarProvider,
  ChangeOutcome,
  ProviderGrant,
  PushedEvent,
} from '../../domain/calendar-provider.js';
import { graphEventFields, graphEventInsert, UID_PROPERTY_ID } from './graph-event-body.js';
import { call, graphFailure, readJson, tokenFailure, type GraphTransport } from './graph-http.js';

export type GraphCalendarProviderOptions = {
  clientId: string;
  clientSecret: string;
  /** A directory id, or `common` (work, school and personal accounts), the default. */
  tenant?: string;
  /** The Microsoft identity platform, `https://login.microsoftonline.com` unless a test points elsewhere. */
  authorityBaseUrl?: string;
  /** Graph v1.0, `https://graph.microsoft.com/v1.0` unless a test points elsewhere. */
  graphBaseUrl?: string;
  fetch?: typeof fetch;
  now?: () => Date;
  timeoutMs?: number;
};

/** Graph has no scope narrower than all the person's calendars; the adapter touches only the one it made. */
export const GRAPH_SCOPES = ['Calendars.ReadWrite', 'offline_access'] as const;
const GRAPH_RESOURCE = 'https://graph.microsoft.com/';

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().int().positive(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});
const withId = z.object({ id: z.string().min(1) });
const eventList = z.object({
  value: z.array(
    z.object({
      id: z.string().min(1),
      singleValueExtendedProperties: z
        .array(z.object({ id: z.string(), value: z.string().nullable() }))
        .optional(),
    }),
  ),
});

/** Outlook through Microsoft Graph: OAuth 2.0 with PKCE on the identity platform, events in one calendar. */
export class GraphCalendarProvider implements CalendarProvider {
  readonly key = 'microsoft' as const;
  readonly label = 'Outlook';
  private readonly authority: string;
  private readonly graph: string;
  private readonly transport: GraphTransport;

  constructor(private readonly options: GraphCalendarProviderOptions) {
    const tenant = encodeURIComponent(options.tenant ?? 'common');
    this.authority = `${trimSlash(options.authorityBaseUrl ?? 'https://login.microsoftonline.com')}/${tenant}/oauth2/v2.0`;
    this.graph = trimSlash(options.graphBaseUrl ?? 'https://graph.microsoft.com/v1.0');
    this.transport = {
      fetch: options.fetch ?? fetch,
      now: options.now ?? (() => new Date()),
      timeoutMs: options.timeoutMs ?? 30_000,
    };
  }

  authorizationUrl(request: AuthorizationRequest): string {
    const query = new URLSearchParams({
      client_id: this.options.clientId,
      response_type: 'code',
      redirect_uri: request.redirectUri,
      response_mode: 'query',
      scope: GRAPH_SCOPES.join(' '),
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    });
    return `${this.authority}/authorize?${query.toString()}`;
  }

  exchangeCode(code: string, codeVerifier: string, redirectUri: string): Promise<ProviderGrant> {
    return this.token('code exchange', {
      grant_type: 'authorization_code',
      code,
      code_verifier: codeVerifier,
      redirect_uri: redirectUri,
    });
  }

  refreshGrant(refreshToken: string): Promise<ProviderGrant> {
    return this.token('refresh', { grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  /**
   * The identity platform has no endpoint that revokes one app's refresh token (only `revokeSignInSessions`,
   * which signs the person out of every app): the token is forgotten by the caller and lapses unused.
   */
  revokeGrant(_refreshToken: string): Promise<void> {
    return Promise.resolve();
  }

  async createCalendar(
    accessToken: string,
    calendar: { name: string; description: string; timeZone: string },
  ): Promise<{ remoteId: string }> {
    // Graph calendars have neither a description nor a zone: each event carries its own.
    const operation = 'calendar create';
    const response = await this.graphCall(operation, accessToken, 'POST', '/me/calendars', {
      name: calendar.name,
    });
    if (!response.ok) throw await graphFailure(response, operation, this.transport.now(), 'rejected');
    return { remoteId: (await readJson(response, withId, operation)).id };
  }

  async deleteCalendar(accessToken: string, remoteCalendarId: string): Promise<void> {
    const operation = 'calendar delete';
    const response = await this.graphCall(
      operation,
      accessToken,
      'DELETE',
      `/me/calendars/${enc(remoteCalendarId)}`,
    );
    if (response.ok || response.status === 404) return discard(response, undefined);
    throw await graphFailure(response, operation, this.transport.now(), 'rejected');
  }

  async findEvent(accessToken: string, remoteCalendarId: string, uid: string): Promise<string | null> {
    const operation = 'event lookup';
    const property = odataString(UID_PROPERTY_ID);
    const query = [
      `$filter=${enc(`singleValueExtendedProperties/Any(ep: ep/id eq ${property} and ep/value eq ${odataString(uid)})`)}`,
      `$expand=${enc(`singleValueExtendedProperties($filter=id eq ${property})`)}`,
      '$select=id',
      '$top=1',
    ].join('&');
    const path = `/me/calendars/${enc(remoteCalendarId)}/events?${query}`;
    const response = await this.graphCall(operation, accessToken, 'GET', path);
    if (!response.ok) throw await graphFailure(response, operation, this.transport.now(), 'calendar_gone');
    const { value } = await readJson(response, eventList, operation);
    const found = value.find((event) =>
      (event.singleValueExtendedProperties ?? []).some((p) => sameProperty(p.id) && p.value === uid),
    );
    return found?.id ?? null;
  }

  async applyChange(
    accessToken: string,
    remoteCalendarId: string,
    change: CalendarChange,
  ): Promise<ChangeOutcome> {
    switch (change.kind) {
      case 'insert':
        return this.insertEvent(accessToken, remoteCalendarId, change.event);
      case 'update':
        return this.updateEvent(accessToken, change.remoteId, change.event);
      case 'delete':
        return this.deleteEvent(accessToken, change.remoteId, change.uid);
    }
  }

  private async insertEvent(
    accessToken: string,
    calendarId: string,
    event: PushedEvent,
  ): Promise<ChangeOutcome> {
    const operation = 'event insert';
    const path = `/me/calendars/${enc(calendarId)}/events`;
    const response = await this.graphCall(operation, accessToken, 'POST', path, graphEventInsert(event));
    if (!response.ok) throw await graphFailure(response, operation, this.transport.now(), 'calendar_gone');
    const { id } = await readJson(response, withId, operation);
    return { kind: 'inserted', uid: event.uid, remoteId: id };
  }

  private async updateEvent(
    accessToken: string,
    remoteId: string,
    event: PushedEvent,
  ): Promise<ChangeOutcome> {
    const operation = 'event update';
    const path = `/me/events/${enc(remoteId)}`;
    const response = await this.graphCall(operation, accessToken, 'PATCH', path, graphEventFields(event));
    if (response.status === 404) return discard(response, { kind: 'gone', uid: event.uid });
    if (!response.ok) throw await graphFailure(response, operation, this.transport.now(), 'rejected');
    return discard(response, { kind: 'updated', uid: event.uid, remoteId });
  }

  private async deleteEvent(accessToken: string, remoteId: string, uid: string): Promise<ChangeOutcome> {
    const operation = 'event delete';
    const response = await this.graphCall(operation, accessToken, 'DELETE', `/me/events/${enc(remoteId)}`);
    if (response.status === 404) return discard(response, { kind: 'gone', uid });
    if (!response.ok) throw await graphFailure(response, operation, this.transport.now(), 'rejected');
    return { kind: 'deleted', uid };
  }

  private async token(operation: string, fields: Record<string, string>): Promise<ProviderGrant> {
    const form = new URLSearchParams({
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
      scope: GRAPH_SCOPES.join(' '),
      ...fields,
    });
    const response = await call(this.transport, operation, `${this.authority}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
    const now = this.transport.now();
    if (!response.ok) throw await tokenFailure(response, operation, now);
    const answer = await readJson(response, tokenAnswer, operation);
    return {
      accessToken: answer.access_token,
      accessTokenExpiresAt: new Date(now.getTime() + answer.expires_in * 1000),
      refreshToken: answer.refresh_token ?? null,
      scopes: (answer.scope ?? '')
        .split(' ')
        .filter(Boolean)
        .map((scope) => (scope.startsWith(GRAPH_RESOURCE) ? scope.slice(GRAPH_RESOURCE.length) : scope)),
    };
  }

  private graphCall(
    operation: string,
    accessToken: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return call(this.transport, operation, `${this.graph}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
}

/** Lets the connection go back to the pool without reading an answer the adapter does not need. */
async function discard<T>(response: Response, result: T): Promise<T> {
  await response.body?.cancel();
  return result;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** An OData string literal: single quotes, doubled inside. */
function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Graph may answer the property id with its GUID in another case. */
function sameProperty(id: string): boolean {
  return id.toLowerCase() === UID_PROPERTY_ID.toLowerCase();
}
