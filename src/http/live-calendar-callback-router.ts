import { Router } from 'express';
import { z } from 'zod';
import { ConnectFailed, type LiveCalendarService } from '../services/live-calendar-service.js';
import type { Logger } from '../logger.js';
import { asyncHandler, param } from './route-helpers.js';

const callbackSchema = z.object({
  state: z.string().min(1).max(1000),
  code: z.string().min(1).max(2000).optional(),
  error: z.string().min(1).max(200).optional(),
});

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#172b4d}</style>
</head><body><h1>${escape(title)}</h1><p>${escape(message)}</p>
<p>You can close this window and go back to "My calendars".</p></body></html>`;
}

/**
 * Where the provider sends the person back, in the top-level window the connect opened (providers refuse
 * to be framed). It answers with a page, never JSON, and never echoes the code or the state.
 */
export function liveCalendarCallbackRouter(deps: {
  liveCalendars: LiveCalendarService;
  logger: Logger;
}): Router {
  const router = Router();
  router.get(
    '/live-calendars/:provider/callback',
    asyncHandler(async (req, res) => {
      res.set('cache-control', 'no-store');
      res.set('referrer-policy', 'no-referrer');
      const parsed = callbackSchema.safeParse(req.query);
      if (!parsed.success) {
        res
          .status(400)
          .type('html')
          .send(page('Not connected', 'This link is incomplete. Start again from "My calendars".'));
        return;
      }
      try {
        await deps.liveCalendars.completeConnect(param(req, 'provider'), parsed.data);
        res
          .type('html')
          .send(page('Connected', 'Your calendar is being filled now and will follow every change in Jira.'));
      } catch (error) {
        if (!(error instanceof ConnectFailed)) throw error;
        deps.logger.info({ reason: error.reason }, 'live calendar connect refused');
        res.status(400).type('html').send(page('Not connected', error.reason));
      }
    }),
  );
  return router;
}
