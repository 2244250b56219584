import * as jwt from 'atlassian-jwt';
import type { Request } from 'express';
import type { Actor } from '../../services/actor.js';
import { type ActiveConnectInstallation, isConnect } from '../../domain/installation.js';
import type { InstallationService } from '../../services/installation-service.js';
import {
  CONTEXT_QSH,
  checkLifetime,
  extractToken,
  readHeader,
  readUnverifiedClaims,
  requestQsh,
  unauthorized,
} from './connect-jwt.js';

/**
 * Connect's credentials: the context JWT an iframe gets from `AP.context.getToken()` (qsh "context-qsh")
 * or a JWT signed for exactly this request; webhooks only the latter. The signing secret is the one stored
 * for the token's issuer.
 */
export class ConnectContextVerifier {
  constructor(
    private readonly options: {
      installations: InstallationService;
      appBaseUrl: string;
      now?: () => Date;
    },
  ) {}

  async verify(req: Request): Promise<Actor> {
    const { installation, claims } = await this.verifySigned(req, { contextQsh: true });
    const context = claims['context'] as { user?: { accountId?: unknown } } | undefined;
    const accountId = context?.user?.accountId ?? claims['sub'];
    if (typeof accountId !== 'string' || accountId.length === 0) throw unauthorized('The JWT names no user');
    // Connect apps cannot act as the user without ACT_AS_USER, which this app does not ask for.
    return { clientKey: installation.clientKey, accountId, installation, asUser: null };
  }

  /** A call Jira itself signed for exactly this request (webhooks): the site, with no user. */
  async verifySite(req: Request): Promise<ActiveConnectInstallation> {
    return (await this.verifySigned(req, { contextQsh: false })).installation;
  }

  private async verifySigned(
    req: Request,
    options: { contextQsh: boolean },
  ): Promise<{ installation: ActiveConnectInstallation; claims: Record<string, unknown> }> {
    const token = extractToken(req);
    if (!token) throw unauthorized('Sign in through Jira: this request carries no Connect JWT');
    if (readHeader(token).alg !== 'HS256') throw unauthorized('Connect JWTs must be signed with HS256');
    const unverified = readUnverifiedClaims(token);
    if (typeof unverified.iss !== 'string' || unverified.iss.length === 0)
      throw unauthorized('The JWT has no issuer');
    // Unverified input: PostgreSQL refuses NUL in text, which would turn a forged token into a 500.
    if (unverified.iss.length > 255 || unverified.iss.includes('\u0000'))
      throw unauthorized('The JWT issuer is not a Jira site');
    const installation = await this.options.installations.findActive(unverified.iss);
    if (!installation || !isConnect(installation)) {
      throw unauthorized('The JWT was issued by a Jira site that has not installed the app');
    }

    let claims: Record<string, unknown>;
    try {
      claims = jwt.decodeSymmetric(
        token,
        installation.credentials.sharedSecret,
        jwt.SymmetricAlgorithm.HS256,
      ) as Record<string, unknown>;
    } catch {
      throw unauthorized('The JWT signature does not verify');
    }
    checkLifetime(claims, this.options.now?.() ?? new Date());
    const forThisRequest = claims['qsh'] === requestQsh(req, this.options.appBaseUrl);
    if (!forThisRequest && !(options.contextQsh && claims['qsh'] === CONTEXT_QSH)) {
      throw unauthorized('The JWT was signed for another request (qsh)');
    }
    return { installation, claims };
  }
}
