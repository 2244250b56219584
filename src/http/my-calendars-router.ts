import { type NextFunction, type Request, type Response, Router } from 'express';
import { tenantOf } from '../connect/context-auth.js';
import type { MyCalendarsService } from '../services/my-calendars-service.js';

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap = (handler: Handler) => (req: Request, res: Response, next: NextFunction) => {
  handler(req, res).catch(next);
};

/** Any signed-in Jira user: their own personal feed URLs. */
export function myCalendarsRouter(calendars: MyCalendarsService): Router {
  const router = Router();

  router.get('/me/calendars', wrap(async (_req, res) => {
    res.json({ calendars: await calendars.list(tenantOf(res)) });
  }));

  router.post('/me/calendars/:feedId/:calendar/regenerate', wrap(async (req, res) => {
    res.json({ calendar: await calendars.regenerate(tenantOf(res), req.params['feedId'] ?? '', req.params['calendar'] ?? '') });
  }));

  router.delete('/me/calendars/:feedId/:calendar', wrap(async (req, res) => {
    await calendars.revoke(tenantOf(res), req.params['feedId'] ?? '', req.params['calendar'] ?? '');
    res.status(204).end();
  }));

  return router;
}
