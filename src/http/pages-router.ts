import { Router } from 'express';

export type PagesRouterOptions = { appKey: string; baseUrl: string };

/** The iframe pages Jira shows (admin, configure, My calendars). Placeholder until the views land. */
export function pagesRouter(_options: PagesRouterOptions): Router {
  const router = Router();
  router.get(['/pages/admin', '/pages/my-calendars'], (_req, res) => {
    res.type('html').send('<!doctype html><title>Calendar Sync</title><p>Calendar Sync</p>');
  });
  return router;
}
