import express, { type Application, Router } from 'express';
import type { Config } from './config.js';
import { startAceAddon } from './doors/connect/ace-addon.js';
import { ConnectContextVerifier } from './doors/connect/context-auth.js';
import { InstallReplayGuard } from './doors/connect/install-replay-guard.js';
import { InstallVerifier } from './doors/connect/install-verifier.js';
import { lifecycleRouter } from './doors/connect/lifecycle-router.js';
import { webhookRouter } from './doors/connect/webhook-router.js';
import { dataCenterApiRouter, dataCenterSignInRouter } from './doors/datacenter/datacenter-router.js';
import { stripRegionPrefix } from './doors/forge/data-region.js';
import { forgePrivacyRouter } from './doors/forge/forge-privacy-router.js';
import { forgeRouter } from './doors/forge/forge-router.js';
import { authenticate, type CredentialVerifier } from './http/authenticate.js';
import { jsonBody } from './http/body-parsers.js';
import { withJiraBudget } from './jira/jira-budget.js';
import { editorRouter } from './http/editor-router.js';
import { errorMiddleware, notFoundHandler } from './http/error-middleware.js';
import { feedRouter } from './http/feed-router.js';
import { clientAddress } from './http/client-address.js';
import { FailureLimiter } from './http/failure-limiter.js';
import { feedServingRouter } from './http/feed-serving-router.js';
import { landingRouter } from './http/landing-router.js';
import { countFeedRequests, metricsRouter } from './http/metrics-router.js';
import { myCalendarsRouter } from './http/my-calendars-router.js';
import { pagesRouter } from './http/pages-router.js';
import { privacyRouter } from './http/privacy-router.js';
import { requestLogger } from './http/request-logger.js';
import { noStore, securityHeaders } from './http/security-headers.js';
import { siteRouter } from './http/site-router.js';
import type { Logger } from './logger.js';
import type { Services } from './compose/core.js';

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
  const { dataCenterDoor } = services;
  // Data Center pages stand alone: nothing may frame them.
  app.use(
    securityHeaders({
      extraFrameAncestors: config.extraFrameAncestors,
      standalone: dataCenterDoor !== null,
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
  if (dataCenterDoor) app.get('/', (_req, res) => res.redirect(302, '/pages/my-calendars'));
  else app.use(landingRouter({ baseUrl: config.baseUrl, forgeEnabled: config.forge !== null }));
  app.get('/robots.txt', (_req, res) => {
    res.type('text/plain').send('User-agent: *\nDisallow: /api/\nDisallow: /pages/\n');
  });

  let doors: Parameters<typeof authenticate>[0];
  if (dataCenterDoor) {
    app.use(dataCenterSignInRouter({ door: dataCenterDoor }));
    doors = { datacenter: { verify: (req) => dataCenterDoor.actor(req) } };
  } else {
    doors = await mountCloudDoors(app, deps);
  }
  app.use(metricsRouter({ metrics: services.metrics, token: config.metricsToken }));
  app.use(
    pagesRouter({ appKey: config.appKey, baseUrl: config.baseUrl, standalone: dataCenterDoor !== null }),
  );

  const api = Router();
  api.use(noStore);
  // A page waits a few seconds for Jira at most; syncs wait in the queue instead.
  api.use((_req, _res, next) => withJiraBudget(config.jiraApiBudgetMs, () => next()));
  api.use(authenticate(doors));
  api.use(jsonBody('256kb'));
  api.use(siteRouter());
  if (dataCenterDoor)
    api.use(
      dataCenterApiRouter({ door: dataCenterDoor, takeovers: services.takeovers, admins: services.admins }),
    );
  api.use(myCalendarsRouter({ myCalendars: services.myCalendars }));
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
  app.use('/api', api);

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

/** The Jira Cloud edition's two doors: Connect (webhooks, ACE, signed lifecycle) and, when configured, Forge. */
async function mountCloudDoors(
  app: Application,
  deps: AppDeps,
): Promise<{ connect: CredentialVerifier; forge: CredentialVerifier | null }> {
  const { config, logger, services } = deps;
  // Before ACE: it mounts a route of its own, with its own JWT check, at every webhook URL in the descriptor.
  const connectVerifier = new ConnectContextVerifier({
    installations: services.installations,
    appBaseUrl: config.baseUrl,
  });
  app.use(webhookRouter({ verifier: connectVerifier, queue: services.queue, logger }));
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
  const guard = new InstallReplayGuard({ tokens: services.lifecycleTokenRepository, now: () => new Date() });
  app.use(
    lifecycleRouter({
      verifier,
      guard,
      installations: services.installations,
      appKey: config.appKey,
      sites: { hostPatterns: config.jiraHosts, allowLoopbackHttp: config.env !== 'production' },
    }),
  );
  const { forgeDoor } = services;
  if (forgeDoor) {
    app.use(stripRegionPrefix());
    app.use(
      forgeRouter({ door: forgeDoor, installations: services.installations, queue: services.queue, logger }),
    );
    app.use(
      forgePrivacyRouter({
        door: forgeDoor,
        reporting: services.personalDataReporting,
      }),
    );
  }
  return { connect: connectVerifier, forge: forgeDoor ? { verify: (req) => forgeDoor.actor(req) } : null };
}
