import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONNECT_ALL_JS } from '../../../src/http/pages-router.js';
import type { FakeJira } from '../fake-jira/fake-jira.js';
import { FAKE_ALL_JS } from './fake-all-script.js';

export { FAKE_ALL_JS };

/** A person the stand-in Jira lets you be, and the links its home page offers. */
export type HostPerson = { accountId: string; label: string };
export type HostLink = { label: string; href: string };
export type JiraHostOptions = {
  /**
   * Serve the app's pages through the host, with the fake all.js in place of Atlassian's: a person's own
   * browser then runs the pages exactly as the tests' Chromium does, without any route interception.
   */
  proxy?: boolean;
  /** People the home page lets you switch between. */
  people?: HostPerson[];
  /** Further links for the home page (the Forge pages, a sample feed). */
  links?: (accountId: string) => HostLink[];
};

/** A flag the app asked Jira to show through AP.flag.create, as the host page recorded it. */
export type HostFlag = { type: string; title: string; body: string; titleText: string; bodyText: string };

const escapeAttribute = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Runs in the host page: answers the fake all.js in the app's iframe. Flags are recorded in
 * window.__flags (with the text a user would read once Jira renders the HTML) and drawn on the page.
 */
const HOST_SCRIPT = `
(function () {
  var frame = document.getElementById('app-frame');
  var appOrigin = new URL(frame.src).origin;
  var flagsBox = document.getElementById('host-flags');
  window.__flags = [];
  window.__tokenCalls = 0;
  function text(html) {
    return new DOMParser().parseFromString(String(html == null ? '' : html), 'text/html').body.textContent;
  }
  function reply(event, id, result, error) {
    event.source.postMessage({ fakeAp: 'reply', id: id, result: result, error: error }, event.origin);
  }
  window.addEventListener('message', function (event) {
    if (event.origin !== appOrigin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.fakeAp !== 'call') return;
    if (data.method === 'getToken') {
      window.__tokenCalls += 1;
      var as = new URLSearchParams(window.location.search).get('as');
      fetch('/token' + (as ? '?as=' + encodeURIComponent(as) : ''), { cache: 'no-store' })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(new Error('token ' + response.status)); })
        .then(function (token) { reply(event, data.id, token); }, function (error) { reply(event, data.id, undefined, String(error)); });
    } else if (data.method === 'flag') {
      var options = data.args[0] || {};
      var flag = { type: String(options.type || 'info'), title: String(options.title || ''), body: String(options.body || '') };
      flag.titleText = text(flag.title);
      flag.bodyText = text(flag.body);
      window.__flags.push(flag);
      var item = document.createElement('div');
      item.className = 'host-flag host-flag--' + flag.type;
      var title = document.createElement('strong');
      title.textContent = flag.titleText;
      var body = document.createElement('div');
      body.textContent = flag.bodyText;
      item.append(title, body);
      flagsBox.append(item);
      reply(event, data.id, window.__flags.length - 1);
    } else if (data.method === 'closeFlag') {
      reply(event, data.id, true);
    } else if (data.method === 'resize') {
      var height = Number(data.args[0] && data.args[0].height);
      if (height > 0) frame.style.height = Math.min(height, 20000) + 'px';
      reply(event, data.id, true);
    } else {
      reply(event, data.id, undefined, 'fake AP has no ' + data.method);
    }
  });
})();
`;

const HOST_STYLE = `
body { margin: 0; font: 14px/20px sans-serif; background: #f7f8f9; }
header { background: #ffffff; border-bottom: 1px solid #091e4224; padding: 8px 16px; color: #44546f; }
iframe { display: block; width: 100%; height: 600px; border: 0; background: #ffffff; }
#host-flags { position: fixed; right: 16px; bottom: 16px; display: flex; flex-direction: column; gap: 8px; max-width: 360px; }
.host-flag { background: #ffffff; box-shadow: 0 8px 12px #091e4226, 0 0 1px #091e424f; padding: 12px 16px; border-left: 4px solid #1d7afc; }
.host-flag--error { border-left-color: #c9372c; }
.host-flag--success { border-left-color: #22a06b; }
.host-flag--warning { border-left-color: #e56910; }
`;

/**
 * A stand-in for the Jira page that frames an app page: serves the host page on 127.0.0.1 and mints the
 * context JWTs its fake AP hands to the app, for whichever user the test has signed in.
 */
export class JiraHost {
  readonly origin: string;
  /** The account whose context tokens the host hands out; null makes token requests fail. */
  accountId: string | null = null;
  tokensIssued = 0;
  private appUrl: string | null = null;

  private constructor(
    private readonly server: Server,
    private readonly jira: FakeJira,
    private readonly options: JiraHostOptions,
  ) {
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(jira: FakeJira, options: JiraHostOptions = {}, port = 0): Promise<JiraHost> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const host = new JiraHost(server, jira, options);
    server.on('request', (req, res) => {
      host.handle(req, res).catch(() => {
        if (!res.headersSent)
          res.writeHead(502, { 'Content-Type': 'text/plain' }).end('the app did not answer');
        else res.destroy();
      });
    });
    return host;
  }

  /** The app the host frames (its base URL); set once the app has started. */
  setApp(appUrl: string): void {
    this.appUrl = appUrl.replace(/\/+$/, '');
  }

  /** The host page URL that frames `appPath` (e.g. '/pages/admin?configure=true') of the app, as `as` if given. */
  pageUrl(appPath: string, as?: string): string {
    return `${this.origin}/jira/frame?path=${encodeURIComponent(appPath)}${as ? `&as=${encodeURIComponent(as)}` : ''}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    if (this.options.proxy && url.pathname === '/fake-all.js') {
      res
        .writeHead(200, { 'Content-Type': 'application/javascript', 'Cache-Control': 'no-store' })
        .end(FAKE_ALL_JS);
      return;
    }
    if (this.options.proxy && url.pathname.startsWith('/app/') && this.appUrl)
      return this.proxy(req, res, url);
    if (url.pathname === '/' && this.options.people) return this.home(res, url);
    if (url.pathname === '/token') {
      const as = url.searchParams.get('as');
      const accountId =
        as && this.options.people?.some((person) => person.accountId === as) ? as : this.accountId;
      if (!accountId) {
        res.writeHead(401, { 'Content-Type': 'text/plain' }).end('no user signed in');
        return;
      }
      this.tokensIssued += 1;
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
      res.end(this.jira.contextToken({ accountId }));
      return;
    }
    if (url.pathname === '/jira/frame' && this.appUrl) {
      const appPath = url.searchParams.get('path') ?? '/';
      const appBase = this.options.proxy ? `${this.origin}/app` : this.appUrl;
      const src = new URL(`${appBase}${appPath.startsWith('/') ? appPath : `/${appPath}`}`);
      src.searchParams.set('xdm_e', this.origin);
      src.searchParams.set('cp', '');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fake Jira</title><style>${HOST_STYLE}</style></head>` +
          `<body><header>${this.options.people ? '<a href="/">Fake Jira</a>' : 'Fake Jira'} · ${escapeAttribute(appPath)}</header>` +
          `<iframe id="app-frame" title="Calendar Sync" allow="clipboard-read; clipboard-write" src="${escapeAttribute(src.toString())}"></iframe>` +
          `<div id="host-flags" aria-live="polite"></div><script>${HOST_SCRIPT}</script></body></html>`,
      );
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  }

  /** The app's pages and API through the host, with Connect's all.js swapped for the fake one. */
  private async proxy(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const name of ['authorization', 'content-type', 'accept', 'if-none-match']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    const upstream = await fetch(`${this.appUrl}${url.pathname.slice('/app'.length)}${url.search}`, {
      method: req.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const type = upstream.headers.get('content-type') ?? 'application/octet-stream';
    const passed: Record<string, string> = { 'Content-Type': type, 'Cache-Control': 'no-store' };
    const csp = upstream.headers.get('content-security-policy');
    if (csp) passed['Content-Security-Policy'] = csp;
    let body = Buffer.from(await upstream.arrayBuffer());
    if (type.startsWith('text/html'))
      body = Buffer.from(body.toString('utf8').replace(CONNECT_ALL_JS, '/fake-all.js'));
    res.writeHead(upstream.status, passed).end(body);
  }

  /** Jira's stand-in home: who you are, and the pages to open as them. */
  private home(res: ServerResponse, url: URL): void {
    const people = this.options.people ?? [];
    const as = people.find((person) => person.accountId === url.searchParams.get('as')) ?? people[0];
    if (!as) return void res.writeHead(404).end();
    const link = (item: HostLink) =>
      `<li><a href="${escapeAttribute(item.href)}">${escapeAttribute(item.label)}</a></li>`;
    const switcher = people
      .map((person) =>
        person === as
          ? `<strong>${escapeAttribute(person.label)}</strong>`
          : `<a href="/?as=${encodeURIComponent(person.accountId)}">${escapeAttribute(person.label)}</a>`,
      )
      .join(' · ');
    const connect = [
      {
        label: 'Jira settings → Apps → Calendar Sync feeds (Connect)',
        href: this.pageUrl('/pages/admin', as.accountId),
      },
      { label: 'Apps → My calendars (Connect)', href: this.pageUrl('/pages/my-calendars', as.accountId) },
    ];
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fake Jira</title><style>${HOST_STYLE} main{padding:16px 24px} li{margin:6px 0}</style></head>` +
        `<body><header>Fake Jira · a stand-in for a Jira Cloud site, for trying Calendar Sync without one</header><main>` +
        `<h1>Signed in as ${escapeAttribute(as.label)}</h1><p>Switch to: ${switcher}</p>` +
        `<h2>Open Calendar Sync</h2><ul>${[...connect, ...(this.options.links?.(as.accountId) ?? [])].map(link).join('')}</ul>` +
        `</main></body></html>`,
    );
  }
}
