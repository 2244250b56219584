import * as jwt from 'atlassian-jwt';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ActiveInstallation } from '../domain/installation.js';
import type { InstallationService } from '../services/installation-service.js';
import { CONTEXT_QSH, checkLifetime, extractToken, readHeader, readUnverifiedClaims, requestQsh, unauthorized } from './connect-jwt.js';

export type RequestTenant = { clientKey: string; accountId: string; installation: ActiveInstallation };

export function tenantOf(res: Response): RequestTenant {
  const tenant = res.locals['tenant'] as RequestTenant | undefined;
  if (!tenant) throw new Error('tenantOf() used on a route without requireContextJwt()');
  return tenant;
}

/**
 * Accepts the context JWT an iframe gets from `AP.context.getToken()` (qsh "context-qsh") or a JWT
 * signed for exactly this request. The signing secret is the one stored for the token's issuer.
 */
export function requireContextJwt(options: {
  installations: InstallationService;
  appBaseUrl: string;
  now?: () => Date;
}): RequestHandler {
  const verify = async (req: Request): Promise<RequestTenant> => {
    const token = extractToken(req);
    if (!token) throw unauthorized('Sign in through Jira: this request carries no Connect JWT');
    if (readHeader(token).alg !== 'HS256') throw unauthorized('Connect JWTs must be signed with HS256');
    const unverified = readUnverifiedClaims(token);
    if (typeof unverified.iss !== 'string' || unverified.iss.length === 0) throw unauthorized('The JWT has no issuer');
    // Unverified input: PostgreSQL refuses NUL in text, which would turn a forged token into a 500.
    if (unverified.iss.length > 255 || unverified.iss.includes('\u0000')) throw unauthorized('The JWT issuer is not a Jira site');
    const installation = await options.installations.findActive(unverified.iss);
    if (!installation) throw unauthorized('The JWT was issued by a Jira site that has not installed the app');

    let claims: Record<string, unknown> & { context?: { user?: { accountId?: unknown } } };
    try {
      claims = jwt.decodeSymmetric(token, installation.sharedSecret, jwt.SymmetricAlgorithm.HS256) as typeof claims;
    } catch {
      throw unauthorized('The JWT signature does not verify');
    }
    checkLifetime(claims, options.now?.() ?? new Date());
    if (claims['qsh'] !== CONTEXT_QSH && claims['qsh'] !== requestQsh(req, options.appBaseUrl)) {
      throw unauthorized('The JWT was signed for another request (qsh)');
    }
    const accountId = claims.context?.user?.accountId ?? claims['sub'];
    if (typeof accountId !== 'string' || accountId.length === 0) throw unauthorized('The JWT names no user');
    return { clientKey: installation.clientKey, accountId, installation };
  };

  return (req: Request, res: Response, next: NextFunction) => {
    verify(req).then(
      (tenant) => {
        res.locals['tenant'] = tenant;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
