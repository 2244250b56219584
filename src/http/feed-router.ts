import { type Request, Router } from 'express';
import { actorOf } from './actor.js';
import { adminOnly, asyncHandler, param } from './route-helpers.js';
import type { AdminAccess } from '../services/admin-access.js';
import type { FeedService } from '../services/feed-service.js';
import { presentFeed } from './feed-presenter.js';
import { presentSubscription } from './subscription-presenter.js';

const feedId = (req: Request): string => param(req, 'feedId');

/** Feed administration for feed creators; every call is scoped to the caller's Jira site. */
export function feedRouter(deps: { feeds: FeedService; admins: AdminAccess }): Router {
  const { feeds, admins } = deps;
  const router = Router();
  router.use('/feeds', adminOnly(admins));
  // The cached admin answer is fine for reading; what cannot be undone asks Jira again.
  const freshAdmin = adminOnly(admins, { fresh: true });

  router.get(
    '/feeds',
    asyncHandler(async (_req, res) => {
      const list = await feeds.list(actorOf(res));
      res.json({ feeds: list.map(presentFeed) });
    }),
  );

  router.post(
    '/feeds/validate',
    asyncHandler(async (req, res) => {
      const config = feeds.parse(req.body);
      await feeds.validateAgainstJira(actorOf(res), config);
      res.json({ ok: true, config });
    }),
  );

  router.post(
    '/feeds',
    asyncHandler(async (req, res) => {
      res.status(201).json(presentFeed(await feeds.create(actorOf(res), req.body)));
    }),
  );

  router.get(
    '/feeds/:feedId',
    asyncHandler(async (req, res) => {
      res.json(presentFeed(await feeds.get(actorOf(res), feedId(req))));
    }),
  );

  router.put(
    '/feeds/:feedId',
    asyncHandler(async (req, res) => {
      res.json(presentFeed(await feeds.update(actorOf(res), feedId(req), req.body)));
    }),
  );

  router.delete(
    '/feeds/:feedId',
    freshAdmin,
    asyncHandler(async (req, res) => {
      await feeds.delete(actorOf(res), feedId(req));
      res.status(204).end();
    }),
  );

  router.post(
    '/feeds/:feedId/duplicate',
    asyncHandler(async (req, res) => {
      res.status(201).json(presentFeed(await feeds.duplicate(actorOf(res), feedId(req))));
    }),
  );

  router.post(
    '/feeds/:feedId/sync',
    asyncHandler(async (req, res) => {
      res.status(202).json(presentFeed(await feeds.syncNow(actorOf(res), feedId(req))));
    }),
  );

  router.post(
    '/feeds/:feedId/rotate-url',
    freshAdmin,
    asyncHandler(async (req, res) => {
      res.json(presentFeed(await feeds.rotateSharedUrl(actorOf(res), feedId(req))));
    }),
  );

  router.get(
    '/feeds/:feedId/subscriptions',
    asyncHandler(async (req, res) => {
      const subscriptions = await feeds.listSubscriptions(actorOf(res), feedId(req));
      res.json({ subscriptions: subscriptions.map(presentSubscription) });
    }),
  );

  router.delete(
    '/feeds/:feedId/subscriptions/:subscriptionId',
    freshAdmin,
    asyncHandler(async (req, res) => {
      await feeds.revokeSubscription(actorOf(res), feedId(req), param(req, 'subscriptionId'));
      res.status(204).end();
    }),
  );

  router.delete(
    '/feeds/:feedId/subscriptions',
    freshAdmin,
    asyncHandler(async (req, res) => {
      res.json({ revoked: await feeds.revokeAllSubscriptions(actorOf(res), feedId(req)) });
    }),
  );

  return router;
}
