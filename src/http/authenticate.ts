import type { Request, RequestHandler } from 'express';
import type { Actor } from '../services/actor.js';
import { AppError } from '../errors.js';
import { setActor } from './actor.js';

/** A door as /api sees it: whether a request carries its credential, and how to prove who sent it. */
export type CredentialCheck = { claims(req: Request): boolean; verify(req: Request): Promise<Actor> };

/**
 * The one authentication step of /api: the first door that claims the request verifies it, and the
 * routes behind it see the same Actor whichever door it was. A claim is only a hint; the door checks
 * everything itself.
 */
export function authenticate(doors: readonly CredentialCheck[]): RequestHandler {
  return (req, res, next) => {
    const door = doors.find((candidate) => candidate.claims(req));
    if (!door) {
      next(
        new AppError(
          401,
          'unauthorized',
          'Sign in through Jira: this request carries no credential this server accepts',
        ),
      );
      return;
    }
    door.verify(req).then(
      (actor) => {
        setActor(res, actor);
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
