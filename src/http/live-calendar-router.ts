import { Router } from 'express';
import { z } from 'zod';
import { PROVIDER_KEYS } from '../domain/calendar-provider.js';
import type { CalendarConnection } from '../domain/live-calendar.js';
import { badRequest } from '../errors.js';
import type { LiveCalendarService } from '../services/live-calendar-service.js';
import { actorOf } from './actor.js';
import { asyncHandler, param } from './route-helpers.js';

const connectSchema = z.object({
  feedId: z.uuid('must be a feed id'),
  calendar: z.enum(['all', 'mine'], 'must be "all" or "mine"'),
  provider: z.enum(PROVIDER_KEYS as [string, ...string[]], `must be one of ${PROVIDER_KEYS.join(', ')}`),
});
const connectionIdSchema = z.uuid();

/** A live calendar as its person sees it on "My calendars"; never a token. */
export const presentConnection = (connection: CalendarConnection) => ({
  id: connection.id,
  feedId: connection.feedId,
  calendar: connection.calendar,
  provider: connection.provider,
  state: connection.state,
  stateReason: connection.stateReason,
  lastPushAt: connection.lastPushAt?.toISOString() ?? null,
  eventCount: connection.eventCount,
  pendingCount: connection.pendingCount,
  lastError: connection.lastError,
  lastErrorAt: connection.lastErrorAt?.toISOString() ?? null,
});

/** Any signed-in Jira user: their own live calendars. */
export function liveCalendarRouter(deps: { liveCalendars: LiveCalendarService }): Router {
  const live = deps.liveCalendars;
  const router = Router();

  router.get(
    '/me/live-calendars',
    asyncHandler(async (_req, res) => {
      res.json({
        providers: live.providers(),
        connections: (await live.list(actorOf(res))).map(presentConnection),
      });
    }),
  );

  router.post(
    '/me/live-calendars',
    asyncHandler(async (req, res) => {
      const parsed = connectSchema.safeParse(req.body);
      if (!parsed.success)
        throw badRequest(
          'The calendar to connect is not valid',
          parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
        );
      const { feedId, calendar, provider } = parsed.data;
      res.json({ authorizationUrl: await live.startConnect(actorOf(res), feedId, calendar, provider) });
    }),
  );

  router.delete(
    '/me/live-calendars/:connectionId',
    asyncHandler(async (req, res) => {
      const id = connectionIdSchema.safeParse(param(req, 'connectionId'));
      if (!id.success)
        throw badRequest('Not a live calendar id', [{ path: 'connectionId', message: 'must be a uuid' }]);
      await live.disconnect(actorOf(res), id.data);
      res.status(204).end();
    }),
  );

  return router;
}
