import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from './actor.js';
import { adminOnly, asyncHandler } from './route-helpers.js';
import { badRequest } from '../errors.js';
import type { AdminAccess } from '../services/admin-access.js';
import type { ExplainService } from '../services/explain-service.js';
import type { JiraLookupService } from '../services/jira-lookup-service.js';
import type { PreviewService } from '../services/preview-service.js';
import type { SettingsService } from '../services/settings-service.js';

/** The saved feed a preview is of, when it is one: its removed issues show as cancelled. */
const previewQuerySchema = z.object({ feedId: z.uuid('Must be the id of a saved feed').optional() });
const jqlCheckSchema = z.object({ jql: z.string().trim().min(1, 'Enter a JQL query').max(10_000) });

/** What the feed editor and the settings panel need besides feeds themselves; administrators only. */
export function editorRouter(deps: {
  admins: AdminAccess;
  lookups: JiraLookupService;
  previews: PreviewService;
  explanations: ExplainService;
  settings: SettingsService;
}): Router {
  const router = Router();
  router.use(['/feeds/preview', '/feeds/explain', '/jql', '/jira', '/settings'], adminOnly(deps.admins));

  router.post(
    '/feeds/explain',
    asyncHandler(async (req, res) => {
      res.json(await deps.explanations.explain(actorOf(res), req.body));
    }),
  );

  router.post(
    '/feeds/preview',
    asyncHandler(async (req, res) => {
      const query = previewQuerySchema.safeParse(req.query);
      if (!query.success)
        throw badRequest('The feed to preview is unknown', [
          { path: 'feedId', message: query.error.issues[0]?.message ?? 'invalid' },
        ]);
      res.json(await deps.previews.preview(actorOf(res), req.body, query.data.feedId ?? null));
    }),
  );

  router.post(
    '/jql/check',
    asyncHandler(async (req, res) => {
      const parsed = jqlCheckSchema.safeParse(req.body);
      if (!parsed.success)
        throw badRequest('The query is missing', [
          { path: 'jql', message: parsed.error.issues[0]?.message ?? 'invalid' },
        ]);
      res.json(await deps.lookups.checkJql(actorOf(res), parsed.data.jql));
    }),
  );

  router.get(
    '/jira/fields',
    asyncHandler(async (_req, res) => {
      res.json({ fields: await deps.lookups.fields(actorOf(res)) });
    }),
  );

  router.get(
    '/jira/groups',
    asyncHandler(async (req, res) => {
      const query = typeof req.query['query'] === 'string' ? req.query['query'] : '';
      res.json({ groups: await deps.lookups.groups(actorOf(res), query) });
    }),
  );

  router.get(
    '/jira/roles',
    asyncHandler(async (_req, res) => {
      res.json({ roles: await deps.lookups.roles(actorOf(res)) });
    }),
  );

  router.get(
    '/settings',
    asyncHandler(async (_req, res) => {
      res.json(await deps.settings.get(actorOf(res)));
    }),
  );

  router.put(
    '/settings',
    asyncHandler(async (req, res) => {
      res.json(await deps.settings.save(actorOf(res), req.body));
    }),
  );

  return router;
}
