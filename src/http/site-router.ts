import { Router } from 'express';
import { actorOf } from './actor.js';
import type { Services } from '../services/services.js';

/** What the signed-in user's Jira site looks like to the app. */
export function siteRouter(_services: Services): Router {
  const router = Router();
  router.get('/site', (_req, res) => {
    const { installation, accountId } = actorOf(res);
    res.json({
      clientKey: installation.clientKey,
      baseUrl: installation.baseUrl,
      installedAt: installation.installedAt.toISOString(),
      accountId,
    });
  });
  return router;
}
