import { type Request, Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../../http/actor.js';
import { presentFeed } from '../../http/feed-presenter.js';
import { adminOnly, asyncHandler, param } from '../../http/route-helpers.js';
import { noStore } from '../../http/security-headers.js';
import type { AdminAccess } from '../../services/admin-access.js';
import type { FeedTakeoverService } from './feed-takeover-service.js';

export const DATACENTER_ROUTES = {
  signIn: '/signin',
  callback: '/oauth/callback',
  signOut: '/signout',
} as const;

const signInQuery = z.object({ returnTo: z.string().max(200).optional() });

/** What the routers need of the Data Center door: its sign-in steps and the session's CSRF token. */
export type SignInSteps = {
  beginSignIn(returnTo: unknown): { location: string; cookie: string };
  completeSignIn(req: Request): Promise<{ location: string; cookies: string[] }>;
  clearSignInCookie(): string;
  signOut(req: Request): Promise<string[]>;
  csrfToken(req: Request): string;
};

/** Sign-in, Jira's redirect back, and sign-out: the browser-facing side of the Data Center door. */
export function dataCenterSignInRouter(deps: { door: SignInSteps }): Router {
  const { door } = deps;
  const router = Router();
  router.use([DATACENTER_ROUTES.signIn, DATACENTER_ROUTES.callback, DATACENTER_ROUTES.signOut], noStore);

  router.get(DATACENTER_ROUTES.signIn, (req, res) => {
    const query = signInQuery.safeParse(req.query);
    const { location, cookie } = door.beginSignIn(query.success ? query.data.returnTo : undefined);
    res.setHeader('Set-Cookie', cookie);
    res.redirect(302, location);
  });

  router.get(
    DATACENTER_ROUTES.callback,
    asyncHandler(async (req, res) => {
      try {
        const { location, cookies } = await door.completeSignIn(req);
        res.setHeader('Set-Cookie', cookies);
        res.redirect(302, location);
      } catch (error) {
        res.setHeader('Set-Cookie', door.clearSignInCookie());
        throw error;
      }
    }),
  );

  router.post(
    DATACENTER_ROUTES.signOut,
    asyncHandler(async (req, res) => {
      res.setHeader('Set-Cookie', await door.signOut(req));
      res.status(204).end();
    }),
  );
  return router;
}

/** The Data Center-only API: who is signed in (with the CSRF token pages send), and taking a feed over. */
export function dataCenterApiRouter(deps: {
  door: SignInSteps;
  takeovers: FeedTakeoverService;
  admins: AdminAccess;
}): Router {
  const router = Router();
  router.get('/session', (req, res) => {
    const { accountId, clientKey } = actorOf(res);
    res.json({ accountId, clientKey, csrfToken: deps.door.csrfToken(req) });
  });
  router.post(
    '/feeds/:feedId/take-over',
    adminOnly(deps.admins, { fresh: true }),
    asyncHandler(async (req, res) => {
      res.json(presentFeed(await deps.takeovers.takeOver(actorOf(res), param(req, 'feedId'))));
    }),
  );
  return router;
}
