import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { actorOf } from './actor.js';
import type { AdminAccess } from '../services/admin-access.js';

/** Express 4 does not await handlers: route a rejected promise to the error middleware. */
export const asyncHandler =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };

/** Lets only Jira administrators of the caller's site through. */
export const adminOnly =
  (admins: AdminAccess): RequestHandler =>
  (_req, res, next) => {
    admins.requireAdmin(actorOf(res)).then(() => next(), next);
  };

export const param = (req: Request, name: string): string => req.params[name] ?? '';
