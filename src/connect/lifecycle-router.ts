import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { InstallationService } from '../services/installation-service.js';
import { parseLifecyclePayload, toConnectInstall } from './connect-lifecycle.js';
import type { InstallVerifier } from './install-verifier.js';

/** Jira's signed `installed` and `uninstalled` callbacks. Nothing is stored unless the JWT verifies. */
export function lifecycleRouter(deps: {
  verifier: InstallVerifier;
  installations: InstallationService;
  appKey: string;
  jiraHosts: string[];
}): Router {
  const router = Router();
  router.use(express.json({ limit: '64kb' }));

  const handle = (eventType: 'installed' | 'uninstalled') => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const issuer = await deps.verifier.verify(req);
      const payload = parseLifecyclePayload(req.body, issuer, eventType, deps);
      if (eventType === 'installed') await deps.installations.installConnect(toConnectInstall(payload));
      else await deps.installations.uninstall(payload.clientKey, 'connect');
      res.status(204).end();
    } catch (error) {
      next(error);
    }
  };

  router.post('/installed', handle('installed'));
  router.post('/uninstalled', handle('uninstalled'));
  return router;
}
