import { Router } from 'express';
import { actorOf } from './actor.js';

/** What the signed-in user's Jira site looks like to the app. */
export function siteRouter(): Router {
  const router = Router();
  router.get('/site', (_req, res) => {
    const { installation, accountId } = actorOf(res);
    res.json({
      clientKey: installation.clientKey,
      baseUrl: installation.baseUrl,
      door: installation.door,
      installedAt: installation.installedAt.toISOString(),
      accountId,
    });
  });
  return router;
}
