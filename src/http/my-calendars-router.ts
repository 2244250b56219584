import { Router } from 'express';
import { actorOf } from './actor.js';
import { asyncHandler, param } from './route-helpers.js';
import { presentPersonalCalendar } from './subscription-presenter.js';
import type { MyCalendarsService } from '../services/my-calendars-service.js';

/** Any signed-in Jira user: their own personal feed URLs. */
export function myCalendarsRouter(deps: { myCalendars: MyCalendarsService }): Router {
  const calendars = deps.myCalendars;
  const router = Router();

  router.get(
    '/me/calendars',
    asyncHandler(async (_req, res) => {
      res.json({ calendars: (await calendars.list(actorOf(res))).map(presentPersonalCalendar) });
    }),
  );

  router.post(
    '/me/calendars/:feedId/:calendar/regenerate',
    asyncHandler(async (req, res) => {
      res.json({
        calendar: presentPersonalCalendar(
          await calendars.regenerate(actorOf(res), param(req, 'feedId'), param(req, 'calendar')),
        ),
      });
    }),
  );

  router.delete(
    '/me/calendars/:feedId/:calendar',
    asyncHandler(async (req, res) => {
      await calendars.revoke(actorOf(res), param(req, 'feedId'), param(req, 'calendar'));
      res.status(204).end();
    }),
  );

  return router;
}
