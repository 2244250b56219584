import path from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import { VIEWS_DIR } from '../paths.js';
import { BROWSER_MODULES } from './browser-modules.js';

export type PagesRouterOptions = {
  appKey: string;
  baseUrl: string;
  /** Where admin.html, my-calendars.html and assets/ live; defaults to the project's views/. */
  viewsDir?: string;
};

/** Jira loads all.js from here; the pages load nothing else from outside the app. */
export const CONNECT_ALL_JS = 'https://connect-cdn.atl-paas.net/all.js';

const PAGE_POLICY = [
  "default-src 'self'",
  `script-src 'self' ${new URL(CONNECT_ALL_JS).origin}`,
  // all.js sets inline styles on the page it runs in.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Adds the page policy to the frame-ancestors policy that securityHeaders() already set. */
const pagePolicy: RequestHandler = (_req, res, next) => {
  const existing = res.getHeader('Content-Security-Policy');
  res.setHeader(
    'Content-Security-Policy',
    [typeof existing === 'string' ? existing : null, PAGE_POLICY].filter(Boolean).join('; '),
  );
  res.setHeader('Cache-Control', 'no-cache');
  next();
};

/**
 * The iframe pages Jira shows (admin and Configure, My calendars): static HTML and plain browser
 * modules. They hold no data; every call they make to /api carries the user's context JWT.
 */
export function pagesRouter(options: PagesRouterOptions): Router {
  const viewsDir = options.viewsDir ?? VIEWS_DIR;
  const router = Router();
  router.use('/pages', pagePolicy);
  const page =
    (file: string): RequestHandler =>
    (_req, res, next) => {
      res.type('html').sendFile(path.join(viewsDir, file), { dotfiles: 'deny' }, (error) => {
        if (error) next(error);
      });
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
