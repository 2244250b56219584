import type { Application, Request, Router } from 'express';
import type { Feed } from '../domain/feed.js';
import type { ActiveInstallation, Door as DoorName } from '../domain/installation.js';
import type { JiraAuth } from '../jira/jira-auth.js';
import type { Actor } from '../services/actor.js';

export type { DoorName };

/**
 * How the app reaches Jira for one of a door's installations. Built before the core (its Jira clients
 * need it) from nothing but storage and configuration, then handed to the door too.
 */
export type JiraAccess = {
  /** The app's own standing with the site: a Connect JWT, a Forge system token, a Data Center owner's token. */
  forInstallation(installation: ActiveInstallation): JiraAuth;
  /** Whose rights a feed's sync uses when they are not the app's (Data Center: the feed's owner). */
  forFeed?(installation: ActiveInstallation, feed: Feed): JiraAuth | null;
};

/**
 * A front door to the one core: how a Jira edition's installations, people and events come in. The core
 * never names a door; src/compose/ lists the edition's doors once and src/app.ts mounts them in that order.
 */
export type Door = {
  readonly name: DoorName;
  readonly jira: JiraAccess;
  /**
   * Whether an /api request carries this door's credential, from the request alone (no I/O, no trust).
   * The first listed door that claims a request verifies it; none claiming is a 401.
   */
  claims(req: Request): boolean;
  /** Proves who is calling, as the Actor every /api route sees; a 401 AppError when it cannot. */
  verify(req: Request): Promise<Actor>;
  /** Its own routes outside /api (lifecycle, events, sign-in), mounted before /api. */
  mount(app: Application): Promise<void> | void;
  /** What `/` shows when this door is the app's front (the first door that has one wins). */
  readonly home: Router | null;
  /** /api routes only this door offers, behind the shared authentication. */
  readonly apiRouter: Router | null;
  /** Its pages open in a tab of their own rather than inside Jira, so nothing may frame them. */
  readonly standalone: boolean;
};

/** The Authorization header's token, read unverified: enough for a door to claim a request, never to trust it. */
export function bearerTokenHeader(
  req: Request,
): { scheme: string; header: Record<string, unknown>; claims: Record<string, unknown> } | null {
  const match = /^(JWT|Bearer)\s+([^.\s]+)\.([^.\s]+)\.\S*$/i.exec(req.get('authorization') ?? '');
  if (!match) return null;
  try {
    const decode = (segment: string | undefined): Record<string, unknown> => {
      const value: unknown = JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8'));
      return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    };
    return { scheme: (match[1] ?? '').toLowerCase(), header: decode(match[2]), claims: decode(match[3]) };
  } catch {
    return null;
  }
}
