import type { Request, RequestHandler } from 'express';
import type { Actor } from '../services/actor.js';
import { AppError } from '../errors.js';
import { setActor } from './actor.js';

/** One door's way of proving who is calling. */
export type CredentialVerifier = { verify(req: Request): Promise<Actor> };

/** An RS256 bearer token is a Forge invocation token; everything else is Connect's HS256 context JWT. */
function isForgeInvocation(req: Request): boolean {
  const token = /^Bearer\s+([^.\s]+)\./i.exec(req.get('authorization') ?? '')?.[1];
  if (!token) return false;
  try {
    const header = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { alg?: unknown };
    return header.alg === 'RS256';
  } catch {
    return false;
  }
}

/**
 * The one authentication step of /api: whichever door the credential belongs to, the routes behind it
 * see the same Actor. Which door is only a hint; the chosen verifier checks everything itself.
 */
export function authenticate(
  doors:
    | { connect: CredentialVerifier; forge: CredentialVerifier | null }
    /** The Data Center edition has one door: its own session. */
    | { datacenter: CredentialVerifier },
): RequestHandler {
  return (req, res, next) => {
    const verifier =
      'datacenter' in doors ? doors.datacenter : isForgeInvocation(req) ? doors.forge : doors.connect;
    if (!verifier) {
      next(new AppError(401, 'unauthorized', 'This Calendar Sync server has no Forge app configured'));
      return;
    }
    verifier.verify(req).then(
      (actor) => {
        setActor(res, actor);
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
