import express, { type Application, Router } from 'express';
import type { Config } from './config.js';
import { startAceAddon } from './connect/ace-addon.js';
import { requireContextJwt } from './connect/context-auth.js';
import { InstallVerifier } from './connect/install-verifier.js';
import { lifecycleRouter } from './connect/lifecycle-router.js';
import { editorRouter } from './http/editor-router.js';
import { errorMiddleware, notFoundHandler } from './http/error-middleware.js';
import { feedRouter } from './http/feed-router.js';
import { clientAddress } from './http/client-address.js';
import { FailureLimiter } from './http/failure-limiter.js';
import { feedServingRouter } from './http/feed-serving-router.js';
import { myCalendarsRouter } from './http/my-calendars-router.js';
import { pagesRouter } from './http/pages-router.js';
import { privacyRouter } from './http/privacy-router.js';
import { requestLogger } from './http/request-logger.js';
import { securityHeaders } from './http/security-headers.js';
import { siteRouter } from './http/site-router.js';
import type { Logger } from './logger.js';
import type { Services } from './services/services.js';

export type AppDeps = {
  config: Config;
  logger: Logger;
  services: Services;
  /** Checks the database answers; /healthz reports 503 when it throws. */
  healthCheck: () => Promise<void>;
  fetch?: typeof fetch;
};

export async function createApp(deps: AppDeps): Promise<Application> {
  const { config, logger, services } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(requestLogger(logger));
  app.use(securityHeaders({ extraFrameAncestors: config.extraFrameAncestors }));

  app.get('/healthz', (_req, res, next) => {
    deps.healthCheck().then(
      () => res.json({ status: 'ok' }),
      (error: unknown) => {
        logger.warn({ err: error }, 'health check failed');
        res.status(503).json({ status: 'unavailable' });
        next();
      },
    );
  });
  app.get('/robots.txt', (_req, res) => {
    res.type('text/plain').send('User-agent: *\nDisallow: /api/\nDisallow: /pages/\n');
  });

  await startAceAddon(app, {
    env: config.env,
    appKey: config.appKey,
    baseUrl: config.baseUrl,
    jiraHosts: config.jiraHosts,
    installations: services.installationRepository,
    connectStore: services.connectStoreRepository,
    logger,
  });

  const verifier = new InstallVerifier({
    appBaseUrl: config.baseUrl,
    keysUrl: config.connectKeysUrl,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  app.use(lifecycleRouter({ verifier, installations: services.installations }));
  const limiter = new FailureLimiter({ maxFailures: config.feedFailuresPerMinute, windowMs: 60_000, keyOf: (req) => clientAddress(req, config.trustProxy) });
  app.use(feedServingRouter({ serving: services.serving, limiter, logger }));
  app.use(pagesRouter({ appKey: config.appKey, baseUrl: config.baseUrl }));

  const api = Router();
  api.use(requireContextJwt({ installations: services.installations, appBaseUrl: config.baseUrl }));
  api.use(express.json({ limit: '256kb' }));
  api.use(siteRouter(services));
  api.use(myCalendarsRouter(services.myCalendars));
  api.use(privacyRouter(services));
  api.use(editorRouter(services));
  api.use(feedRouter(services.feeds, services.admins));
  app.use('/api', api);

  app.use(notFoundHandler);
  app.use(
    errorMiddleware(logger, (error, req, res) => {
      const tenant = res.locals['tenant'] as { clientKey?: string } | undefined;
      void services.reporter.report(tenant?.clientKey ?? null, error, `${req.method} ${req.route ? String((req.route as { path: unknown }).path) : 'unknown route'}`);
    }),
  );
  return app;
}
