import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { PROJECT_ROOT } from '../paths.js';

const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const version = (): string => {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
};

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;color:#172b4d;max-width:46rem;margin:3rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}code{background:#f1f2f4;padding:.1rem .3rem;border-radius:3px;word-break:break-all}
.subtle{color:#626f86}li{margin:.3rem 0}`;

/**
 * What a person who opens the app's address sees: what it is, its version, how a Jira admin installs it,
 * and where health lives. Only public facts: no site, no feed and no secret is ever on it.
 */
export function landingPage(options: { baseUrl: string; forgeEnabled: boolean }): string {
  const base = escapeHtml(options.baseUrl);
  const forge = options.forgeEnabled
    ? '<li><strong>Forge</strong> (new installations): install the Calendar Sync Forge app on your site; this server is its backend (Forge Remote).</li>'
    : '<li><strong>Forge</strong> (new installations): this server has no Forge app configured yet (<code>FORGE_APP_ID</code>); see the README, “Forge”.</li>';
  // With no Forge app the server waits for a Connect install, which needs a public address and a Jira site.
  const tryIt = options.forgeEnabled
    ? ''
    : `<h2 id="try-it">Just trying it out?</h2><p>No Jira site needed: in a checkout of this project run
<code>npm run demo</code>. It starts the app with a stand-in Jira page, a fake Jira site and sample feeds, and prints the
address to open first; there you click through the real pages as the admin or as a plain user.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Calendar Sync</title><style>${STYLE}</style></head><body><main>
<h1>Calendar Sync</h1><p class="subtle">Version ${escapeHtml(version())}</p>
<p>Calendar Sync publishes Jira issues — due dates, custom date fields, ranges, sprints and versions — as calendar feeds
that Google Calendar, Outlook and Apple Calendar subscribe to. It only ever reads Jira.</p>
<h2>Install it in Jira Cloud</h2><ul>${forge}
<li><strong>Connect</strong> (existing Connect installations): descriptor <code>${base}/atlassian-connect.json</code></li></ul>
<p>Feed creators then configure feeds in Jira settings → Apps → Calendar Sync feeds; everyone finds their own calendars
under Apps → My calendars.</p>${tryIt}
<h2>Operators</h2><ul><li>Health: <a href="${base}/healthz"><code>${base}/healthz</code></a></li></ul>
</main></body></html>`;
}

export function landingRouter(options: { baseUrl: string; forgeEnabled: boolean }): Router {
  const router = Router();
  const html = landingPage(options);
  router.get('/', (_req, res) => {
    res.type('html').setHeader('Cache-Control', 'no-cache');
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    res.send(html);
  });
  return router;
}
