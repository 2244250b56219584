import { type Request, type Response, Router } from 'express';
import type { SiteChangedPayload } from '../../jobs/site-changed-job.js';
import type { Logger } from '../../logger.js';
import type { ConnectContextVerifier } from './context-auth.js';

/** The events atlassian-connect.json subscribes to, each at /connect/webhooks/<event>. */
export const WEBHOOK_EVENTS = [
  'jira:issue_created',
  'jira:issue_updated',
  'jira:issue_deleted',
  'jira:version_updated',
  'jira:version_released',
  'jira:version_unreleased',
  'jira:version_deleted',
  'sprint_started',
  'sprint_updated',
  'sprint_closed',
  'sprint_deleted',
] as const;

/**
 * Jira's webhooks for Connect sites, JWT-signed by the site for exactly this request. The body is not
 * read (the descriptor asks for none): which site changed is all a sync needs, and the feeds fall due
 * after a short debounce, however many events arrive.
 */
export function webhookRouter(deps: {
  verifier: ConnectContextVerifier;
  queue: { enqueueSiteChanged(payload: SiteChangedPayload): Promise<void> };
  logger: Logger;
}): Router {
  const router = Router();
  const known = new Set<string>(WEBHOOK_EVENTS);
  router.post('/connect/webhooks/:event', (req: Request, res: Response, next) => {
    void (async () => {
      const installation = await deps.verifier.verifySite(req);
      const event = req.params['event'] ?? '';
      if (!known.has(event)) {
        res.status(404).json({ error: { code: 'not_found', message: 'No such webhook' } });
        return;
      }
      await deps.queue.enqueueSiteChanged({ clientKey: installation.clientKey });
      deps.logger.debug({ clientKey: installation.clientKey, event }, 'Jira webhook');
      res.status(204).end();
    })().catch(next);
  });
  return router;
}
