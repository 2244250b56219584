import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { JiraSitePolicy } from '../../domain/jira-site-url.js';
import type { InstallationService } from '../../services/installation-service.js';
import { parseLifecyclePayload, toConnectInstall } from './connect-lifecycle.js';
import type { InstallReplayGuard } from './install-replay-guard.js';
import type { InstallVerifier, VerifiedLifecycleToken } from './install-verifier.js';

/**
 * Jira's signed `installed` and `uninstalled` callbacks. The JWT is checked before the body is read, and
 * nothing is stored unless it verifies and was never used before.
 */
export function lifecycleRouter(deps: {
  verifier: InstallVerifier;
  guard: InstallReplayGuard;
  installations: InstallationService;
  appKey: string;
  sites: JiraSitePolicy;
}): Router {
  const router = Router();
  const verify = (req: Request, res: Response, next: NextFunction) => {
    deps.verifier.verify(req).then((verified) => {
      res.locals['lifecycleToken'] = verified;
      next();
    }, next);
  };
  const body = express.json({ limit: '64kb' });

  const handle =
    (eventType: 'installed' | 'uninstalled') => async (req: Request, res: Response, next: NextFunction) => {
      try {
        const verified = res.locals['lifecycleToken'] as VerifiedLifecycleToken;
        const payload = parseLifecyclePayload(req.body, verified.issuer, eventType, deps);
        await deps.guard.claim(verified);
        if (eventType === 'installed') await deps.installations.installConnect(toConnectInstall(payload));
        else await deps.installations.uninstall(payload.clientKey, 'connect');
        res.status(204).end();
      } catch (error) {
        next(error);
      }
    };

  router.post('/installed', verify, body, handle('installed'));
  router.post('/uninstalled', verify, body, handle('uninstalled'));
  return router;
}
