import express, { type Application, Router } from 'express';
import type { Config } from './config.js';
import type { AdminAccess } from './services/admin-access.js';
import type { ErrorReporter } from './services/error-reporter.js';
import type { ExplainService } from './services/explain-service.js';
import type { FeedService } from './services/feed-service.js';
import type { FeedServingService } from './services/feed-serving-service.js';
import type { JiraLookupService } from './services/jira-lookup-service.js';
import type { Metrics } from './services/metrics.js';
import type { MyCalendarsService } from './services/my-calendars-service.js';
import type { LiveCalendarService } from './services/live-calendar-service.js';
import { liveCalendarCallbackRouter } from './http/live-calendar-callback-router.js';
import { liveCalendarRouter } from './http/live-calendar-router.js';
import type { PreviewService } from './services/preview-service.js';
import type { PrivacyService } from './services/privacy-service.js';
import type { SettingsService } from './services/settings-service.js';
import type { Door } from './doors/door.js';
import { authenticate } from './http/authenticate.js';
import { jsonBody } from './http/body-parsers.js';
import { withJiraBudget } from './jira/jira-budget.js';
import { editorRouter } from './http/editor-router.js';
import { errorMiddleware, notFoundHandler } from './http/error-middleware.js';
import { feedRouter } from './http/feed-router.js';
import { clientAddress } from './http/client-address.js';
import { FailureLimiter } from './http/failure-limiter.js';
import { feedServingRouter } from './http/feed-serving-router.js';
import { countFeedRequests, metricsRouter } from './http/metrics-router.js';
import { myCalendarsRouter } from './http/my-calendars-router.js';
import { pagesRouter } from './http/pages-router.js';
import { privacyRouter } from './http/privacy-router.js';
import { requestLogger } from './http/request-logger.js';
import { noStore, securityHeaders } from './http/security-headers.js';
import { siteRouter } from './http/site-router.js';
import type { Logger } from './logger.js';

/** The use cases the shared routes call; src/compose/ builds them. */
export type AppCore = {
  metrics: Metrics;
  serving: FeedServingService;
  reporter: ErrorReporter;
  feeds: FeedService;
  myCalendars: MyCalendarsService;
  liveCalendars: LiveCalendarService;
  privacy: PrivacyService;
  admins: AdminAccess;
  previews: PreviewService;
  explanations: ExplainService;
  lookups: JiraLookupService;
  settings: SettingsService;
};

export type AppDeps = {
  config: Config;
  logger: Logger;
  /** The use cases every door shares. */
  core: AppCore;
  /** The edition's doors, in the order they mount and claim /api requests. */
  doors: readonly Door[];
  /** Checks the database answers; /healthz reports 503 when it throws. */
  healthCheck: () => Promise<void>;
  fetch?: typeof fetch;
};

export async function createApp(deps: AppDeps): Promise<Application> {
  const { config, logger, core: services, doors } = deps;
  const standalone = doors.some((door) => door.standalone);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(requestLogger(logger));
  // Pages that stand alone (Data Center's) may be framed by nothing.
  app.use(
    securityHeaders({
      extraFrameAncestors: config.extraFrameAncestors,
      standalone,
      https: config.baseUrl.startsWith('https://'),
    }),
  );

  // Feed URLs first: calendar apps poll them all day, and they need none of the routers below.
  const limiter = new FailureLimiter({
    maxFailures: config.feedFailuresPerMinute,
    windowMs: 60_000,
    keyOf: (req) => clientAddress(req, config.trustProxy),
  });
  app.use('/ical', countFeedRequests(services.metrics));
  app.use(feedServingRouter({ serving: services.serving, limiter, logger }));

  app.get('/healthz', (_req, res) => {
    deps.healthCheck().then(
      () => res.json({ status: 'ok' }),
      (error: unknown) => {
        logger.warn({ err: error }, 'health check failed');
        res.status(503).json({ status: 'unavailable' });
      },
    );
  });
  const home = doors.find((door) => door.home)?.home;
  if (home) app.use(home);
  app.get('/robots.txt', (_req, res) => {
    res.type('text/plain').send('User-agent: *\nDisallow: /api/\nDisallow: /pages/\n');
  });

  for (const door of doors) await door.mount(app);
  app.use(metricsRouter({ metrics: services.metrics, token: config.metricsToken }));
  app.use(pagesRouter({ appKey: config.appKey, baseUrl: config.baseUrl, standalone }));

  app.use(liveCalendarCallbackRouter({ liveCalendars: services.liveCalendars, logger }));
  app.use('/api', apiRouter(deps));

  app.use(notFoundHandler);
  app.use(
    errorMiddleware(logger, (error, req, res) => {
      const actor = res.locals['actor'] as { clientKey?: string } | undefined;
      void services.reporter.report(
        actor?.clientKey ?? null,
        error,
        `${req.method} ${req.route ? String((req.route as { path: unknown }).path) : 'unknown route'}`,
      );
    }),
  );
  return app;
}

/** /api: one authentication step for every door, then the door's own routes and the shared ones. */
function apiRouter(deps: AppDeps): Router {
  const services = deps.core;
  const api = Router();
  api.use(noStore);
  // A page waits a few seconds for Jira at most; syncs wait in the queue instead.
  api.use((_req, _res, next) => withJiraBudget(deps.config.jiraApiBudgetMs, () => next()));
  api.use(authenticate(deps.doors));
  api.use(jsonBody('256kb'));
  api.use(siteRouter());
  for (const door of deps.doors) if (door.apiRouter) api.use(door.apiRouter);
  api.use(myCalendarsRouter({ myCalendars: services.myCalendars }));
  api.use(liveCalendarRouter({ liveCalendars: services.liveCalendars }));
  api.use(privacyRouter({ privacy: services.privacy, admins: services.admins }));
  api.use(
    editorRouter({
      previews: services.previews,
      explanations: services.explanations,
      lookups: services.lookups,
      settings: services.settings,
      admins: services.admins,
    }),
  );
  api.use(feedRouter({ feeds: services.feeds, admins: services.admins }));
  return api;
}
