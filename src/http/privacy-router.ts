import { Router } from 'express';
import { actorOf } from './actor.js';
import { presentPersonalData } from './privacy-presenter.js';
import { adminOnly, asyncHandler, param } from './route-helpers.js';
import type { AdminAccess } from '../services/admin-access.js';
import type { PrivacyService } from '../services/privacy-service.js';

/** Personal-data reports and erasure: administrators for any account, every user for their own report. */
export function privacyRouter(deps: { privacy: PrivacyService; admins: AdminAccess }): Router {
  const router = Router();

  router.get(
    '/me/personal-data',
    asyncHandler(async (_req, res) => {
      const actor = actorOf(res);
      res.json(presentPersonalData(actor.accountId, await deps.privacy.report(actor, actor.accountId)));
    }),
  );

  router.use('/privacy', adminOnly(deps.admins));

  router.get(
    '/privacy/accounts/:accountId',
    asyncHandler(async (req, res) => {
      const accountId = deps.privacy.parseAccountId(param(req, 'accountId'));
      res.json(presentPersonalData(accountId, await deps.privacy.report(actorOf(res), accountId)));
    }),
  );

  router.delete(
    '/privacy/accounts/:accountId',
    adminOnly(deps.admins, { fresh: true }),
    asyncHandler(async (req, res) => {
      const actor = actorOf(res);
      res.json(await deps.privacy.erase(actor, deps.privacy.parseAccountId(param(req, 'accountId'))));
    }),
  );

  return router;
}
