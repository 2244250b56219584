import { type NextFunction, type Request, type Response, Router } from 'express';
import { tenantOf } from '../connect/context-auth.js';
import type { AdminAccess } from '../services/admin-access.js';
import type { PrivacyService } from '../services/privacy-service.js';

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap = (handler: Handler) => (req: Request, res: Response, next: NextFunction) => {
  handler(req, res).catch(next);
};

/** Personal-data reports and erasure: administrators for any account, every user for their own report. */
export function privacyRouter(deps: { privacy: PrivacyService; admins: AdminAccess }): Router {
  const router = Router();

  router.get('/me/personal-data', wrap(async (_req, res) => {
    const actor = tenantOf(res);
    res.json(await deps.privacy.report(actor, actor.accountId));
  }));

  router.use('/privacy', (_req, res, next) => {
    deps.admins.requireAdmin(tenantOf(res)).then(() => next(), next);
  });

  router.get('/privacy/accounts/:accountId', wrap(async (req, res) => {
    const actor = tenantOf(res);
    res.json(await deps.privacy.report(actor, deps.privacy.parseAccountId(req.params['accountId'] ?? '')));
  }));

  router.delete('/privacy/accounts/:accountId', wrap(async (req, res) => {
    const actor = tenantOf(res);
    res.json(await deps.privacy.erase(actor, deps.privacy.parseAccountId(req.params['accountId'] ?? '')));
  }));

  return router;
}
