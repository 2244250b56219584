import type { Response } from 'express';
import type { Actor } from '../services/actor.js';

export function setActor(res: Response, actor: Actor): void {
  res.locals['actor'] = actor;
}

/** The verified caller of an /api route; authenticate() put it there. */
export function actorOf(res: Response): Actor {
  const actor = res.locals['actor'] as Actor | undefined;
  if (!actor) throw new Error('actorOf() used on a route without authenticate()');
  return actor;
}
