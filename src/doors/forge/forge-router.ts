import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { withJiraBudget } from '../../jira/jira-budget.js';
import type { SiteChangedPayload } from '../../jobs/site-changed-job.js';
import type { Logger } from '../../logger.js';
import type { InstallationService } from '../../services/installation-service.js';
import {
  type Admission,
  type Admitted,
  type BackendRoute,
  FORGE_BACKEND_ROUTES as ROUTES,
} from './forge-routes.js';

const ISSUE_EVENTS = ['avi:jira:created:issue', 'avi:jira:updated:issue', 'avi:jira:deleted:issue'] as const;
const SPRINT_EVENTS = [
  'avi:jira-software:started:sprint',
  'avi:jira-software:updated:sprint',
  'avi:jira-software:closed:sprint',
  'avi:jira-software:deleted:sprint',
] as const;
const VERSION_EVENTS = [
  'avi:jira:updated:version',
  'avi:jira:released:version',
  'avi:jira:unreleased:version',
  'avi:jira:deleted:version',
  'avi:jira:merged:version',
] as const;
const LIFECYCLE_EVENTS = ['avi:forge:installed:app', 'avi:forge:upgraded:app'] as const;

const retryContext = z
  .object({ retryCount: z.number().int().min(0), retryReason: z.string().max(100) })
  .partial();
const lifecycleSchema = z.object({
  eventType: z.enum(LIFECYCLE_EVENTS),
  retryContext: retryContext.optional(),
});
const jiraId = z.union([z.string().regex(/^\d{1,18}$/), z.number().int().nonnegative()]);
const issueEventSchema = z.object({
  eventType: z.enum(ISSUE_EVENTS),
  issue: z.object({ id: jiraId }),
  retryContext: retryContext.optional(),
});

const planningEventSchema = z.discriminatedUnion('eventType', [
  z.object({
    eventType: z.enum(SPRINT_EVENTS),
    sprint: z.object({ id: jiraId }),
    retryContext: retryContext.optional(),
  }),
  z.object({
    eventType: z.enum(VERSION_EVENTS),
    version: z.object({ id: jiraId }),
    retryContext: retryContext.optional(),
  }),
]);

const FORGE_JIRA_BUDGET_MS = 3_500;

type Handler = (admitted: Admitted, body: unknown) => Promise<void>;

/**
 * Forge's backend invocations: lifecycle, product events, the hourly trigger and pre-uninstall. Forge
 * waits 5 s for an answer and retries otherwise, so each handler records or enqueues and returns.
 */
export function forgeRouter(deps: {
  door: Admission;
  installations: InstallationService;
  queue: { enqueueSiteChanged(payload: SiteChangedPayload): Promise<void> };
  logger: Logger;
}): Router {
  const router = Router();
  const json = express.json({ limit: '1mb' });

  /** `installs`: whether the body is the install event, the one call that may bring back an uninstalled site. */
  const route = (backend: BackendRoute, handler: Handler, installs?: (body: unknown) => boolean) =>
    router.post(backend.path, json, (req: Request, res: Response, next) => {
      // Forge gives up after 5 s and retries; any Jira call made here must fit well inside that.
      withJiraBudget(FORGE_JIRA_BUDGET_MS, async () => {
        const admitted = await deps.door.admit(
          req,
          { kind: 'backend', route: backend },
          { installs: installs?.(req.body) ?? false },
        );
        await handler(admitted, req.body);
        res.status(200).json({ ok: true });
      }).catch(next);
    });

  const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw badRequest(
      'The Forge event payload is invalid',
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  };

  // Admission already stored the installation and its token; the event itself only needs logging.
  route(
    ROUTES.lifecycle,
    ({ installation }, body) => {
      const event = parse(lifecycleSchema, body);
      deps.logger.info(
        {
          clientKey: installation.clientKey,
          eventType: event.eventType,
          retry: event.retryContext?.retryCount,
        },
        'Forge lifecycle event',
      );
      return Promise.resolve();
    },
    (body) => lifecycleSchema.safeParse(body).data?.eventType === 'avi:forge:installed:app',
  );

  /** A product event: logged, and the site's feeds hear of it through one queued site-changed job. */
  const siteChangedBy =
    <T extends { eventType: string; retryContext?: { retryCount?: number | undefined } | undefined }>(
      schema: z.ZodType<T>,
      what: string,
    ): Handler =>
    async ({ installation }, body) => {
      const event = parse(schema, body);
      deps.logger.debug(
        {
          clientKey: installation.clientKey,
          eventType: event.eventType,
          retry: event.retryContext?.retryCount,
        },
        what,
      );
      await deps.queue.enqueueSiteChanged({ clientKey: installation.clientKey });
    };

  route(ROUTES.issueEvents, siteChangedBy(issueEventSchema, 'Forge issue event'));
  route(ROUTES.planningEvents, siteChangedBy(planningEventSchema, 'Forge sprint or version event'));

  route(ROUTES.hourly, async ({ installation }) => {
    // The token this trigger carried was stored on admission; feeds that waited for one can sync now.
    await deps.queue.enqueueSiteChanged({
      clientKey: installation.clientKey,
      failedWith: 'forge_token_missing',
    });
  });

  route(ROUTES.preUninstall, async ({ installation }) => {
    await deps.installations.uninstall(installation.clientKey, 'forge');
  });

  return router;
}
