import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ContractMethod, googleCalendarContract } from './google-discovery.js';
import { APP_CREATED_SCOPE, FakeGoogleOAuth } from './fake-google-oauth.js';

export { APP_CREATED_SCOPE };

export type GoogleEvent = {
  kind: 'calendar#event';
  id: string;
  etag: string;
  status: 'confirmed';
  summary?: string;
  description?: string;
  start: Record<string, string>;
  end: Record<string, string>;
  transparency?: string;
  source?: { title?: string; url?: string };
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  created: string;
  updated: string;
  iCalUID: string;
  sequence: number;
};
type GoogleCalendar = {
  id: string;
  user: string;
  clientId: string;
  summary: string;
  description?: string;
  timeZone?: string;
  events: Map<string, GoogleEvent>;
};

/** One Calendar API call as the fake saw it. */
export type GoogleCall = { method: string; status: number; user: string | null; at: number };

export type GoogleFault =
  | { status: 429; retryAfterSeconds?: number }
  | { status: 403; reason: 'rateLimitExceeded' | 'userRateLimitExceeded'; retryAfterSeconds?: number }
  | { status: 500 | 502 | 503 };

type Reply = { status: number; headers?: Record<string, string>; body?: unknown };
type Request = { method: string; path: string; query: URLSearchParams; headers: IncomingMessage['headers'] };

const CALENDAR_PREFIX = '/calendar/v3/';
/** Methods that touch one calendar, which must be one the app created (`calendar.app.created`). */
const OWNED_CALENDAR_PARAM = 'calendarId';

function googleError(status: number, reason: string, message: string): Reply {
  return {
    status,
    body: { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } },
  };
}

/**
 * Google's OAuth endpoints and Calendar API v3 on one local port. Every Calendar call is checked against
 * Google's discovery document: the method and its query parameters must exist, the body must fit the
 * method's request schema and every answer the fake gives must fit its response schema (a breach is a
 * `violations` entry and a 400 or 500). A token must carry one of the method's scopes, and under
 * `calendar.app.created` only calendars this client created can be touched.
 */
export class FakeGoogle {
  readonly calls: GoogleCall[] = [];
  /** Contract breaches by the app (requests) or by the fake itself (responses); tests expect none. */
  readonly violations: string[] = [];
  readonly oauth: FakeGoogleOAuth;
  private readonly calendars = new Map<string, GoogleCalendar>();
  private readonly faults: GoogleFault[] = [];
  /** Google's per-user quota, when set: past `calls` in any `windowMs`, a user's calls answer 403. */
  userQuota: { calls: number; windowMs: number } | null = null;
  /** Calls refused under `userQuota`; a paced app never sees one. */
  quotaRefusals = 0;
  private readonly recentCalls = new Map<string, number[]>();
  private readonly contract = googleCalendarContract();
  private server: Server | null = null;
  url = '';

  private constructor(readonly client: { clientId: string; clientSecret: string }) {
    this.oauth = new FakeGoogleOAuth(client);
  }

  static async start(
    client = {
      clientId: 'fake-google-client.apps.googleusercontent.com',
      clientSecret: 'GOCSPX-fake-secret',
    },
  ): Promise<FakeGoogle> {
    const google = new FakeGoogle(client);
    const server = createServer((req, res) => google.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    google.server = server;
    google.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return google;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` Calendar API calls fail this way. */
  fail(fault: GoogleFault, times = 1): void {
    for (let index = 0; index < times; index += 1) this.faults.push(fault);
  }

  /** The calendars the app created in `user`'s account. */
  calendarsOf(user: string): { id: string; summary: string; events: GoogleEvent[] }[] {
    return [...this.calendars.values()]
      .filter((calendar) => calendar.user === user)
      .map((calendar) => ({
        id: calendar.id,
        summary: calendar.summary,
        events: [...calendar.events.values()],
      }));
  }

  /** The person deletes an event by hand in Google Calendar. */
  deleteEventByHand(calendarId: string, eventId: string): void {
    this.calendars.get(calendarId)?.events.delete(eventId);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const request = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
      };
      let reply: Reply;
      try {
        reply = this.route(request, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        this.violations.push(`fake crashed: ${String(error)}`);
        reply = googleError(500, 'backendError', 'Backend Error');
      }
      send(res, reply);
    });
  }

  private route(request: Request, text: string): Reply {
    const { method, path, query } = request;
    if (method === 'GET' && path === '/o/oauth2/v2/auth') return this.oauth.authorize(query);
    if (method === 'POST' && path === '/token') return this.oauth.token(formOf(request, text));
    if (method === 'POST' && path === '/revoke') {
      const form = formOf(request, text);
      if (!form.has('token') && query.has('token')) form.set('token', query.get('token') ?? '');
      return this.oauth.revoke(form);
    }
    if (path.startsWith(CALENDAR_PREFIX)) return this.calendarCall(request, text);
    return { status: 404, body: 'Not Found' };
  }

  private calendarCall(request: Request, text: string): Reply {
    let params: Record<string, string> | null = null;
    const method = this.contract.find(
      (candidate) =>
        candidate.httpMethod === request.method && (params = candidate.match(request.path)) !== null,
    );
    if (!method || !params) {
      this.violations.push(`${request.method} ${request.path}: no such method`);
      return googleError(404, 'notFound', 'Not Found');
    }
    const reply = this.checkedCall(method, params, request, text);
    this.calls.push({ method: method.id, status: reply.status, user: this.userOf(request), at: Date.now() });
    if (reply.status < 300) {
      const problems = method.checkResponse(reply.body);
      if (problems.length > 0) {
        this.violations.push(...problems.map((problem) => `${method.id}: ${problem}`));
        return googleError(500, 'backendError', 'The fake answered outside the contract');
      }
    }
    return reply;
  }

  /** Counts the call against the user's sliding window; refused calls count too, as at Google. */
  private overUserQuota(user: string): boolean {
    if (!this.userQuota) return false;
    const now = Date.now();
    const since = now - this.userQuota.windowMs;
    const recent = (this.recentCalls.get(user) ?? []).filter((at) => at > since);
    recent.push(now);
    this.recentCalls.set(user, recent);
    return recent.length > this.userQuota.calls;
  }

  private userOf(request: Request): string | null {
    return this.oauth.bearer(request.headers.authorization)?.user ?? null;
  }

  private checkedCall(
    method: ContractMethod,
    params: Record<string, string>,
    request: Request,
    text: string,
  ): Reply {
    const grant = this.oauth.bearer(request.headers.authorization);
    if (!grant) return googleError(401, 'authError', 'Invalid Credentials');
    if (!method.scopes.some((scope) => grant.scopes.includes(scope)))
      return googleError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      this.violations.push(`${method.id}: body is not JSON`);
      return googleError(400, 'parseError', 'Parse Error');
    }
    const problems = [...method.checkQuery(request.query), ...method.checkRequest(body)];
    if (problems.length > 0) {
      this.violations.push(...problems.map((problem) => `${method.id}: ${problem}`));
      return googleError(400, 'invalid', problems.join('; '));
    }
    const fault = this.faults.shift();
    if (fault) return faultReply(fault);
    if (this.overUserQuota(grant.user)) {
      this.quotaRefusals += 1;
      return faultReply({ status: 403, reason: 'rateLimitExceeded' });
    }
    const calendarId = params[OWNED_CALENDAR_PARAM];
    const calendar = calendarId === undefined ? null : this.calendars.get(calendarId);
    if (calendarId !== undefined && (!calendar || calendar.user !== grant.user))
      return googleError(404, 'notFound', 'Not Found');
    return this.perform(method.id, {
      user: grant.user,
      calendar: calendar ?? null,
      params,
      query: request.query,
      body,
    });
  }

  private perform(
    methodId: string,
    call: {
      user: string;
      calendar: GoogleCalendar | null;
      params: Record<string, string>;
      query: URLSearchParams;
      body: unknown;
    },
  ): Reply {
    const { calendar, params } = call;
    const event = calendar && params['eventId'] ? calendar.events.get(params['eventId']) : undefined;
    switch (methodId) {
      case 'calendar.calendars.insert':
        return this.insertCalendar(
          call.user,
          call.body as { summary: string; description?: string; timeZone?: string },
        );
      case 'calendar.calendars.delete':
        this.calendars.delete(calendar!.id);
        return { status: 204 };
      case 'calendar.events.insert':
        return this.insertEvent(calendar!, call.body as Partial<GoogleEvent>);
      case 'calendar.events.patch':
        if (!event) return googleError(404, 'notFound', 'Not Found');
        Object.assign(event, call.body as Partial<GoogleEvent>, {
          updated: new Date().toISOString(),
          sequence: event.sequence + 1,
          etag: `"${randomBytes(6).toString('hex')}"`,
        });
        return { status: 200, body: event };
      case 'calendar.events.delete':
        if (!event) return googleError(410, 'deleted', 'Resource has been deleted');
        calendar!.events.delete(event.id);
        return { status: 204 };
      case 'calendar.events.list':
        return { status: 200, body: listEvents(calendar!, call.query) };
      default:
        this.violations.push(`${methodId}: the app called a method the fake does not implement`);
        return googleError(501, 'notImplemented', `${methodId} is not implemented by the fake`);
    }
  }

  private insertCalendar(
    user: string,
    body: { summary: string; description?: string; timeZone?: string },
  ): Reply {
    const id = `${randomBytes(16).toString('hex')}@group.calendar.google.com`;
    const calendar: GoogleCalendar = {
      id,
      user,
      clientId: this.client.clientId,
      summary: body.summary,
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.timeZone === undefined ? {} : { timeZone: body.timeZone }),
      events: new Map(),
    };
    this.calendars.set(id, calendar);
    const { events: _events, user: _user, clientId: _client, ...visible } = calendar;
    return { status: 200, body: { kind: 'calendar#calendar', etag: `"${id.slice(0, 8)}"`, ...visible } };
  }

  private insertEvent(calendar: GoogleCalendar, body: Partial<GoogleEvent>): Reply {
    const id = randomBytes(13).toString('hex');
    const stamp = new Date().toISOString();
    const event: GoogleEvent = {
      ...(body as GoogleEvent),
      kind: 'calendar#event',
      id,
      etag: `"${randomBytes(6).toString('hex')}"`,
      status: 'confirmed',
      created: stamp,
      updated: stamp,
      iCalUID: `${id}@google.com`,
      sequence: 0,
    };
    calendar.events.set(id, event);
    return { status: 200, body: event };
  }
}

function listEvents(calendar: GoogleCalendar, query: URLSearchParams) {
  const wanted = query.getAll('privateExtendedProperty').map((pair) => pair.split('='));
  const items = [...calendar.events.values()].filter((event) =>
    wanted.every(([name, value]) => event.extendedProperties?.private?.[name ?? ''] === value),
  );
  const max = Number(query.get('maxResults') ?? 250);
  return {
    kind: 'calendar#events',
    etag: `"${calendar.id.slice(0, 8)}"`,
    summary: calendar.summary,
    updated: new Date().toISOString(),
    timeZone: calendar.timeZone ?? 'UTC',
    accessRole: 'owner',
    items: items.slice(0, max),
  };
}

function faultReply(fault: GoogleFault): Reply {
  const retry =
    'retryAfterSeconds' in fault && fault.retryAfterSeconds !== undefined
      ? { 'retry-after': String(fault.retryAfterSeconds) }
      : undefined;
  const reason =
    fault.status === 429 ? 'rateLimitExceeded' : 'reason' in fault ? fault.reason : 'backendError';
  return {
    ...googleError(fault.status, reason, fault.status >= 500 ? 'Backend Error' : 'Rate Limit Exceeded'),
    ...(retry ? { headers: retry } : {}),
  };
}

function formOf(request: Request, text: string): URLSearchParams {
  return String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
    ? new URLSearchParams(text)
    : new URLSearchParams();
}

function send(res: ServerResponse, reply: Reply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  if (typeof reply.body === 'string') {
    res.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.body);
    return;
  }
  res
    .writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8' })
    .end(JSON.stringify(reply.body));
}
