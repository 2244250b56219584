import type { Application, Request } from 'express';
import type { ForgeTokenRepository } from '../../db/forge-token-repository.js';
import { withUpstreamErrors } from '../../jira/upstream-errors.js';
import type { Actor } from '../../services/actor.js';
import type { ActiveInstallation } from '../../domain/installation.js';
import type { Logger } from '../../logger.js';
import type { InstallationService } from '../../services/installation-service.js';
import type { JiraClients } from '../../services/jira-clients.js';
import { AppError } from '../../errors.js';
import type { DataRegion } from '../../domain/data-region.js';
import type { SiteChangedPayload } from '../../jobs/site-changed-job.js';
import type { PersonalDataReporting } from '../../services/personal-data-reporting.js';
import { bearerTokenHeader, type Door, type JiraAccess } from '../door.js';
import { routedRegion, stripRegionPrefix } from './data-region.js';
import { forgeJiraAuth } from './forge-jira-auth.js';
import { forgePrivacyRouter } from './forge-privacy-router.js';
import { forgeRouter } from './forge-router.js';
import { type Admitted, assertInvocationFits, type InvocationRule } from './forge-routes.js';
import {
  FIT_ISSUER,
  type ForgeInvocation,
  invalidInvocation,
  type InvocationTokenVerifier,
} from './invocation-token.js';

const SYSTEM_TOKEN_HEADER = 'x-forge-oauth-system';
const USER_TOKEN_HEADER = 'x-forge-oauth-user';
/** Forge promises a system token at least this much life; used when the token's own expiry is not believable. */
const ASSUMED_TOKEN_LIFETIME_MS = 2 * 60 * 60_000;
/** No Forge token lives longer (CHANGE-2160); the header is unsigned, so a later `exp` is someone's invention. */
const MAX_TOKEN_LIFETIME_MS = 4 * 60 * 60_000;
const MAX_TOKEN_LENGTH = 16_384;

/**
 * The expiry a Forge OAuth token carries (it is a JWT, read unverified); the token itself stays opaque to
 * the app. An expiry past Forge's maximum lifetime is not believed: the stored token would otherwise
 * outrank every real one Forge sends later.
 */
export function tokenExpiry(token: string, now: Date): Date {
  const [, payload] = token.split('.');
  try {
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    if (
      typeof claims.exp === 'number' &&
      Number.isFinite(claims.exp) &&
      claims.exp * 1000 <= now.getTime() + MAX_TOKEN_LIFETIME_MS
    ) {
      return new Date(claims.exp * 1000);
    }
  } catch {
    // not a JWT: fall back to Forge's documented minimum lifetime
  }
  return new Date(now.getTime() + ASSUMED_TOKEN_LIFETIME_MS);
}

/** An OAuth token header Forge attached, if it looks like one (printable ASCII, bounded). */
function readToken(req: Request, header: string): string | null {
  const value = req.get(header);
  return value && value.length <= MAX_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(value) ? value : null;
}

export function bearerToken(req: Request): string | null {
  return /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? null;
}

/** Forge's way to Jira: the installation's system token, through Atlassian's API gateway. */
export function forgeJiraAccess(tokens: ForgeTokenRepository, now: () => Date): JiraAccess {
  return {
    forInstallation: (installation) => {
      const { credentials } = installation;
      if (credentials.door !== 'forge') throw new Error(`not a Forge installation: ${credentials.door}`);
      return forgeJiraAuth({ ...installation, credentials }, { tokens, now: () => now().getTime() });
    },
  };
}

/**
 * Forge's side of the house: every invocation (UI call, event, trigger) is verified, makes sure its
 * installation is known, and leaves its system token behind for the work the app does between
 * invocations.
 */
export class ForgeDoor implements Door {
  readonly name = 'forge' as const;
  readonly home = null;
  readonly apiRouter = null;
  readonly standalone = false;

  constructor(
    readonly jira: JiraAccess,
    private readonly deps: {
      verifier: InvocationTokenVerifier;
      installations: InstallationService;
      tokens: ForgeTokenRepository;
      jira: JiraClients;
      logger: Logger;
      now: () => Date;
      /** The data-residency region whose baseUrl leads to this deployment. */
      dataRegion: DataRegion;
      queue: { enqueueSiteChanged(payload: SiteChangedPayload): Promise<void> };
      reporting: Pick<PersonalDataReporting, 'nextBatch' | 'settle'>;
    },
  ) {}

  /** A Forge invocation token says so in its (still unverified) issuer. */
  claims(req: Request): boolean {
    return bearerTokenHeader(req)?.claims['iss'] === FIT_ISSUER;
  }

  verify(req: Request): Promise<Actor> {
    return this.actor(req);
  }

  /** Lifecycle, events, the hourly trigger and Personal Data Reporting functions, under any region prefix. */
  mount(app: Application): void {
    const { installations, queue, logger, reporting } = this.deps;
    app.use(stripRegionPrefix());
    app.use(forgeRouter({ door: this, installations, queue, logger }));
    app.use(forgePrivacyRouter({ door: this, reporting }));
  }

  /**
   * Verifies the invocation and that it is one `rule` admits, before anything about it is stored.
   * `installs`: this is Forge's install event, the one invocation that may bring back an uninstalled site.
   */
  async admit(req: Request, rule: InvocationRule, options: { installs?: boolean } = {}): Promise<Admitted> {
    const fit = bearerToken(req);
    if (!fit) throw invalidInvocation('Forge calls carry a Forge invocation token (Authorization: Bearer …)');
    const invocation = await this.deps.verifier.verify(fit);
    assertInvocationFits(invocation, rule);
    this.assertRegion(req, invocation);
    const systemToken = readToken(req, SYSTEM_TOKEN_HEADER);
    const installation = await this.ensureInstallation(invocation, systemToken, options.installs ?? false);
    if (systemToken) {
      const now = this.deps.now();
      await this.deps.tokens.saveIfNewer(
        installation.clientKey,
        systemToken,
        tokenExpiry(systemToken, now),
        now,
      );
    }
    return { invocation, installation };
  }

  /** A UI invocation: the same Actor a Connect context JWT yields. */
  async actor(req: Request): Promise<Actor> {
    const { invocation, installation } = await this.admit(req, { kind: 'ui' });
    if (!invocation.accountId) throw invalidInvocation('The Forge invocation names no signed-in user');
    const userToken = readToken(req, USER_TOKEN_HEADER);
    const { apiBaseUrl } = invocation;
    return {
      clientKey: installation.clientKey,
      accountId: invocation.accountId,
      installation,
      asUser: userToken ? { apiBaseUrl, authorization: () => `Bearer ${userToken}` } : null,
    };
  }

  /**
   * Forge sends an installation's calls to the baseUrl of the region it was pinned to at install; one
   * that reaches a deployment of another region must not leave its data here.
   */
  private assertRegion(req: Request, invocation: ForgeInvocation): void {
    const routed = routedRegion(req);
    if (routed === this.deps.dataRegion) return;
    this.deps.logger.warn(
      { clientKey: invocation.installationId, routedRegion: routed, dataRegion: this.deps.dataRegion },
      'Forge invocation for another data region refused',
    );
    throw new AppError(
      421,
      'wrong_data_region',
      `This Calendar Sync deployment keeps data in region ${this.deps.dataRegion}, but Forge sent this call to the ${routed} URL: check the CALSYNC_BASE_URL variables of the Forge app and DATA_REGION of each deployment`,
    );
  }

  private async ensureInstallation(
    invocation: ForgeInvocation,
    systemToken: string | null,
    installs: boolean,
  ): Promise<ActiveInstallation> {
    const known = await this.deps.installations.findActive(invocation.installationId);
    if (
      known &&
      known.credentials.door === 'forge' &&
      known.credentials.apiBaseUrl === invocation.apiBaseUrl
    ) {
      if (invocation.siteUrl && invocation.siteUrl !== known.baseUrl) {
        await this.deps.installations.updateSiteUrl(known.clientKey, invocation.siteUrl);
        return { ...known, baseUrl: invocation.siteUrl };
      }
      return known;
    }
    // First sight (or the site moved): a verified invocation is Forge vouching for the installation.
    return this.deps.installations.installForge(
      {
        installationId: invocation.installationId,
        cloudId: invocation.cloudId,
        apiBaseUrl: invocation.apiBaseUrl,
        siteUrl: invocation.siteUrl,
        appVersion: invocation.appVersion,
      },
      () => this.siteUrlFromJira(invocation, systemToken),
      { revive: installs, by: invocation.module?.key ?? 'unknown module' },
    );
  }

  /** Backend invocations do not name the site; Jira does (`serverInfo.baseUrl`). */
  private async siteUrlFromJira(invocation: ForgeInvocation, systemToken: string | null): Promise<string> {
    if (!systemToken)
      throw invalidInvocation('A first Forge invocation must carry a system token (x-forge-oauth-system)');
    const client = this.deps.jira.forAuth(invocation.installationId, {
      apiBaseUrl: invocation.apiBaseUrl,
      authorization: () => `Bearer ${systemToken}`,
    });
    const info = await withUpstreamErrors(() => client.getServerInfo());
    return info.baseUrl.replace(/\/+$/, '');
  }
}
