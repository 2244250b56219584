import * as jwt from 'atlassian-jwt';
import type { Request } from 'express';
import { AppError } from '../../errors.js';

export const CONTEXT_QSH = 'context-qsh';

export type JwtClaims = {
  iss?: unknown;
  sub?: unknown;
  aud?: unknown;
  exp?: unknown;
  iat?: unknown;
  qsh?: unknown;
  context?: { user?: { accountId?: unknown } };
};

export const unauthorized = (message: string): AppError => new AppError(401, 'unauthorized', message);

/**
 * The raw token from `Authorization: JWT …` (or `Bearer …`). Never from `?jwt=`: Connect puts that only
 * on iframe page loads, which need no token here, and a token in a URL ends up in proxy and CDN logs.
 */
export function extractToken(req: Request): string | null {
  const header = req.get('authorization');
  if (!header) return null;
  return /^(?:JWT|Bearer)\s+(\S+)$/i.exec(header)?.[1] ?? null;
}

export function readHeader(token: string): { alg: unknown; kid: unknown } {
  const [headerSegment] = token.split('.');
  try {
    const header = JSON.parse(Buffer.from(headerSegment ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return { alg: header['alg'], kid: header['kid'] };
  } catch {
    throw unauthorized('The JWT header is not valid JSON');
  }
}

export function readUnverifiedClaims(token: string): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw unauthorized('The JWT is not made of three parts');
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) throw new Error('not an object');
    return claims;
  } catch {
    throw unauthorized('The JWT claims are not valid JSON');
  }
}

/** Expiry and issued-at checks shared by install callbacks and context tokens. */
export function checkLifetime(claims: JwtClaims, now: Date, leewaySeconds = 30): void {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (typeof claims.exp !== 'number') throw unauthorized('The JWT has no expiry (exp)');
  if (claims.exp + leewaySeconds <= nowSeconds) throw unauthorized('The JWT has expired; reload the page');
  if (typeof claims.iat === 'number' && claims.iat - leewaySeconds > nowSeconds) {
    throw unauthorized('The JWT was issued in the future');
  }
}

/** The Connect query-string hash of the request as this app received it. */
export function requestQsh(req: Request, appBaseUrl: string): string {
  return jwt.createQueryStringHash(jwt.fromExpressRequest(req), false, appBaseUrl);
}
