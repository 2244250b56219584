import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import { VIEWS_DIR } from '../paths.js';
import { BROWSER_MODULES } from './browser-modules.js';

export type PagesRouterOptions = {
  appKey: string;
  baseUrl: string;
  /** Where admin.html, my-calendars.html and assets/ live; defaults to the project's views/. */
  viewsDir?: string;
  /** Served on their own (the Data Center edition), not inside Jira: no all.js, a bar to move between pages. */
  standalone?: boolean;
};

/** Jira loads all.js from here; the pages load nothing else from outside the app. */
export const CONNECT_ALL_JS = 'https://connect-cdn.atl-paas.net/all.js';

const pagePolicyFor = (standalone: boolean): string =>
  [
    "default-src 'self'",
    standalone ? "script-src 'self'" : `script-src 'self' ${new URL(CONNECT_ALL_JS).origin}`,
    // all.js sets inline styles on the page it runs in.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

/** Adds the page policy to the frame-ancestors policy that securityHeaders() already set. */
const pagePolicy =
  (policy: string): RequestHandler =>
  (_req, res, next) => {
    const existing = res.getHeader('Content-Security-Policy');
    res.setHeader(
      'Content-Security-Policy',
      [typeof existing === 'string' ? existing : null, policy].filter(Boolean).join('; '),
    );
    res.setHeader('Cache-Control', 'no-cache');
    next();
  };

const STANDALONE_BAR = `<nav class="standalone-bar" aria-label="Calendar Sync">
      <strong>Calendar Sync</strong>
      <a href="admin">Feeds</a>
      <a href="my-calendars">My calendars</a>
      <button type="button" class="button-subtle" data-calsync-signout>Sign out</button>
    </nav>`;

/** A Jira page made standalone: the platform adapter learns it from the meta tag, people get a bar. */
export function standalonePage(html: string): string {
  return html
    .replace(
      `<script src="${CONNECT_ALL_JS}"></script>`,
      '<meta name="calendar-sync-platform" content="standalone" />',
    )
    .replace('<body>', `<body class="standalone">\n    ${STANDALONE_BAR}`);
}

/**
 * The iframe pages Jira shows (admin and Configure, My calendars): static HTML and plain browser
 * modules. They hold no data; every call they make to /api carries the user's context JWT.
 */
export function pagesRouter(options: PagesRouterOptions): Router {
  const viewsDir = options.viewsDir ?? VIEWS_DIR;
  const router = Router();
  router.use('/pages', pagePolicy(pagePolicyFor(options.standalone ?? false)));
  const page = (file: string): RequestHandler => {
    if (options.standalone) {
      const html = standalonePage(readFileSync(path.join(viewsDir, file), 'utf8'));
      return (_req, res) => {
        res.type('html').send(html);
      };
    }
    return (_req, res, next) => {
      res.type('html').sendFile(path.join(viewsDir, file), { dotfiles: 'deny' }, (error) => {
        if (error) next(error);
      });
    };
  };
  for (const [file, source] of Object.entries(BROWSER_MODULES)) {
    router.get(`/pages/assets/${file}`, (_req, res) => {
      res.type('text/javascript').send(source);
    });
  }
  router.get('/pages/admin', page('admin.html'));
  router.get('/pages/my-calendars', page('my-calendars.html'));
  router.use(
    '/pages/assets',
    express.static(path.join(viewsDir, 'assets'), {
      index: false,
      dotfiles: 'deny',
      fallthrough: true,
      redirect: false,
      etag: true,
      lastModified: true,
    }),
  );
  return router;
}
