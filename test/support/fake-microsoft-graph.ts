import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import {
  bodyError,
  calendarCreateSchema,
  eventCreateSchema,
  eventPatchSchema,
} from './fake-microsoft-graph/graph-bodies.js';
import {
  graphError,
  Mailbox,
  notFound,
  type GraphReply,
  type SeenEvent,
} from './fake-microsoft-graph/graph-mailbox.js';
import { IdentityPlatform, type SignIn } from './fake-microsoft-graph/identity-platform.js';

export type { SeenEvent } from './fake-microsoft-graph/graph-mailbox.js';

/** Graph lets an app hold at most this many requests open against one mailbox. */
export const MAILBOX_CONCURRENCY = 4;
const TENANTS = new Set(['common', 'organizations', 'consumers']);

export type GraphFault =
  | { status: 429; retryAfterSeconds: number }
  /** Retry-After as an HTTP date, the header's other form. */
  | { status: 429; retryAfterDate: Date }
  | { status: 500 | 502 | 503; retryAfterSeconds?: number }
  /** The connection is dropped before any answer. */
  | { drop: true };

/** One Graph request as the fake received it, and what it answered. */
export type GraphCall = {
  method: string;
  path: string;
  query: string;
  userId: string | null;
  status: number;
  /** Set when the call reached for a calendar or event the app did not create. */
  foreign: boolean;
  /** When the fake received it (its clock), to measure waits between calls. */
  at: number;
};

export type FakeMicrosoftGraphOptions = {
  clientId?: string;
  clientSecret?: string;
  /** The directory id; `common`, `organizations` and `consumers` are always accepted too. */
  tenantId?: string;
  redirectUris?: string[];
  now?: () => number;
};

type Route = {
  method: string;
  pattern: RegExp;
  write: boolean;
  run: (mailbox: Mailbox, params: string[], body: unknown, url: URL) => GraphReply;
};

/**
 * Microsoft's identity platform v2.0 and the slice of Graph v1.0 the Outlook adapter calls, on one port:
 * `{baseUrl}/{tenant}/oauth2/v2.0/{authorize,token}` and `{baseUrl}/v1.0/me/...`. Bodies are checked by
 * zod schemas typed against `@microsoft/microsoft-graph-types`; unknown properties are refused as Graph
 * refuses them. Each mailbox starts with a default calendar and an event the person made: the app may not
 * touch either (the call is recorded in `foreignCalls` and refused with 403). Faults: `failNext`, a
 * held gate to build up concurrent requests (the fifth per mailbox gets 429), `revoke`, `expireAccessTokens`.
 */
export class FakeMicrosoftGraph {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tenantId: string;
  readonly identity: IdentityPlatform;
  readonly mailboxes = new Map<string, Mailbox>();
  readonly calls: GraphCall[] = [];
  /** Seconds sent as Retry-After when a mailbox is over its concurrency limit. */
  concurrencyRetryAfterSeconds = 1;
  private readonly faults: GraphFault[] = [];
  private readonly redirectUris: string[];
  private readonly now: () => number;
  private gate: Promise<void> | null = null;
  private server: Server | null = null;
  private url = '';
  private readonly routes: Route[] = [
    { method: 'POST', pattern: /^\/me\/calendars$/, write: true, run: (m, _p, b) => this.postCalendar(m, b) },
    {
      method: 'DELETE',
      pattern: /^\/me\/calendars\/([^/]+)$/,
      write: true,
      run: (m, [id]) => this.deleteCalendar(m, id),
    },
    {
      method: 'POST',
      pattern: /^\/me\/calendars\/([^/]+)\/events$/,
      write: true,
      run: (m, [id], b) => this.postEvent(m, id, b),
    },
    {
      method: 'GET',
      pattern: /^\/me\/calendars\/([^/]+)\/events$/,
      write: false,
      run: (m, [id], _b, u) => this.listEvents(m, id, u),
    },
    {
      method: 'PATCH',
      pattern: /^\/me\/events\/([^/]+)$/,
      write: true,
      run: (m, [id], b) => this.patchEvent(m, id, b),
    },
    {
      method: 'DELETE',
      pattern: /^\/me\/events\/([^/]+)$/,
      write: true,
      run: (m, [id]) => this.deleteEvent(m, id),
    },
  ];

  constructor(options: FakeMicrosoftGraphOptions = {}) {
    this.clientId = options.clientId ?? randomUUID();
    this.clientSecret = options.clientSecret ?? `secret~${randomUUID()}`;
    this.tenantId = options.tenantId ?? randomUUID();
    this.redirectUris = options.redirectUris ?? [];
    this.now = options.now ?? Date.now;
    this.identity = new IdentityPlatform(
      {
        clientId: this.clientId,
        clientSecret: this.clientSecret,
        redirectUris: this.redirectUris,
        now: this.now,
      },
      () => this.firstMailbox().userId,
    );
    this.addMailbox('adele.vance@contoso.example');
  }

  get baseUrl(): string {
    if (!this.url) throw new Error('FakeMicrosoftGraph is not started');
    return this.url;
  }

  /** What the adapter takes as its Graph base URL. */
  get graphUrl(): string {
    return `${this.baseUrl}/v1.0`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.gate = null;
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  /** A person with a mailbox that holds a default calendar and one event of their own. */
  addMailbox(address: string): Mailbox {
    const mailbox = new Mailbox(randomUUID(), address, this.now);
    mailbox.createEvent(
      mailbox.defaultCalendarId,
      {
        subject: 'Dentist',
        start: { dateTime: '2026-03-02T08:00:00', timeZone: 'UTC' },
        end: { dateTime: '2026-03-02T09:00:00', timeZone: 'UTC' },
      },
      false,
    );
    this.mailboxes.set(mailbox.userId, mailbox);
    return mailbox;
  }

  firstMailbox(): Mailbox {
    const [first] = this.mailboxes.values();
    if (!first) throw new Error('no mailbox');
    return first;
  }

  registerRedirectUri(uri: string): void {
    this.redirectUris.push(uri);
  }

  /** Who signs in at the next authorize request (the first mailbox by default), and whether they consent. */
  signInNext(signIn: SignIn): void {
    this.identity.nextSignIn = signIn;
  }

  /** The person removes the app's consent: refresh tokens answer `invalid_grant`, access tokens 401. */
  revoke(userId: string): void {
    for (const grant of this.identity.grants) if (grant.userId === userId) grant.revoked = true;
  }

  expireAccessTokens(): void {
    for (const token of this.identity.accessTokens.values()) token.expiresAt = this.now() - 1;
  }

  issueAccessToken(userId: string, scopes: string[], lifetimeMs?: number): string {
    return this.identity.issueAccessToken(userId, scopes, lifetimeMs);
  }

  /** The next Graph requests (after authentication) get these faults, one each. */
  failNext(...faults: GraphFault[]): void {
    this.faults.push(...faults);
  }

  /** Graph requests wait once authenticated until `release` is called, so tests can pile them up. */
  hold(): { release: () => void } {
    let release = () => {};
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return {
      release: () => {
        this.gate = null;
        release();
      },
    };
  }

  inFlight(userId: string): number {
    return this.mailboxes.get(userId)?.inFlight ?? 0;
  }

  foreignCalls(): GraphCall[] {
    return this.calls.filter((call) => call.foreign);
  }

  /** A calendar's events as the person sees them in Outlook, earliest first. */
  calendarAsSeen(userId: string, calendarId: string): SeenEvent[] {
    const mailbox = this.mailbox(userId);
    return [...mailbox.events.values()]
      .filter((event) => event.calendarId === calendarId)
      .map((event) => mailbox.seen(event))
      .sort((a, b) => a.start.localeCompare(b.start) || a.subject.localeCompare(b.subject));
  }

  /** The person's calendars by name, default included. */
  calendarNames(userId: string): string[] {
    return [...this.mailbox(userId).calendars.values()].map((calendar) => calendar.name);
  }

  mailbox(userId: string): Mailbox {
    const mailbox = this.mailboxes.get(userId);
    if (!mailbox) throw new Error(`no mailbox ${userId}`);
    return mailbox;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req).catch(() => null);
    if (raw === null) return void res.destroy();
    const url = new URL(req.url ?? '/', this.baseUrl);
    const identity = /^\/([^/]+)\/oauth2\/v2\.0\/(authorize|token)$/.exec(url.pathname);
    if (identity) return send(res, this.identityRoute(identity[1] ?? '', identity[2] ?? '', req, url, raw));
    if (url.pathname.startsWith('/v1.0/')) return this.graph(req, res, url, raw);
    send(res, { status: 404, body: 'Not Found' });
  }

  private identityRoute(
    tenant: string,
    endpoint: string,
    req: IncomingMessage,
    url: URL,
    raw: string,
  ): GraphReply {
    if (!TENANTS.has(tenant) && tenant !== this.tenantId)
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: `AADSTS90002: Tenant '${tenant}' not found.` },
      };
    if (endpoint === 'authorize' && req.method === 'GET') return this.identity.authorize(url.searchParams);
    if (endpoint === 'token' && req.method === 'POST')
      return this.identity.token(req.headers['content-type'], raw, req.headers.authorization);
    return { status: 405, body: 'Method Not Allowed' };
  }

  private async graph(req: IncomingMessage, res: ServerResponse, url: URL, raw: string): Promise<void> {
    const call: GraphCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      userId: null,
      status: 0,
      foreign: false,
      at: this.now(),
    };
    this.calls.push(call);
    const answer = (reply: GraphReply) => {
      call.status = reply.status;
      send(res, reply);
    };
    const grant = this.identity.authenticate(req.headers.authorization);
    if ('refused' in grant) return answer(graphError(401, 'InvalidAuthenticationToken', grant.refused));
    const mailbox = this.mailbox(grant.userId);
    call.userId = mailbox.userId;
    if (mailbox.inFlight >= MAILBOX_CONCURRENCY)
      return answer(
        graphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
          'retry-after': String(this.concurrencyRetryAfterSeconds),
        }),
      );
    mailbox.inFlight += 1;
    res.once('close', () => (mailbox.inFlight -= 1));
    if (this.gate) await this.gate;
    const fault = this.faults.shift();
    if (fault && 'drop' in fault) return void res.destroy();
    if (fault) return answer(faultReply(fault));
    answer(this.route(call, mailbox, grant.scopes, url, raw, req.headers['content-type']));
  }

  private route(
    call: GraphCall,
    mailbox: Mailbox,
    scopes: string[],
    url: URL,
    raw: string,
    contentType: string | undefined,
  ): GraphReply {
    const path = url.pathname.slice('/v1.0'.length);
    const route = this.routes.find(
      (candidate) => candidate.pattern.test(path) && candidate.method === call.method,
    );
    if (!route)
      return graphError(
        400,
        'BadRequest',
        `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`,
      );
    const allowed = route.write ? ['Calendars.ReadWrite'] : ['Calendars.Read', 'Calendars.ReadWrite'];
    if (!scopes.some((scope) => allowed.includes(scope)))
      return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    let body: unknown = undefined;
    if (call.method === 'POST' || call.method === 'PATCH') {
      if (!(contentType ?? '').startsWith('application/json'))
        return graphError(
          415,
          'UnsupportedMediaType',
          'A supported MIME type could not be found that matches the content type of the response.',
        );
      try {
        body = JSON.parse(raw);
      } catch {
        return graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
      }
    }
    const params = (route.pattern.exec(path) ?? []).slice(1).map((piece) => decodeURIComponent(piece));
    const reply = route.run(mailbox, params, body, url);
    if (
      reply.status === 403 &&
      (reply.body as { error?: { code?: string } }).error?.code === 'ErrorAccessDenied'
    )
      call.foreign = true;
    return reply;
  }

  private postCalendar(mailbox: Mailbox, body: unknown): GraphReply {
    const parsed = calendarCreateSchema.safeParse(body);
    if (!parsed.success) return refuse(parsed.error, 'microsoft.graph.calendar');
    return mailbox.createCalendar(parsed.data, true);
  }

  private deleteCalendar(mailbox: Mailbox, id = ''): GraphReply {
    const calendar = mailbox.calendars.get(id);
    if (!calendar) return notFound();
    if (!calendar.byApp) return foreign();
    return mailbox.deleteCalendar(id);
  }

  private postEvent(mailbox: Mailbox, calendarId = '', body: unknown): GraphReply {
    const calendar = mailbox.calendars.get(calendarId);
    if (!calendar) return notFound();
    if (!calendar.byApp) return foreign();
    const parsed = eventCreateSchema.safeParse(body);
    if (!parsed.success) return refuse(parsed.error, 'microsoft.graph.event');
    return mailbox.createEvent(calendarId, parsed.data, true);
  }

  private patchEvent(mailbox: Mailbox, id = '', body: unknown): GraphReply {
    const event = mailbox.events.get(id);
    if (!event) return notFound();
    if (!event.byApp) return foreign();
    const parsed = eventPatchSchema.safeParse(body);
    if (!parsed.success) return refuse(parsed.error, 'microsoft.graph.event');
    return mailbox.patchEvent(event, parsed.data);
  }

  private deleteEvent(mailbox: Mailbox, id = ''): GraphReply {
    const event = mailbox.events.get(id);
    if (!event) return notFound();
    if (!event.byApp) return foreign();
    mailbox.events.delete(id);
    return { status: 204 };
  }

  private listEvents(mailbox: Mailbox, calendarId = '', url: URL): GraphReply {
    const calendar = mailbox.calendars.get(calendarId);
    if (!calendar) return notFound();
    if (!calendar.byApp) return foreign();
    const query = readListQuery(url.searchParams);
    if ('error' in query) return query.error;
    return mailbox.listEvents(calendarId, query.match, query.expand);
  }
}

const ODATA_STRING = "'((?:[^']|'')*)'";
const FILTER_BY_PROPERTY = new RegExp(
  `^singleValueExtendedProperties/any\\(\\s*(\\w+)\\s*:\\s*\\1/id\\s+eq\\s+${ODATA_STRING}\\s+and\\s+\\1/value\\s+eq\\s+${ODATA_STRING}\\s*\\)$`,
  'i',
);
const EXPAND_PROPERTY = new RegExp(
  `^singleValueExtendedProperties\\(\\s*\\$filter\\s*=\\s*id\\s+eq\\s+${ODATA_STRING}\\s*\\)$`,
  'i',
);
const LIST_OPTIONS = new Set(['$filter', '$expand', '$select', '$top']);

/** The one query shape the fake understands: events whose extended property has a value. */
function readListQuery(
  query: URLSearchParams,
): { match: { id: string; value: string } | null; expand: string | null } | { error: GraphReply } {
  for (const key of query.keys())
    if (!LIST_OPTIONS.has(key))
      return { error: graphError(400, 'BadRequest', `Query option '${key}' is not allowed.`) };
  const unquote = (text: string | undefined) => (text ?? '').replace(/''/g, "'");
  let match: { id: string; value: string } | null = null;
  const filter = query.get('$filter');
  if (filter !== null) {
    const parsed = FILTER_BY_PROPERTY.exec(filter.trim());
    if (!parsed) return { error: graphError(400, 'BadRequest', 'Invalid filter clause') };
    match = { id: unquote(parsed[2]), value: unquote(parsed[3]) };
  }
  let expand: string | null = null;
  const expandOption = query.get('$expand');
  if (expandOption !== null) {
    const parsed = EXPAND_PROPERTY.exec(expandOption.trim());
    if (!parsed) return { error: graphError(400, 'BadRequest', 'Parsing OData Select and Expand failed.') };
    expand = unquote(parsed[1]);
  }
  const top = query.get('$top');
  if (top !== null && !/^\d+$/.test(top))
    return { error: graphError(400, 'BadRequest', 'Invalid $top value') };
  return { match, expand };
}

function refuse(error: z.ZodError, entityType: string): GraphReply {
  const { code, message } = bodyError(error, entityType);
  return graphError(400, code, message);
}

function foreign(): GraphReply {
  return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
}

function faultReply(fault: Exclude<GraphFault, { drop: true }>): GraphReply {
  const headers =
    'retryAfterDate' in fault
      ? { 'retry-after': fault.retryAfterDate.toUTCString() }
      : fault.retryAfterSeconds === undefined
        ? undefined
        : { 'retry-after': String(fault.retryAfterSeconds) };
  if (fault.status === 429)
    return graphError(429, 'TooManyRequests', 'Too many requests, please retry after some time.', headers);
  return graphError(fault.status, 'ServiceNotAvailable', 'The service is temporarily unavailable.', headers);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, reply: GraphReply): void {
  const headers: Record<string, string> = { 'request-id': randomUUID(), ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
  } else if (typeof reply.body === 'string') {
    res.writeHead(reply.status, { ...headers, 'content-type': 'text/plain' }).end(reply.body);
  } else {
    const type =
      'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
    res.writeHead(reply.status, { ...headers, 'content-type': type }).end(JSON.stringify(reply.body));
  }
}
