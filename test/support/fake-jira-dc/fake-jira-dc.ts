import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector } from '../fake-jira/fake-jira-faults.js';
import { defaultSeed } from '../fake-jira/fake-jira-seed.js';
import type { FakeJiraData, FakeUser } from '../fake-jira/fake-jira-types.js';
import { dcError, type DcReply, matchDcRoute } from './fake-jira-dc-routes.js';
import { dcIdentities, dcIdentity } from './fake-jira-dc-users.js';

export type DcRecordedRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: unknown;
  status: number;
  caller: string | null;
};

export type FakeJiraDcOptions = {
  /** The data model to serve: pass a FakeJira's `data` to see the same site through both editions. */
  data?: FakeJiraData;
  accessTokenTtlSeconds?: number;
};

/** What an incoming application link gives the admin: a client id and secret, for one redirect URL. */
export type DcOAuthClient = { clientId: string; clientSecret: string; redirectUri: string };

type Code = {
  clientId: string;
  redirectUri: string;
  challenge: string;
  accountId: string;
  scope: string;
  expiresAt: number;
  used: boolean;
  family: string | null;
};
type Family = { clientId: string; accountId: string; scope: string; refreshToken: string; revoked: boolean };
type AccessToken = { family: string; expiresAt: number };

const SCOPES = ['READ', 'WRITE', 'ADMIN', 'SYSTEM_ADMIN'];
const CODE_TTL_MS = 10 * 60_000;
const OAUTH = '/rest/oauth2/latest';

const sha256url = (value: string): string => createHash('sha256').update(value).digest('base64url');
const token = (): string => randomBytes(32).toString('base64url');
const same = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * A Jira Data Center instance on 127.0.0.1: REST API v2 and Agile 1.0 over the fake Jira's own data model
 * and JQL engine, answering as the user whose OAuth 2.0 token the call carries, and the OAuth 2.0
 * authorization server of an incoming application link (login page, consent, authorization code with
 * PKCE S256, refresh-token rotation, revocation). It refuses what Jira Data Center refuses.
 */
export class FakeJiraDc {
  readonly baseUrl: string;
  data: FakeJiraData;
  requests: DcRecordedRequest[] = [];
  /** Token endpoint calls, by grant type, with Jira's answer. */
  grants: { grantType: string; status: number }[] = [];
  now: () => Date = () => new Date();
  /** Error answers for the next REST calls (status and Retry-After only; no page tokens on v2). */
  readonly faults = new FaultInjector(() => {
    throw new Error('Jira Data Center pages with startAt; it has no page tokens to expire');
  });

  private readonly deleted = new Set<string>();
  private readonly clients = new Map<string, DcOAuthClient>();
  private readonly browserSessions = new Map<string, string>();
  private readonly consents = new Map<string, { accountId: string; params: URLSearchParams }>();
  private readonly codes = new Map<string, Code>();
  private readonly families = new Map<string, Family>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly accessTokenTtlSeconds: number;

  private constructor(
    private readonly server: Server,
    options: FakeJiraDcOptions,
  ) {
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.data = options.data ?? defaultSeed();
    this.accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 7200;
  }

  static async start(options: FakeJiraDcOptions = {}): Promise<FakeJiraDc> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const fake = new FakeJiraDc(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        sendJson(res, { status: 500, body: { errorMessages: [String(error)], errors: {} } });
      });
    });
    return fake;
  }

  /** An admin creating an incoming application link (OAuth 2.0) for an app at `redirectUri`. */
  createApplicationLink(redirectUri: string): DcOAuthClient {
    const client = {
      clientId: randomBytes(16).toString('hex'),
      clientSecret: randomBytes(32).toString('hex'),
      redirectUri,
    };
    this.clients.set(client.clientId, client);
    return client;
  }

  /** Each seeded user's password in the fake's login page. */
  passwordOf(accountId: string): string {
    return `${dcIdentity(this.data, accountId).name}-password`;
  }

  userKey(accountId: string): string {
    return dcIdentity(this.data, accountId).key;
  }

  userName(accountId: string): string {
    return dcIdentity(this.data, accountId).name;
  }

  /** The user revoked the app's access in their Jira profile: every token of theirs stops working. */
  revokeUser(accountId: string): void {
    for (const family of this.families.values()) if (family.accountId === accountId) family.revoked = true;
  }

  /** An administrator deactivates the user: they cannot log in, their tokens stop working, `active` is false. */
  deactivateUser(accountId: string): void {
    this.userOf(accountId).active = false;
  }

  reactivateUser(accountId: string): void {
    this.userOf(accountId).active = true;
  }

  /** An administrator deletes the user: GET /user answers 404 for their key, as if they never existed. */
  deleteUser(accountId: string): void {
    this.userOf(accountId).active = false;
    this.deleted.add(accountId);
  }

  private userOf(accountId: string): FakeUser {
    const user = this.data.users.find((candidate) => candidate.accountId === accountId);
    if (!user) throw new Error(`no user ${accountId} in the fake Jira`);
    return user;
  }

  /** Every access token expires now (refresh tokens still work). */
  expireAccessTokens(): void {
    for (const access of this.accessTokens.values()) access.expiresAt = 0;
  }

  /** The refresh tokens a user's live grants hold now (for tests that look for them where they must not be). */
  currentRefreshTokens(accountId: string): string[] {
    return [...this.families.values()]
      .filter((family) => family.accountId === accountId && !family.revoked)
      .map((family) => family.refreshToken);
  }

  /** Live (unrevoked) grants a user holds. */
  liveGrants(accountId: string): number {
    return [...this.families.values()].filter((family) => family.accountId === accountId && !family.revoked)
      .length;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    if (url.pathname === '/login.jsp') return this.login(req, res, method, url, raw);
    if (url.pathname === `${OAUTH}/authorize`)
      return method === 'POST' ? this.decide(req, res, raw) : this.authorize(req, res, url);
    if (url.pathname === `${OAUTH}/token` && method === 'POST') return this.tokenEndpoint(res, raw);
    if (url.pathname === `${OAUTH}/revoke` && method === 'POST') return this.revokeEndpoint(res, raw);
    if (!url.pathname.startsWith('/rest/')) return sendJson(res, dcError(404, 'Not Found'));

    const record: DcRecordedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      status: 0,
      caller: null,
    };
    if (raw.length > 0) record.body = parseJson(raw) ?? raw;
    this.requests.push(record);
    const reply = (r: DcReply, headers: Record<string, string> = {}) => {
      record.status = r.status;
      sendJson(res, r, headers);
    };
    const fault = this.faults.take();
    if (fault) {
      const { status, retryAfterSeconds, ...unsupported } = fault;
      if (status === undefined || Object.keys(unsupported).length > 0)
        throw new Error(`the fake Jira DC only injects error statuses, not ${JSON.stringify(fault)}`);
      return reply(
        dcError(status, `Injected fault ${status}.`),
        retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
      );
    }
    const caller = this.bearerCaller(req);
    if ('error' in caller)
      return reply(dcError(401, caller.error), {
        'www-authenticate': 'Bearer realm="Jira", error="invalid_token"',
      });
    record.caller = caller.accountId;
    const match = matchDcRoute(method, url.pathname);
    if ('status' in match)
      return reply(dcError(match.status, `No ${method} ${url.pathname} in the fake Jira Data Center.`));
    const unknown = [...new Set(url.searchParams.keys())].filter((name) => !match.route.query.includes(name));
    if (unknown.length > 0)
      return reply(
        dcError(400, `Query parameter '${unknown[0]}' is not defined for ${method} ${match.route.template}.`),
      );
    let body: unknown;
    if (raw.length > 0) {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
        return reply({ status: 415, body: { errorMessages: ['Unsupported Media Type'] } });
      body = parseJson(raw);
      if (body === undefined) return reply(dcError(400, 'The request body is not valid JSON.'));
    }
    reply(
      match.route.handle(
        {
          data: this.data,
          caller: caller.accountId,
          baseUrl: this.baseUrl,
          now: this.now,
          deleted: this.deleted,
        },
        { params: match.params, query: url.searchParams, body },
      ),
    );
  }

  /** Only OAuth 2.0 bearer tokens from this instance's authorization server, live and unrevoked, of an active user. */
  private bearerCaller(req: IncomingMessage): { accountId: string } | { error: string } {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer)
      return { error: 'You are not authenticated. Authentication required to perform this operation.' };
    const access = this.accessTokens.get(bearer);
    const family = access ? this.families.get(access.family) : undefined;
    if (!access || !family || family.revoked) return { error: 'The access token is not valid.' };
    if (access.expiresAt <= Date.now()) return { error: 'The access token expired.' };
    if (!this.data.users.some((user) => user.accountId === family.accountId && user.active))
      return { error: 'The user is deactivated.' };
    return { accountId: family.accountId };
  }

  private login(req: IncomingMessage, res: ServerResponse, method: string, url: URL, raw: string): void {
    const destination = url.searchParams.get('os_destination') ?? '/';
    if (method === 'GET') {
      return sendHtml(
        res,
        200,
        `<h1>Log in to Jira</h1><form method="post" action="/login.jsp?os_destination=${encodeURIComponent(destination)}">
<label>Username <input name="os_username" autocomplete="username"></label>
<label>Password <input name="os_password" type="password" autocomplete="current-password"></label>
<button type="submit" id="login-submit">Log In</button></form>`,
      );
    }
    const form = new URLSearchParams(raw);
    const identity = dcIdentities(this.data).find((candidate) => candidate.name === form.get('os_username'));
    if (!identity || !identity.user.active || form.get('os_password') !== `${identity.name}-password`) {
      return sendHtml(res, 401, '<p id="login-error">Sorry, your username and password are incorrect.</p>');
    }
    const sid = token();
    this.browserSessions.set(sid, identity.user.accountId);
    res
      .writeHead(302, {
        location: destination.startsWith('/') ? destination : '/',
        'set-cookie': `JSESSIONID=${sid}; Path=/; HttpOnly; SameSite=Lax`,
      })
      .end();
  }

  private browserUser(req: IncomingMessage): string | null {
    const sid = /(?:^|;\s*)JSESSIONID=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    return sid ? (this.browserSessions.get(sid) ?? null) : null;
  }

  /** GET authorize: never redirects to a URL the link does not name; asks the signed-in user to consent. */
  private authorize(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const params = url.searchParams;
    const client = this.clients.get(params.get('client_id') ?? '');
    if (!client) return sendHtml(res, 400, '<p>Invalid client_id.</p>');
    if (params.get('redirect_uri') !== client.redirectUri)
      return sendHtml(res, 400, '<p>The redirect_uri does not match the application link.</p>');
    const back = (query: Record<string, string>) => {
      const target = new URL(client.redirectUri);
      for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
      const state = params.get('state');
      if (state !== null) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.toString() }).end();
    };
    if (params.get('response_type') !== 'code') return back({ error: 'unsupported_response_type' });
    const scope = params.get('scope') ?? '';
    if (!SCOPES.includes(scope)) return back({ error: 'invalid_scope' });
    if (
      params.get('code_challenge_method') !== 'S256' ||
      !/^[A-Za-z0-9_-]{43}$/.test(params.get('code_challenge') ?? '')
    ) {
      return back({
        error: 'invalid_request',
        error_description: 'PKCE with code_challenge_method=S256 is required',
      });
    }
    const accountId = this.browserUser(req);
    if (!accountId) {
      res
        .writeHead(302, {
          location: `/login.jsp?os_destination=${encodeURIComponent(`${url.pathname}${url.search}`)}`,
        })
        .end();
      return;
    }
    const consent = token();
    this.consents.set(consent, { accountId, params: new URLSearchParams(params) });
    sendHtml(
      res,
      200,
      `<h1>Allow access?</h1><p>The application wants to <strong>${escapeHtml(scope)}</strong> your Jira data as ${escapeHtml(dcIdentity(this.data, accountId).name)}.</p>
<form method="post" action="${OAUTH}/authorize"><input type="hidden" name="consent" value="${consent}">
<button type="submit" name="decision" value="allow" id="approve">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button></form>`,
    );
  }

  private decide(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const form = new URLSearchParams(raw);
    const consent = this.consents.get(form.get('consent') ?? '');
    this.consents.delete(form.get('consent') ?? '');
    if (!consent || consent.accountId !== this.browserUser(req))
      return sendHtml(res, 400, '<p>This consent form has expired.</p>');
    const params = consent.params;
    const target = new URL(params.get('redirect_uri') ?? '');
    if (form.get('decision') === 'allow') {
      const code = token();
      this.codes.set(code, {
        clientId: params.get('client_id') ?? '',
        redirectUri: params.get('redirect_uri') ?? '',
        challenge: params.get('code_challenge') ?? '',
        accountId: consent.accountId,
        scope: params.get('scope') ?? 'READ',
        expiresAt: Date.now() + CODE_TTL_MS,
        used: false,
        family: null,
      });
      target.searchParams.set('code', code);
    } else {
      target.searchParams.set('error', 'access_denied');
    }
    const state = params.get('state');
    if (state !== null) target.searchParams.set('state', state);
    res.writeHead(302, { location: target.toString() }).end();
  }

  private tokenEndpoint(res: ServerResponse, raw: string): void {
    const form = new URLSearchParams(raw);
    const grantType = form.get('grant_type') ?? '';
    const answer = (status: number, body: unknown) => {
      this.grants.push({ grantType, status });
      sendJson(res, { status, body }, { 'cache-control': 'no-store' });
    };
    const client = this.clients.get(form.get('client_id') ?? '');
    if (!client || !same(client.clientSecret, form.get('client_secret') ?? ''))
      return answer(401, { error: 'invalid_client' });
    if (grantType === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      if (!code || code.clientId !== client.clientId || code.expiresAt <= Date.now())
        return answer(400, { error: 'invalid_grant' });
      if (code.used) {
        // A code used twice was stolen: what it gave out is revoked too.
        const family = code.family ? this.families.get(code.family) : undefined;
        if (family) family.revoked = true;
        return answer(400, { error: 'invalid_grant' });
      }
      code.used = true;
      if (form.get('redirect_uri') !== code.redirectUri)
        return answer(400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
      if (!same(sha256url(form.get('code_verifier') ?? ''), code.challenge))
        return answer(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      const familyId = token();
      code.family = familyId;
      const family: Family = {
        clientId: client.clientId,
        accountId: code.accountId,
        scope: code.scope,
        refreshToken: token(),
        revoked: false,
      };
      this.families.set(familyId, family);
      return answer(200, this.issue(familyId, family));
    }
    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const entry = [...this.families.entries()].find(([, family]) => same(family.refreshToken, presented));
      if (!entry) return answer(400, { error: 'invalid_grant' });
      const [familyId, family] = entry;
      const active = this.data.users.some((user) => user.accountId === family.accountId && user.active);
      if (family.revoked || family.clientId !== client.clientId || !active)
        return answer(400, { error: 'invalid_grant' });
      family.refreshToken = token();
      return answer(200, this.issue(familyId, family));
    }
    answer(400, { error: 'unsupported_grant_type' });
  }

  private issue(familyId: string, family: Family): Record<string, unknown> {
    const access = token();
    this.accessTokens.set(access, {
      family: familyId,
      expiresAt: Date.now() + this.accessTokenTtlSeconds * 1000,
    });
    return {
      access_token: access,
      refresh_token: family.refreshToken,
      token_type: 'bearer',
      expires_in: this.accessTokenTtlSeconds,
      scope: family.scope,
    };
  }

  private revokeEndpoint(res: ServerResponse, raw: string): void {
    const form = new URLSearchParams(raw);
    const client = this.clients.get(form.get('client_id') ?? '');
    if (!client || !same(client.clientSecret, form.get('client_secret') ?? ''))
      return sendJson(res, { status: 401, body: { error: 'invalid_client' } });
    const presented = form.get('token') ?? '';
    const access = this.accessTokens.get(presented);
    for (const [id, family] of this.families) {
      if (family.refreshToken === presented || access?.family === id) family.revoked = true;
    }
    res.writeHead(200).end();
  }
}

function sendJson(res: ServerResponse, reply: DcReply, headers: Record<string, string> = {}): void {
  res
    .writeHead(reply.status, { 'content-type': 'application/json;charset=UTF-8', ...headers })
    .end(JSON.stringify(reply.body));
}

function sendHtml(res: ServerResponse, status: number, body: string): void {
  res
    .writeHead(status, { 'content-type': 'text/html;charset=UTF-8' })
    .end(`<!doctype html><html><body>${body}</body></html>`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
