import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { FakeJira } from '../fake-jira/fake-jira.js';
import { FAKE_BRIDGE_JS } from './fake-bridge-script.js';
import { FORGE_APP_DIR, ForgeManifest } from './forge-manifest.js';

/** Forge's contract for events and scheduled triggers: POST, 5 s to answer, up to 4 retries 60 s apart. */
export const EVENT_TIMEOUT_MS = 5_000;
export const EVENT_RETRIES = 4;
export const EVENT_RETRY_DELAY_MS = 60_000;
/** UI invocations (invokeRemote): 25 s, no retries. */
export const UI_TIMEOUT_MS = 25_000;
const FIT_LIFETIME_SECONDS = 60;
const TOKEN_LIFETIME_MS = 3 * 60 * 60_000;

export type RetryReason =
  'INVALID_REMOTE_INVOCATION_ERROR' | 'TIMEOUT_ERROR' | 'INVALID_FORGE_INVOCATION_TOKEN';
export type Delivery = {
  attempt: number;
  status: number | 'timeout' | 'network_error';
  retryReason?: RetryReason;
};
export type RemoteResponse = { status: number; headers: Record<string, string>; body: unknown };

export type FakeForgeOptions = {
  /** Scales Forge's 60 s between event retries; tests pass a few ms. */
  retryDelayMs?: number;
  /** Forge's 5 s event timeout, scaled the same way when a test needs it. */
  eventTimeoutMs?: number;
  /** The Forge app folder whose static/ resources the Custom UI pages come from (built by forge:build). */
  appDir?: string;
  /** Where a function's calls to Atlassian's own API (api.atlassian.com, e.g. report-accounts) go. */
  atlassianApiUrl?: string;
};

/** What `@forge/api` reads from the Forge Node runtime: `globalThis.__forge_runtime__` and `__forge_fetch__`. */
type ForgeFetchTarget = { type: string; provider?: string; remote?: string; accountId?: string };
type ForgeFetch = (target: ForgeFetchTarget, path: string, init?: RequestInit) => Promise<Response>;
type RuntimeGlobals = { __forge_fetch__?: ForgeFetch; __forge_runtime__?: unknown };
/** Function-to-remote calls: Forge documents no timeout of its own; a function's fetch is cut at 180 s. */
const FUNCTION_REMOTE_TIMEOUT_MS = 25_000;

type FitOverrides = {
  claims?: Record<string, unknown>;
  /** Drop these top-level claims. */
  omit?: string[];
  expiresInSeconds?: number;
  kid?: string;
};

/**
 * The Forge platform for tests, the demo and benchmarks, on 127.0.0.1: it signs Forge Invocation Tokens
 * with its own RS256 key served as a JWKS, routes invocations to the remote by the project's manifest.yml,
 * delivers events and triggers with Forge's timeouts and retries, mints system and user tokens the fake
 * Jira accepts as Bearer under /ex/jira/<cloudId>, and serves the Custom UI resources with a fake bridge.
 */
export class FakeForge {
  readonly origin: string;
  readonly appId = `ari:cloud:ecosystem::app/${randomUUID()}`;
  readonly manifest = ForgeManifest.load();
  /** How often the remote fetched the JWKS. */
  jwksFetches = 0;
  /** Every FIT and OAuth token handed out, for tests that prove none of them reaches a log line. */
  readonly issued: string[] = [];
  private readonly installations = new Map<string, FakeForgeInstallation>();
  private readonly sessions = new Map<
    string,
    { installation: FakeForgeInstallation; accountId: string; moduleKey: string }
  >();
  private readonly kid = `fake-forge-${randomUUID()}`;
  readonly retryDelayMs: number;
  readonly eventTimeoutMs: number;
  /** Base URL of the stand-in for api.atlassian.com; null: such calls fail as unreachable. */
  atlassianApiUrl: string | null;
  private readonly appDir: string;

  private constructor(
    private readonly server: Server,
    private readonly keys: { privateKey: Parameters<SignJWT['sign']>[0]; publicJwk: JWK },
    options: FakeForgeOptions,
  ) {
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.retryDelayMs = options.retryDelayMs ?? EVENT_RETRY_DELAY_MS;
    this.eventTimeoutMs = options.eventTimeoutMs ?? EVENT_TIMEOUT_MS;
    this.appDir = options.appDir ?? FORGE_APP_DIR;
    this.atlassianApiUrl = options.atlassianApiUrl ?? null;
  }

  static async start(options: FakeForgeOptions = {}): Promise<FakeForge> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const forge = new FakeForge(server, { privateKey, publicJwk: await exportJWK(publicKey) }, options);
    server.on('request', (req, res) => {
      forge.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    return forge;
  }

  get jwksUrl(): string {
    return `${this.origin}/.well-known/jwks.json`;
  }

  /** What the app needs to trust this platform: FORGE_APP_ID, FORGE_JWKS_URL and the API hosts. */
  get appConfig() {
    // Each fake Jira listens on a port of its own.
    return { appId: this.appId, jwksUrl: this.jwksUrl, apiHosts: ['127.0.0.1:*'] };
  }

  /**
   * Installs the app on a fake Jira site: a new installation id, a system token for the site, and the
   * `avi:forge:installed:app` event delivered to the remote. Returns the installation either way.
   */
  async install(remoteBaseUrl: string, site: FakeJira): Promise<FakeForgeInstallation> {
    const installation = new FakeForgeInstallation(this, site, remoteBaseUrl.replace(/\/+$/, ''));
    this.installations.set(installation.installationId, installation);
    installation.lastInstallDeliveries = await installation.deliverEvent('avi:forge:installed:app', {
      installerAccountId: site.data.users[0]?.accountId,
    });
    return installation;
  }

  /** A signed invocation token, or (with overrides) one of its hostile variants. */
  async signFit(claims: Record<string, unknown>, overrides: FitOverrides = {}): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    const body: Record<string, unknown> = {
      iss: 'forge/invocation-token',
      aud: this.appId,
      iat,
      nbf: iat,
      exp: iat + (overrides.expiresInSeconds ?? FIT_LIFETIME_SECONDS),
      jti: randomUUID(),
      ...claims,
      ...overrides.claims,
    };
    for (const name of overrides.omit ?? []) delete body[name];
    const fit = await new SignJWT(body)
      .setProtectedHeader({ alg: 'RS256', kid: overrides.kid ?? this.kid, typ: 'JWT' })
      .sign(this.keys.privateKey);
    this.issued.push(fit);
    return fit;
  }

  get publicJwk(): JWK {
    return { ...this.keys.publicJwk, kid: this.kid, alg: 'RS256', use: 'sig' };
  }

  /** A browser session on a Custom UI page: the URL Chromium opens, framing the resource like Jira does. */
  pageUrl(installation: FakeForgeInstallation, accountId: string, moduleKey: string): string {
    const session = randomUUID();
    this.sessions.set(session, { installation, accountId, moduleKey });
    return `${this.origin}/jira/apps/${encodeURIComponent(moduleKey)}?session=${session}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    if (url.pathname === '/.well-known/jwks.json') {
      this.jwksFetches += 1;
      return json(res, 200, { keys: [this.publicJwk] });
    }
    if (url.pathname === '/__fake-bridge.js') {
      res
        .writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
        .end(FAKE_BRIDGE_JS);
      return;
    }
    const session = this.sessions.get(url.searchParams.get('session') ?? '');
    if (url.pathname === '/__bridge' && req.method === 'POST') {
      if (!session) return json(res, 401, { error: 'unknown session' });
      const call = JSON.parse(await readBody(req)) as { command: string; payload?: Record<string, unknown> };
      return json(res, 200, await this.bridgeCall(session, call.command, call.payload ?? {}));
    }
    const page = /^\/jira\/apps\/([^/]+)$/.exec(url.pathname);
    if (page && session) {
      const src = `/ui/${encodeURIComponent(this.resourceOf(session.moduleKey))}/index.html?session=${encodeURIComponent(url.searchParams.get('session') ?? '')}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fake Jira (Forge)</title>` +
          `<style>body{margin:0;font:14px sans-serif}header{padding:8px 16px;border-bottom:1px solid #ddd}iframe{width:100%;height:1400px;border:0}</style></head>` +
          `<body><header>Fake Jira · Forge · ${escapeHtml(session.moduleKey)}</header><iframe id="app-frame" title="Calendar Sync" src="${src}"></iframe></body></html>`,
      );
      return;
    }
    const asset = /^\/ui\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (asset) return this.serveResource(res, decodeURIComponent(asset[1] ?? ''), asset[2] ?? '');
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  private resourceOf(moduleKey: string): string {
    for (const type of ['jira:adminPage', 'jira:globalPage']) {
      const module = this.manifest.modules(type).find((candidate) => candidate.key === moduleKey) as
        { resource?: string } | undefined;
      if (module?.resource) return module.resource;
    }
    throw new Error(`no UI module ${moduleKey}`);
  }

  /** Serves a Custom UI resource directory the way Forge's CDN does, with the bridge the iframe host injects. */
  private async serveResource(res: ServerResponse, resourceKey: string, file: string): Promise<void> {
    const resource = this.manifest.resources.find((candidate) => candidate.key === resourceKey);
    const root = resource ? path.join(this.appDir, resource.path) : null;
    const target = root ? path.resolve(root, file) : null;
    if (!root || !target || !target.startsWith(`${root}${path.sep}`)) return void res.writeHead(404).end();
    let content: Buffer;
    try {
      content = await readFile(target);
    } catch {
      return void res.writeHead(404).end();
    }
    const type = target.endsWith('.html')
      ? 'text/html; charset=utf-8'
      : target.endsWith('.css')
        ? 'text/css'
        : 'text/javascript';
    const body = target.endsWith('index.html')
      ? content.toString('utf8').replace('<head>', '<head><script src="/__fake-bridge.js"></script>')
      : content;
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  }

  private async bridgeCall(
    session: { installation: FakeForgeInstallation; accountId: string; moduleKey: string },
    command: string,
    payload: Record<string, unknown>,
  ): Promise<unknown> {
    if (command === 'getContext') return session.installation.uiContext(session.moduleKey, session.accountId);
    if (command === 'invoke' && payload['invokeType'] === 'ui-remote-fetch') {
      const response = await session.installation.invokeRemote(
        {
          path: String(payload['path']),
          method: typeof payload['method'] === 'string' ? payload['method'] : 'GET',
          ...(payload['body'] === undefined ? {} : { body: payload['body'] }),
        },
        { accountId: session.accountId, moduleKey: session.moduleKey },
      );
      return response.status >= 200 && response.status < 300
        ? { success: true, payload: response }
        : { success: false, error: response };
    }
    return { success: false, error: { status: 0, headers: {}, body: `the fake bridge has no ${command}` } };
  }
}

/** One installation of the app on one fake Jira site. */
export class FakeForgeInstallation {
  readonly installationId = `ari:cloud:ecosystem::installation/${randomUUID()}`;
  /** Every event and trigger delivered, with each attempt's outcome. */
  readonly deliveries: { eventType: string; attempts: Delivery[] }[] = [];
  lastInstallDeliveries: Delivery[] = [];
  uninstalled = false;

  constructor(
    private readonly forge: FakeForge,
    readonly site: FakeJira,
    readonly remoteBaseUrl: string,
  ) {}

  get apiBaseUrl(): string {
    return this.site.apiBaseUrl;
  }

  /** A fresh token for this site with the manifest's scopes, as Forge attaches to invocations. */
  mintToken(
    kind: 'system' | 'user',
    options: { expiresInMs?: number; accountId?: string } = {},
  ): { token: string; expiresAt: Date } {
    const expiresAt = new Date(Date.now() + (options.expiresInMs ?? TOKEN_LIFETIME_MS));
    const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${segment({ alg: 'none', typ: kind })}.${segment({ exp: Math.floor(expiresAt.getTime() / 1000), sub: this.installationId })}.${randomBytes(24).toString('base64url')}`;
    if (!this.uninstalled) {
      this.site.acceptBearer(token, {
        scopes: this.forge.manifest.scopes,
        expiresAt,
        ...(kind === 'user' && options.accountId ? { accountId: options.accountId } : {}),
      });
    }
    this.forge.issued.push(token);
    return { token, expiresAt };
  }

  /** The claims of an invocation of `endpointKey`; UI invocations add the user and the module's context. */
  claims(endpointKey: string, ui?: { accountId: string; moduleKey: string }): Record<string, unknown> {
    const app = {
      id: this.forge.appId,
      installationId: this.installationId,
      apiBaseUrl: this.apiBaseUrl,
      appVersion: '1.0.0',
      environment: { type: 'DEVELOPMENT', id: randomUUID() },
      module: {
        type: ui ? this.moduleType(ui.moduleKey) : 'core:endpoint',
        key: ui?.moduleKey ?? endpointKey,
      },
      installation: {
        id: this.installationId,
        contexts: [{ name: 'jira', apiBaseUrl: this.apiBaseUrl, cloudId: this.site.cloudId }],
      },
    };
    if (!ui) return { app, context: {} };
    return { app, principal: ui.accountId, context: this.uiContext(ui.moduleKey, ui.accountId) };
  }

  uiContext(moduleKey: string, accountId: string): Record<string, unknown> {
    return {
      accountId,
      cloudId: this.site.cloudId,
      siteUrl: this.site.baseUrl,
      moduleKey,
      localId: `${this.forge.appId}/${moduleKey}`,
      extension: { type: this.moduleType(moduleKey) },
      locale: 'en-US',
      timezone: 'Europe/Berlin',
      environmentType: 'DEVELOPMENT',
    };
  }

  private moduleType(moduleKey: string): string {
    return this.forge.manifest.modules('jira:globalPage').some((module) => module.key === moduleKey)
      ? 'jira:globalPage'
      : 'jira:adminPage';
  }

  /** A product or lifecycle event, routed by the manifest's triggers, with Forge's timeout and retries. */
  deliverEvent(eventType: string, payload: Record<string, unknown> = {}): Promise<Delivery[]> {
    return this.deliver(this.forge.manifest.triggerEndpoint(eventType), eventType, { eventType, ...payload });
  }

  /**
   * Runs a Forge function of the manifest in this process, as Forge's Node runtime hosts it: `@forge/api`
   * finds the invocation through `globalThis.__forge_runtime__` and sends every call through
   * `globalThis.__forge_fetch__`, which this provides for the duration of the run. `invokeRemote` reaches
   * the remote with a FIT for the scheduled trigger that runs the function (no principal, no context) and,
   * if the remote's `auth` asks for it, a system token; calls to Atlassian's API as the app go to
   * `atlassianApiUrl` with a system token. One run at a time: the globals are process-wide.
   */
  async runFunction<T>(
    functionKey: string,
    handler: (event: Record<string, unknown>, context: Record<string, unknown>) => Promise<T>,
  ): Promise<T> {
    const trigger = this.forge.manifest.functionTrigger(functionKey);
    const globals = globalThis as RuntimeGlobals;
    if (globals.__forge_fetch__ || globals.__forge_runtime__)
      throw new Error('a Forge function is already running in this process');
    const startedAt = Date.now();
    globals.__forge_runtime__ = {
      appContext: {
        appId: this.forge.appId.replace(/^ari:cloud:ecosystem::app\//, ''),
        appVersion: '1.0.0',
        environmentId: randomUUID(),
        environmentType: 'DEVELOPMENT',
        invocationId: randomUUID(),
        installationId: this.installationId.replace(/^ari:cloud:ecosystem::installation\//, ''),
        moduleKey: trigger.key,
      },
      lambdaContext: { getRemainingTimeInMillis: () => 55_000 - (Date.now() - startedAt) },
      metrics: {
        counter: () => ({ incr() {} }),
        timing: () => ({ measure: () => ({ stop() {} }) }),
      },
    };
    globals.__forge_fetch__ = (target, path, init) => this.forgeFetch(trigger.key, target, path, init);
    try {
      return await handler({ context: { cloudId: this.site.cloudId, moduleKey: trigger.key } }, {});
    } finally {
      delete globals.__forge_fetch__;
      delete globals.__forge_runtime__;
    }
  }

  /** The hourly scheduled trigger. */
  runScheduledTrigger(): Promise<Delivery[]> {
    return this.deliver(this.forge.manifest.moduleEndpoint('scheduledTrigger'), 'scheduledTrigger', {});
  }

  /** The pre-uninstall call, then the platform forgets the installation and its tokens stop working. */
  async uninstall(): Promise<Delivery[]> {
    const deliveries = await this.deliver(
      this.forge.manifest.moduleEndpoint('preUninstall'),
      'preUninstall',
      {},
    );
    this.uninstalled = true;
    this.site.revokeBearers();
    return deliveries;
  }

  /** invokeRemote from a Custom UI page: the module's resolver endpoint, the user's FIT and tokens, no retries. */
  async invokeRemote(
    request: {
      path: string;
      method: string;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
    },
    ui: { accountId: string; moduleKey: string },
    overrides: FitOverrides & { systemToken?: string | null } = {},
  ): Promise<RemoteResponse> {
    const endpoint = this.forge.manifest.uiEndpoint(ui.moduleKey);
    const headers: Record<string, string> = {
      ...request.headers,
      authorization: `Bearer ${await this.forge.signFit(this.claims(endpoint.key, ui), overrides)}`,
      ...this.tokenHeaders(endpoint, overrides.systemToken),
      'x-b3-traceid': randomBytes(16).toString('hex'),
      'x-b3-spanid': randomBytes(8).toString('hex'),
    };
    if (endpoint.auth?.appUserToken?.enabled)
      headers['x-forge-oauth-user'] = this.mintToken('user', { accountId: ui.accountId }).token;
    const body = request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.remoteBaseUrl}${request.path}`, {
      method: request.method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(UI_TIMEOUT_MS),
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Forge hands non-JSON bodies through as text
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), body: parsed };
  }

  /**
   * Sends one backend invocation with a chosen (possibly hostile) FIT, once, without retries. `path` and
   * `method` send the endpoint's invocation somewhere Forge itself would not (a replayed token).
   */
  async sendOnce(
    endpointKey: string,
    body: unknown,
    overrides: FitOverrides & { systemToken?: string | null; path?: string; method?: string } = {},
  ): Promise<{ status: number; body: string }> {
    const endpoint = this.forge.manifest.endpoint(endpointKey);
    const response = await fetch(`${this.remoteBaseUrl}${overrides.path ?? endpoint.route?.path ?? '/'}`, {
      method: overrides.method ?? 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await this.forge.signFit(this.claims(endpoint.key), overrides)}`,
        ...this.tokenHeaders(endpoint, overrides.systemToken),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.forge.eventTimeoutMs),
    });
    return { status: response.status, body: await response.text() };
  }

  /**
   * One call as a function's `invokeRemote` makes it, outside a run, on behalf of `moduleKey` and with a
   * chosen (possibly hostile) FIT: for tests of who the remote lets in.
   */
  async invokeRemoteAs(
    moduleKey: string,
    path: string,
    body: unknown,
    overrides: FitOverrides = {},
  ): Promise<{ status: number; body: unknown }> {
    const response = await this.forgeFetch(
      moduleKey,
      { type: 'frc', remote: 'calsync' },
      path,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      overrides,
    );
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  private async forgeFetch(
    moduleKey: string,
    target: ForgeFetchTarget,
    path: string,
    init: RequestInit = {},
    overrides: FitOverrides = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    let url: string;
    if (target.type === 'frc') {
      const remote = target.remote ? this.forge.manifest.remote(target.remote) : null;
      if (!remote?.operations?.includes('compute'))
        return new Response(null, { status: 400, headers: { 'forge-proxy-error': 'INVALID_REMOTE' } });
      headers.set('authorization', `Bearer ${await this.forge.signFit(this.claims(moduleKey), overrides)}`);
      if (remote.auth?.appSystemToken?.enabled)
        headers.set('x-forge-oauth-system', this.mintToken('system').token);
      headers.set('x-b3-traceid', randomBytes(16).toString('hex'));
      headers.set('x-b3-spanid', randomBytes(8).toString('hex'));
      url = `${this.remoteBaseUrl}${path}`;
    } else if (target.type === 'fpp' && target.provider === 'app' && target.remote === 'stargate') {
      if (!this.forge.atlassianApiUrl) throw new TypeError('fetch failed: no Atlassian API in this test');
      headers.set('authorization', `Bearer ${this.mintToken('system').token}`);
      // @forge/api's privacy helper posts to '/app/report-accounts'; the API's documented URL ends in '/'.
      const routed = path === '/app/report-accounts' ? '/app/report-accounts/' : path;
      url = `${this.forge.atlassianApiUrl.replace(/\/+$/, '')}${routed}`;
    } else {
      return new Response(null, { status: 501, headers: { 'forge-proxy-error': 'PROXY_ERR' } });
    }
    return fetch(url, {
      ...init,
      headers,
      redirect: 'manual',
      signal: init.signal ?? AbortSignal.timeout(FUNCTION_REMOTE_TIMEOUT_MS),
    });
  }

  private tokenHeaders(
    endpoint: { auth?: { appSystemToken?: { enabled: boolean } } },
    systemToken?: string | null,
  ): Record<string, string> {
    if (!endpoint.auth?.appSystemToken?.enabled || systemToken === null) return {};
    return { 'x-forge-oauth-system': systemToken ?? this.mintToken('system').token };
  }

  private async deliver(
    endpoint: { key: string; route?: { path: string }; auth?: { appSystemToken?: { enabled: boolean } } },
    eventType: string,
    payload: Record<string, unknown>,
  ): Promise<Delivery[]> {
    const attempts: Delivery[] = [];
    this.deliveries.push({ eventType, attempts });
    let retryReason: RetryReason | undefined;
    for (let attempt = 0; attempt <= EVENT_RETRIES; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.forge.retryDelayMs));
      const body = {
        ...payload,
        context: { cloudId: this.site.cloudId, moduleKey: endpoint.key },
        ...(retryReason ? { retryContext: { retryCount: attempt, retryReason } } : {}),
      };
      let status: Delivery['status'];
      try {
        const response = await fetch(`${this.remoteBaseUrl}${endpoint.route?.path ?? '/'}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${await this.forge.signFit(this.claims(endpoint.key))}`,
            ...this.tokenHeaders(endpoint),
            'x-b3-traceid': randomBytes(16).toString('hex'),
            'x-b3-spanid': randomBytes(8).toString('hex'),
          },
          body: JSON.stringify(body),
          redirect: 'manual',
          signal: AbortSignal.timeout(this.forge.eventTimeoutMs),
        });
        await response.arrayBuffer();
        status = response.status;
      } catch (error) {
        status = error instanceof DOMException && error.name === 'TimeoutError' ? 'timeout' : 'network_error';
      }
      const ok = typeof status === 'number' && status >= 200 && status < 300;
      attempts.push({ attempt, status, ...(retryReason ? { retryReason } : {}) });
      if (ok) return attempts;
      retryReason =
        status === 'timeout'
          ? 'TIMEOUT_ERROR'
          : status === 401
            ? 'INVALID_FORGE_INVOCATION_TOKEN'
            : 'INVALID_REMOTE_INVOCATION_ERROR';
    }
    return attempts;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const escapeHtml = (value: string): string => value.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);
