import type { Application, Request } from 'express';
import type { Config } from '../../config.js';
import type { ConnectStoreRepository } from '../../db/connect-store-repository.js';
import type { InstallationRepository } from '../../db/installation-repository.js';
import type { LifecycleTokenRepository } from '../../db/lifecycle-token-repository.js';
import { landingRouter } from '../../http/landing-router.js';
import type { SiteChangedPayload } from '../../jobs/site-changed-job.js';
import type { Logger } from '../../logger.js';
import type { Actor } from '../../services/actor.js';
import type { InstallationService } from '../../services/installation-service.js';
import { bearerTokenHeader, type Door, type JiraAccess } from '../door.js';
import { FIT_ISSUER } from '../forge/invocation-token.js';
import { startAceAddon } from './ace-addon.js';
import { connectJiraAuth } from './connect-jira-auth.js';
import { ConnectContextVerifier } from './context-auth.js';
import { InstallReplayGuard } from './install-replay-guard.js';
import { InstallVerifier } from './install-verifier.js';
import { lifecycleRouter } from './lifecycle-router.js';
import { webhookRouter } from './webhook-router.js';

/** Connect's way to Jira: a JWT signed per request under the site's shared secret. */
export function connectJiraAccess(config: Pick<Config, 'appKey'>): JiraAccess {
  return {
    forInstallation: (installation) => {
      const { credentials } = installation;
      if (credentials.door !== 'connect') throw new Error(`not a Connect installation: ${credentials.door}`);
      return connectJiraAuth(
        { baseUrl: installation.baseUrl, sharedSecret: credentials.sharedSecret },
        { appKey: config.appKey },
      );
    },
  };
}

/**
 * The Connect door (Jira Cloud): Jira's signed lifecycle callbacks, webhooks, ACE's descriptor and
 * store, and the context JWT every page's /api call carries.
 */
export class ConnectDoor implements Door {
  readonly name = 'connect' as const;
  readonly apiRouter = null;
  readonly standalone = false;
  readonly home;
  private readonly contexts: ConnectContextVerifier;

  constructor(
    readonly jira: JiraAccess,
    private readonly deps: {
      config: Pick<Config, 'env' | 'appKey' | 'baseUrl' | 'jiraHosts' | 'connectKeysUrl'>;
      installations: InstallationService;
      installationRepository: InstallationRepository;
      connectStore: ConnectStoreRepository;
      lifecycleTokens: LifecycleTokenRepository;
      queue: { enqueueSiteChanged(payload: SiteChangedPayload): Promise<void> };
      logger: Logger;
      /**
       * The app's clock, for what the door records (lifecycle tokens seen). JWTs are minted and checked by
       * the wall clock Jira signs them by, as Forge's invocation tokens are.
       */
      now: () => Date;
      /** Whether the landing page offers the Forge app too. */
      forgeEnabled: boolean;
      fetch?: typeof fetch;
    },
  ) {
    this.contexts = new ConnectContextVerifier({
      installations: deps.installations,
      appBaseUrl: deps.config.baseUrl,
    });
    this.home = landingRouter({ baseUrl: deps.config.baseUrl, forgeEnabled: deps.forgeEnabled });
  }

  /** A JWT from a Connect iframe names its site as issuer; Forge's name Forge. */
  claims(req: Request): boolean {
    const token = bearerTokenHeader(req);
    return token !== null && token.claims['iss'] !== FIT_ISSUER;
  }

  verify(req: Request): Promise<Actor> {
    return this.contexts.verify(req);
  }

  async mount(app: Application): Promise<void> {
    const { config, logger, installations, now } = this.deps;
    // Before ACE: it mounts a route of its own, with its own JWT check, at every webhook URL in the descriptor.
    app.use(webhookRouter({ verifier: this.contexts, queue: this.deps.queue, logger }));
    await startAceAddon(app, {
      env: config.env,
      appKey: config.appKey,
      baseUrl: config.baseUrl,
      jiraHosts: config.jiraHosts,
      installations: this.deps.installationRepository,
      connectStore: this.deps.connectStore,
      logger,
    });
    const verifier = new InstallVerifier({
      appBaseUrl: config.baseUrl,
      keysUrl: config.connectKeysUrl,
      ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
    });
    app.use(
      lifecycleRouter({
        verifier,
        guard: new InstallReplayGuard({ tokens: this.deps.lifecycleTokens, now }),
        installations,
        appKey: config.appKey,
        sites: { hostPatterns: config.jiraHosts, allowLoopbackHttp: config.env !== 'production' },
      }),
    );
  }
}
