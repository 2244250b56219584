import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AdminAccess } from '../services/admin-access.js';
import { actorOf } from './actor.js';

/** Express 4 does not await handlers: route a rejected promise to the error middleware. */
export const asyncHandler =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };

/** Lets only Jira administrators of the caller's site through; `fresh` re-asks Jira instead of the cache. */
export const adminOnly =
  (admins: AdminAccess, options: { fresh?: boolean } = {}): RequestHandler =>
  (_req, res, next) => {
    admins.requireAdmin(actorOf(res), options).then(() => next(), next);
  };

export const param = (req: Request, name: string): string => req.params[name] ?? '';
