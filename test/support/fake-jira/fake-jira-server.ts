import { createHmac, generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import * as jwt from 'atlassian-jwt';
import { connectQsh, queryRecord } from '../jwt-helpers.js';
import { FaultInjector, type FaultSpec } from './fake-jira-faults.js';
import {
  grants,
  jiraError,
  matchRoute,
  type ConnectScope,
  type PageToken,
  type Reply,
  type Site,
} from './fake-jira-routes.js';
import { grantsOAuth, OAUTH_SCOPES } from './fake-jira-oauth-scopes.js';
import { defaultSeed } from './fake-jira-seed.js';
import type { FakeJiraData } from './fake-jira-types.js';
import { CONNECT_REPORT_PATH, FakeAtlassianPrivacy } from '../fake-atlassian-privacy.js';

export type RecordedRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: unknown;
  /** 0 when the fake dropped the connection without answering. */
  status: number;
};

export type FakeJiraOptions = {
  seed?: FakeJiraData;
  /** The app's descriptor key; default 'calendar-sync'. */
  appKey?: string;
  /** Start as if the app were already installed with this shared secret. */
  sharedSecret?: string;
  /** Scopes of that pre-installed app; default READ and PROJECT_ADMIN, as the project's descriptor asks. */
  scopes?: ConnectScope[];
  /**
   * The install-callback signing keys, shared by sites started with the same ones (the bench's many
   * sites): the app, pointed at one site's key service, can then verify every site's install.
   */
  installKeys?: InstallKeys;
};

export type InstallKeys = { kid: string; publicKey: string; privateKey: string; wrongPrivateKey: string };

export type LifecycleVariant = {
  expired?: boolean;
  /** Signed with another private key under the same kid. */
  wrongKey?: boolean;
  alg?: 'none' | 'HS256';
  iss?: string;
  qsh?: string;
  aud?: string;
  /** Seconds added to the issue time (negative: a token Jira signed earlier, still within its lifetime). */
  issuedAtOffsetSeconds?: number;
};

export type LifecyclePayload = {
  key: string;
  clientKey: string;
  sharedSecret: string;
  serverVersion: string;
  pluginsVersion: string;
  baseUrl: string;
  displayUrl: string;
  productType: 'jira';
  description: string;
  eventType: 'installed' | 'uninstalled';
};

const generateRsaKeyPair = promisify(generateKeyPair);
const rsaKeyPair = () =>
  generateRsaKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

const KEYS_PATH = '/connect-install-keys';

/**
 * A Jira Cloud site on 127.0.0.1 for tests, the demo and benchmarks: Connect lifecycle (RS256-signed install
 * callbacks, install keys), JWT-verified REST API v3 endpoints the app uses, fault injection and a request log.
 */
export class FakeJira {
  readonly baseUrl: string;
  readonly keysUrl: string;
  readonly clientKey = randomUUID();
  /** The site's id behind Atlassian's API gateway, where Forge apps reach it (`/ex/jira/<cloudId>`). */
  readonly cloudId = randomUUID();
  data: FakeJiraData;
  requests: RecordedRequest[] = [];
  readonly faults: FaultInjector;
  /**
   * Atlassian's Personal Data Reporting, at this site's Connect route. Closing an account there also
   * anonymises it in this site's data, as Atlassian does.
   */
  readonly privacy = new FakeAtlassianPrivacy({ onClose: (accountId) => this.anonymise(accountId) });
  /** The clock for JQL (now(), startOfDay(), relative dates) and serverTime; JWT expiry uses real time. */
  now: () => Date = () => new Date();

  private readonly appKey: string;
  /** Installed apps by key; REST calls verify against their secrets and scopes. */
  private readonly apps = new Map<string, { sharedSecret: string; scopes: ConnectScope[] }>();
  /** App key → the last secret handed out, kept after uninstall so tests can sign stale context tokens. */
  private readonly lastSecrets = new Map<string, string>();
  private readonly pageTokens = new Map<string, PageToken>();
  /** OAuth bearer tokens (Forge system and user tokens) this site accepts, with their scopes. */
  private readonly bearers = new Map<
    string,
    { scopes: ReadonlySet<string>; expiresAt: number; accountId: string | null }
  >();
  private readonly kid: string;
  private readonly stopping = new AbortController();

  private constructor(
    private readonly server: Server,
    private readonly keys: InstallKeys,
    options: FakeJiraOptions,
  ) {
    this.kid = keys.kid;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.keysUrl = `${this.baseUrl}${KEYS_PATH}`;
    this.data = options.seed ?? defaultSeed();
    this.appKey = options.appKey ?? 'calendar-sync';
    if (options.sharedSecret) {
      this.rememberInstall(this.appKey, options.sharedSecret, options.scopes ?? ['READ', 'PROJECT_ADMIN']);
    }
    this.faults = new FaultInjector(() => this.pageTokens.clear());
  }

  /** A fresh set of install keys (two RSA key pairs: slow enough to share among many sites). */
  static async generateInstallKeys(): Promise<InstallKeys> {
    const [signing, wrong] = await Promise.all([rsaKeyPair(), rsaKeyPair()]);
    return { kid: `fake-jira-${randomUUID()}`, ...signing, wrongPrivateKey: wrong.privateKey };
  }

  static async start(options: FakeJiraOptions = {}): Promise<FakeJira> {
    const keys = options.installKeys ?? (await FakeJira.generateInstallKeys());
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const fake = new FakeJira(server, keys, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        send(res, { status: 500, body: { errorMessages: [String(error)], errors: {} } });
      });
    });
    return fake;
  }

  /** Where a Forge app on this site calls the REST API: the gateway path, as `app.apiBaseUrl` names it. */
  get apiBaseUrl(): string {
    return `${this.baseUrl}/ex/jira/${this.cloudId}`;
  }

  /**
   * Accepts an OAuth token minted for this site (the fake Forge platform's system and user tokens). A
   * user token acts as `accountId` for the calls that answer about the caller (`/mypermissions`); every
   * other call is answered as the app user sees the site.
   */
  acceptBearer(
    token: string,
    grant: { scopes: readonly string[]; expiresAt: Date; accountId?: string },
  ): void {
    this.bearers.set(token, {
      scopes: new Set(grant.scopes),
      expiresAt: grant.expiresAt.getTime(),
      accountId: grant.accountId ?? null,
    });
  }

  /** Every token of this site stops working, as when the app is uninstalled. */
  revokeBearers(): void {
    this.bearers.clear();
  }

  get appUserAccountId(): string {
    return this.data.appUserAccountId;
  }

  /**
   * Treats the app as installed with `sharedSecret` without a lifecycle callback: for a second site in
   * a test, whose install keys the app (pointed at the first site's key service) could not fetch.
   */
  trustApp(sharedSecret: string, scopes: ConnectScope[] = ['READ', 'PROJECT_ADMIN']): void {
    this.rememberInstall(this.appKey, sharedSecret, scopes);
  }

  /** The secret the app got at its last successful install, if it is installed. */
  sharedSecretFor(appKey = this.appKey): string | undefined {
    return this.apps.get(appKey)?.sharedSecret;
  }

  lifecyclePayload(
    eventType: 'installed' | 'uninstalled',
    key: string,
    sharedSecret: string,
  ): LifecyclePayload {
    return {
      key,
      clientKey: this.clientKey,
      sharedSecret,
      serverVersion: '100295',
      pluginsVersion: '1001.0.0-SNAPSHOT',
      baseUrl: this.baseUrl,
      displayUrl: this.baseUrl,
      productType: 'jira',
      description: 'Atlassian JIRA at https://fake-jira.atlassian.net',
      eventType,
    };
  }

  /** Reads the app's descriptor and sends the signed `installed` callback, like Jira installing an app. */
  async install(
    appBaseUrl: string,
    opts: { sharedSecret?: string } = {},
  ): Promise<{ status: number; body: string; sharedSecret: string }> {
    const { key, scopes } = await this.readDescriptor(appBaseUrl);
    const sharedSecret = opts.sharedSecret ?? randomBytes(36).toString('base64url');
    const result = await this.postLifecycle(
      appBaseUrl,
      '/installed',
      this.lifecyclePayload('installed', key, sharedSecret),
    );
    if (result.status >= 200 && result.status < 300) this.rememberInstall(key, sharedSecret, scopes);
    return { ...result, sharedSecret };
  }

  /** Sends the signed `uninstalled` callback; the app's secret stops working whatever the app answers. */
  async uninstall(appBaseUrl: string): Promise<{ status: number; body: string }> {
    const { key } = await this.readDescriptor(appBaseUrl);
    const payload = this.lifecyclePayload('uninstalled', key, this.apps.get(key)?.sharedSecret ?? '');
    this.apps.delete(key);
    return this.postLifecycle(appBaseUrl, '/uninstalled', payload);
  }

  /** An RS256 lifecycle token as Jira signs it, or a broken variant of one. */
  signLifecycle(
    appBaseUrl: string,
    path: '/installed' | '/uninstalled',
    payload: object,
    variant: LifecycleVariant = {},
  ): string {
    const base = appBaseUrl.replace(/\/+$/, '');
    const iat =
      Math.floor(Date.now() / 1000) - (variant.expired ? 600 : 0) + (variant.issuedAtOffsetSeconds ?? 0);
    const payloadIssuer = (payload as { clientKey?: unknown }).clientKey;
    const claims = {
      iss: variant.iss ?? (typeof payloadIssuer === 'string' ? payloadIssuer : this.clientKey),
      iat,
      exp: iat + 180,
      aud: [variant.aud ?? base],
      qsh: variant.qsh ?? connectQsh('POST', `${base}${path}`, base),
      // Two installs within one second must still be two different tokens.
      jti: randomUUID(),
    };
    const segment = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    if (variant.alg === 'none') return `${segment({ alg: 'none', kid: this.kid })}.${segment(claims)}.`;
    if (variant.alg === 'HS256') {
      // The classic algorithm-confusion forgery: HMAC keyed with the public key.
      const input = `${segment({ alg: 'HS256', typ: 'JWT', kid: this.kid })}.${segment(claims)}`;
      return `${input}.${createHmac('sha256', this.keys.publicKey).update(input).digest('base64url')}`;
    }
    const privateKey = variant.wrongKey ? this.keys.wrongPrivateKey : this.keys.privateKey;
    return jwt.encodeAsymmetric(claims, privateKey, jwt.AsymmetricAlgorithm.RS256, { kid: this.kid });
  }

  /** An HS256 context token like AP.context.getToken() gives the app's iframe pages. */
  contextToken(opts: { accountId: string; expiresInSeconds?: number; sharedSecret?: string }): string {
    const secret = opts.sharedSecret ?? this.lastSecrets.get(this.appKey);
    if (!secret) throw new Error(`The app '${this.appKey}' was never installed here; pass sharedSecret`);
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: this.clientKey,
      sub: opts.accountId,
      qsh: 'context-qsh',
      iat,
      exp: iat + (opts.expiresInSeconds ?? 900),
      context: { user: { accountId: opts.accountId }, license: { active: true } },
    };
    return jwt.encodeSymmetric(claims, secret, jwt.SymmetricAlgorithm.HS256);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.privacy.stop();
  }

  private rememberInstall(appKey: string, sharedSecret: string, scopes: ConnectScope[]): void {
    this.apps.set(appKey, { sharedSecret, scopes });
    this.lastSecrets.set(appKey, sharedSecret);
  }

  /** What a closed Atlassian account looks like from then on: a former user, no name, no e-mail. */
  private anonymise(accountId: string): void {
    const user = this.data.users.find((candidate) => candidate.accountId === accountId);
    if (!user) return;
    user.displayName = 'Former user';
    user.active = false;
    delete user.emailAddress;
  }

  /** The descriptor's key and scopes; Connect grants READ when a descriptor names no scopes. */
  private async readDescriptor(
    appBaseUrl: string,
  ): Promise<{ key: string; scopes: ConnectScope[]; webhooks: { event: string; url: string }[] }> {
    const response = await fetch(`${appBaseUrl.replace(/\/+$/, '')}/atlassian-connect.json`);
    if (!response.ok) throw new Error(`GET atlassian-connect.json answered ${response.status}`);
    const descriptor = (await response.json()) as {
      key?: unknown;
      scopes?: unknown;
      modules?: { webhooks?: { event: string; url: string }[] };
    };
    if (typeof descriptor.key !== 'string') throw new Error('The app descriptor has no key');
    const scopes = Array.isArray(descriptor.scopes)
      ? descriptor.scopes.map((s) => String(s).toUpperCase())
      : [];
    return {
      key: descriptor.key,
      scopes: scopes.length > 0 ? (scopes as ConnectScope[]) : ['READ'],
      webhooks: descriptor.modules?.webhooks ?? [],
    };
  }

  /**
   * Sends `event` to every webhook the installed app's descriptor registered for it, as Jira does: a POST
   * signed with the app's shared secret for exactly that request. Returns each answer's status.
   */
  async sendWebhook(
    appBaseUrl: string,
    event: string,
    body: Record<string, unknown> = {},
  ): Promise<number[]> {
    const base = appBaseUrl.replace(/\/+$/, '');
    const { key, webhooks } = await this.readDescriptor(base);
    const secret = this.apps.get(key)?.sharedSecret;
    if (!secret) throw new Error(`The app '${key}' is not installed here`);
    const statuses: number[] = [];
    for (const webhook of webhooks.filter((candidate) => candidate.event === event)) {
      const iat = Math.floor(Date.now() / 1000);
      const token = jwt.encodeSymmetric(
        { iss: this.clientKey, iat, exp: iat + 180, qsh: connectQsh('POST', `${base}${webhook.url}`, base) },
        secret,
        jwt.SymmetricAlgorithm.HS256,
      );
      const response = await fetch(`${base}${webhook.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
        body: JSON.stringify({ timestamp: Date.now(), webhookEvent: event, ...body }),
      });
      statuses.push(response.status);
    }
    return statuses;
  }

  private async postLifecycle(
    appBaseUrl: string,
    path: '/installed' | '/uninstalled',
    payload: LifecyclePayload,
  ) {
    const response = await fetch(`${appBaseUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `JWT ${this.signLifecycle(appBaseUrl, path, payload)}`,
      },
      body: JSON.stringify(payload),
    });
    return { status: response.status, body: await response.text() };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const record: RecordedRequest = { method, path: url.pathname, query: url.searchParams, status: 0 };
    if (raw.length > 0) record.body = parseJson(raw) ?? raw;
    this.requests.push(record);
    const reply = (r: Reply, malformed = false): void => {
      record.status = r.status;
      send(res, r, malformed);
    };

    if (url.pathname.startsWith(`${KEYS_PATH}/`)) {
      const kid = decodeURIComponent(url.pathname.slice(KEYS_PATH.length + 1));
      record.status = kid === this.kid ? 200 : 404;
      res
        .writeHead(record.status, { 'content-type': 'text/plain' })
        .end(kid === this.kid ? this.keys.publicKey : 'Not Found');
      return;
    }
    const gateway = /^\/ex\/jira\/([^/]+)(\/rest\/.*)$/.exec(url.pathname);
    if (gateway && gateway[1] !== this.cloudId)
      return reply(jiraError(404, 'No Jira site with this cloud id.'));
    const apiPath = gateway?.[2] ?? url.pathname;
    if (!apiPath.startsWith('/rest/')) return reply(jiraError(404, 'Not Found'));
    if (apiPath === CONNECT_REPORT_PATH && !gateway) {
      const auth = this.authenticate(req, method, url);
      if ('error' in auth) return reply(jiraError(401, `Authentication failed: ${auth.error}`));
      if (method !== 'POST') return reply(jiraError(405, `No ${method} ${url.pathname}.`));
      if (raw.length > 0) record.body = parseJson(raw) ?? raw;
      this.privacy.reply(res, 'connect', raw);
      record.status = this.privacy.calls.at(-1)?.status ?? 0;
      return;
    }

    const fault = this.faults.take();
    try {
      await sleep(this.faults.latencyMs + (fault?.delayMs ?? 0), undefined, { signal: this.stopping.signal });
      if (fault?.hangMs !== undefined) {
        await sleep(fault.hangMs, undefined, { signal: this.stopping.signal });
        res.destroy();
        return;
      }
    } catch {
      res.destroy();
      return;
    }
    if (fault?.redirectTo !== undefined) {
      record.status = 307;
      res.writeHead(307, { location: `${fault.redirectTo}${url.pathname}${url.search}` }).end();
      return;
    }
    if (fault?.status !== undefined) return reply(faultReply(fault));

    const auth = gateway ? this.authenticateBearer(req) : this.authenticate(req, method, url);
    if ('error' in auth) {
      const unauthorized = jiraError(401, `Authentication failed: ${auth.error}`);
      return reply({
        ...unauthorized,
        headers: { 'www-authenticate': gateway ? 'Bearer realm="Jira"' : 'JWT realm="Jira"' },
      });
    }
    const match = matchRoute(method, apiPath);
    if ('status' in match) {
      return reply(jiraError(match.status, `No ${method} ${url.pathname} in the fake Jira.`));
    }
    const operation = `${method} ${match.route.template}`;
    const unknown = [...new Set(url.searchParams.keys())].filter((name) => !match.route.query.includes(name));
    if (unknown.length > 0) {
      return reply(
        jiraError(
          400,
          `Query parameter '${unknown[0]}' is not defined for ${operation} in the Jira OpenAPI document.`,
        ),
      );
    }
    const oauth = OAUTH_SCOPES[operation];
    if ('bearer' in auth) {
      if (!oauth || !grantsOAuth(auth.bearer.scopes, oauth)) {
        return reply(jiraError(403, `The token lacks the OAuth scopes that ${operation} needs.`));
      }
    } else if (!grants(auth.app.scopes, match.route.scope)) {
      return reply(
        jiraError(
          403,
          `The app has not been granted the ${match.route.scope} scope that ${operation} needs.`,
        ),
      );
    }
    let body: unknown;
    if (raw.length > 0) {
      body = parseJson(raw);
      if (body === undefined) return reply(jiraError(400, 'The request body is not valid JSON.'));
    }
    const caller = ('bearer' in auth ? auth.bearer.accountId : null) ?? this.data.appUserAccountId;
    const site: Site = {
      data: this.data,
      caller,
      baseUrl: this.baseUrl,
      now: this.now,
      pageTokens: this.pageTokens,
      fieldPageLimit: this.faults.fieldPageLimit,
    };
    reply(
      match.route.handle(site, { path: apiPath, params: match.params, query: url.searchParams, body }),
      fault?.malformedJson,
    );
  }

  /** OAuth 2.0 through the gateway: a bearer token minted for this site and not expired. */
  private authenticateBearer(
    req: IncomingMessage,
  ): { bearer: { scopes: ReadonlySet<string>; accountId: string | null } } | { error: string } {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return { error: 'the request carries no bearer token.' };
    const bearer = this.bearers.get(token);
    if (!bearer) return { error: 'the bearer token is not valid for this site.' };
    if (bearer.expiresAt <= Date.now()) return { error: 'the bearer token has expired.' };
    return { bearer };
  }

  /** Connect app authentication: an HS256 JWT from an installed app, unexpired, for exactly this request. */
  private authenticate(
    req: IncomingMessage,
    method: string,
    url: URL,
  ): { app: { scopes: ConnectScope[] } } | { error: string } {
    const token = /^JWT\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return { error: 'the request carries no JWT (Authorization: JWT …).' };
    let claims: Record<string, unknown>;
    let app;
    try {
      if (jwt.getAlgorithm(token) !== 'HS256') return { error: 'the JWT must be signed with HS256.' };
      const unverified = jwt.decodeSymmetric(token, 'unverified', jwt.SymmetricAlgorithm.HS256, true) as {
        iss?: unknown;
      };
      app = typeof unverified.iss === 'string' ? this.apps.get(unverified.iss) : undefined;
      if (!app) return { error: `the JWT issuer '${String(unverified.iss)}' is not an installed app.` };
      claims = jwt.decodeSymmetric(token, app.sharedSecret, jwt.SymmetricAlgorithm.HS256) as Record<
        string,
        unknown
      >;
    } catch {
      return { error: 'the JWT signature does not verify.' };
    }
    if (typeof claims['exp'] !== 'number' || claims['exp'] <= Date.now() / 1000) {
      return { error: 'the JWT has expired.' };
    }
    const qsh = jwt.createQueryStringHash({
      method,
      pathname: url.pathname,
      query: queryRecord(url.searchParams),
    });
    if (claims['qsh'] !== qsh) {
      return { error: 'the JWT query string hash (qsh) does not match the request.' };
    }
    return { app };
  }
}

function faultReply(fault: FaultSpec): Reply {
  const status = fault.status ?? 500;
  const message =
    status === 429
      ? 'Rate limit exceeded.'
      : status === 503
        ? 'Service unavailable.'
        : 'Internal server error.';
  return {
    ...jiraError(status, message),
    ...(fault.retryAfterSeconds !== undefined
      ? { headers: { 'retry-after': String(fault.retryAfterSeconds) } }
      : {}),
  };
}

function send(res: ServerResponse, reply: Reply, malformed = false): void {
  const json = JSON.stringify(reply.body);
  const text = malformed ? json.slice(0, Math.max(1, Math.floor(json.length / 2))) : json;
  res
    .writeHead(malformed ? 200 : reply.status, {
      'content-type': 'application/json;charset=UTF-8',
      ...reply.headers,
    })
    .end(text);
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
