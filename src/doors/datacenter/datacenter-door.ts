import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Application, type Request, Router } from 'express';
import { z } from 'zod';
import type { DataCenterConfig } from '../../config.js';
import type { DataCenterSessionRepository } from '../../db/datacenter-session-repository.js';
import type { DataCenterSignInStateRepository } from '../../db/datacenter-sign-in-state-repository.js';
import { AppError } from '../../errors.js';
import { withUpstreamErrors } from '../../jira/upstream-errors.js';
import type { Logger } from '../../logger.js';
import type { ActiveInstallation } from '../../domain/installation.js';
import type { Actor } from '../../services/actor.js';
import type { InstallationService } from '../../services/installation-service.js';
import type { JiraClients } from '../../services/jira-clients.js';
import { runsAs } from '../../domain/feed.js';
import type { AdminAccess } from '../../services/admin-access.js';
import type { Door, JiraAccess } from '../door.js';
import { readCookies, serializeCookie } from './cookies.js';
import { dataCenterApiRouter, dataCenterSignInRouter } from './datacenter-router.js';
import type { FeedTakeoverService } from './feed-takeover-service.js';
import type { DataCenterAuth } from '../../jira/datacenter/datacenter-jira-client.js';
import { GrantRefused, type DataCenterOAuth, type TokenGrant } from './datacenter-oauth.js';
import {
  OWNER_SIGN_IN_NEEDED,
  signInAgain,
  TOKEN_UNREADABLE,
  ownerSignInNeeded,
  type DataCenterTokens,
} from './datacenter-tokens.js';
import type { TokenCipher } from '../../db/token-cipher.js';

const SIGN_IN_TTL_MS = 10 * 60_000;
/** The longest a session outlives its user's deactivation or deletion in Jira. */
export const USER_RECHECK_MS = 5 * 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PAGES = /^\/pages\/(admin|my-calendars)$/;
const DEFAULT_PAGE = '/pages/my-calendars';
export const CSRF_HEADER = 'x-csrf-token';

const signInStateSchema = z.object({
  state: z.string().min(32),
  verifier: z.string().min(43).max(128),
  returnTo: z.string().regex(PAGES),
  expiresAt: z.number(),
});

const callbackSchema = z.object({
  state: z.string().min(1).max(200),
  code: z
    .string()
    .regex(/^[\x21-\x7e]{1,2048}$/)
    .optional(),
  error: z.string().max(100).optional(),
});

const signInFailed = (message: string): AppError => new AppError(400, 'signin_failed', message);
const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
const random = (bytes = 32): string => randomBytes(bytes).toString('base64url');
const sameText = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** The tenant key of a deployment's one Jira Data Center instance. */
export const dataCenterClientKey = (baseUrl: string): string => {
  const url = new URL(baseUrl);
  return `datacenter:${url.host}${url.pathname.replace(/\/+$/, '')}`;
};

/** Data Center has no app user: the site is read with a feed owner's token, a feed's sync with its owner's. */
export function dataCenterJiraAccess(tokens: DataCenterTokens): JiraAccess {
  return {
    forInstallation: (installation) => tokens.siteAuth(installation.clientKey),
    forFeed: (installation, feed) => tokens.userAuth(installation.clientKey, runsAs(feed), ownerSignInNeeded),
  };
}

/**
 * The Data Center edition's front door: people sign in with Jira's OAuth 2.0 (authorization code,
 * PKCE S256, `state`), get a session cookie, and every /api call is that session's Actor, asking Jira
 * as that person. State-changing calls also carry the session's CSRF token in a header.
 */
export class DataCenterDoor implements Door {
  readonly name = 'datacenter' as const;
  readonly standalone = true;
  readonly home = Router().get('/', (_req, res) => res.redirect(302, DEFAULT_PAGE));
  readonly apiRouter: Router;
  readonly clientKey: string;
  private readonly secure: boolean;
  private readonly origin: string;
  readonly sessionCookie: string;

  constructor(
    readonly jira: JiraAccess,
    private readonly deps: {
      config: DataCenterConfig;
      appBaseUrl: string;
      oauth: DataCenterOAuth;
      tokens: DataCenterTokens;
      sessions: DataCenterSessionRepository;
      signInStates: DataCenterSignInStateRepository;
      installations: InstallationService;
      jira: JiraClients;
      cipher: TokenCipher;
      queue: { enqueueSiteChanged(payload: { clientKey: string; failedWith?: string }): Promise<void> };
      logger: Logger;
      now: () => Date;
      takeovers: FeedTakeoverService;
      admins: AdminAccess;
    },
  ) {
    this.apiRouter = dataCenterApiRouter({ door: this, takeovers: deps.takeovers, admins: deps.admins });
    this.clientKey = dataCenterClientKey(deps.config.baseUrl);
    this.secure = deps.appBaseUrl.startsWith('https://');
    this.origin = new URL(deps.appBaseUrl).origin;
    // __Host-: only this origin over TLS may set it, on every path, for no other domain.
    this.sessionCookie = this.secure ? '__Host-calsync_session' : 'calsync_session';
  }

  /** Pages call /api with the session cookie alone; Cloud's doors send a token in Authorization. */
  claims(req: Request): boolean {
    return !req.get('authorization');
  }

  verify(req: Request): Promise<Actor> {
    return this.actor(req);
  }

  mount(app: Application): void {
    app.use(dataCenterSignInRouter({ door: this }));
  }

  /** The tokens the door keeps for its signed-in people (tests read one back). */
  get tokens(): DataCenterTokens {
    return this.deps.tokens;
  }

  get signInCookie(): string {
    return 'calsync_signin';
  }

  /** Where the browser goes to sign in, and the cookie that remembers this attempt's state and verifier. */
  beginSignIn(returnTo: unknown): { location: string; cookie: string } {
    const state = random();
    const verifier = random(48);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const target = typeof returnTo === 'string' && PAGES.test(returnTo) ? returnTo : DEFAULT_PAGE;
    const sealed = this.deps.cipher.seal(
      JSON.stringify({
        state,
        verifier,
        returnTo: target,
        expiresAt: this.deps.now().getTime() + SIGN_IN_TTL_MS,
      }),
      'datacenter-sign-in',
    );
    return {
      location: this.deps.oauth.authorizeUrl({ state, codeChallenge: challenge }),
      cookie: serializeCookie(this.signInCookie, sealed.toString('base64url'), {
        secure: this.secure,
        path: '/oauth',
        maxAgeSeconds: SIGN_IN_TTL_MS / 1000,
        sameSite: 'Lax',
      }),
    };
  }

  /** Jira sent the browser back: check the state, trade the code (with the verifier), open a session. */
  async completeSignIn(req: Request): Promise<{ location: string; cookies: string[] }> {
    const { answer, attempt } = this.readAnswer(req);
    const installation = await this.deps.installations.installDataCenter(this.clientKey, {
      baseUrl: this.deps.config.baseUrl,
      serverVersion: null,
    });
    await this.consumeAttempt(attempt);
    if (answer.error || !answer.code) {
      throw signInFailed(
        'Jira did not grant Calendar Sync access. Start the sign-in again and choose Allow.',
      );
    }
    const grant = await this.exchangeCode(answer.code, attempt.verifier);
    const me = await withUpstreamErrors(() =>
      this.deps.jira
        .forUser(installation, {
          apiBaseUrl: this.deps.config.baseUrl,
          authorization: () => `Bearer ${grant.accessToken}`,
        })
        .getMyself(),
    );
    if (me.active === false) throw signInFailed('This Jira account is deactivated.');
    await this.deps.tokens.saveSignIn(this.clientKey, me.accountId, grant);
    // Feeds this person owns that stopped for want of their sign-in can run again.
    await this.deps.queue.enqueueSiteChanged({ clientKey: this.clientKey, failedWith: OWNER_SIGN_IN_NEEDED });
    await this.deps.queue.enqueueSiteChanged({ clientKey: this.clientKey, failedWith: TOKEN_UNREADABLE });
    const sessionCookie = await this.openSession(me.accountId);
    return { location: attempt.returnTo, cookies: [sessionCookie, this.clearSignInCookie()] };
  }

  /** Jira's answer, and the attempt this browser started here whose state it carries back. */
  private readAnswer(req: Request): {
    answer: z.infer<typeof callbackSchema>;
    attempt: z.infer<typeof signInStateSchema>;
  } {
    const query = callbackSchema.safeParse(req.query);
    if (!query.success)
      throw signInFailed('The sign-in answer from Jira is malformed. Start the sign-in again.');
    const raw = readCookies(req).get(this.signInCookie);
    const opened = raw ? this.deps.cipher.open(Buffer.from(raw, 'base64url'), 'datacenter-sign-in') : null;
    const attempt = opened === null ? null : signInStateSchema.safeParse(JSON.parse(opened));
    if (!attempt?.success || attempt.data.expiresAt <= this.deps.now().getTime()) {
      throw signInFailed('This sign-in was not started here or took too long. Start the sign-in again.');
    }
    if (!sameText(query.data.state, attempt.data.state)) {
      throw signInFailed(
        'The sign-in answer does not belong to this sign-in (state mismatch). Start the sign-in again.',
      );
    }
    return { answer: query.data, attempt: attempt.data };
  }

  /** A sign-in answer completes once: a replayed one is refused. */
  private async consumeAttempt(attempt: z.infer<typeof signInStateSchema>): Promise<void> {
    const firstUse = await this.deps.signInStates.consume(
      this.clientKey,
      sha256(attempt.state),
      new Date(attempt.expiresAt),
      this.deps.now(),
    );
    if (!firstUse) {
      throw new AppError(
        400,
        'signin_replayed',
        'This sign-in answer was already used (a sign-in completes once). Start the sign-in again.',
      );
    }
  }

  private async exchangeCode(code: string, verifier: string): Promise<TokenGrant> {
    try {
      return await this.deps.oauth.exchangeCode(code, verifier);
    } catch (error) {
      if (error instanceof GrantRefused)
        throw signInFailed('Jira refused the sign-in code. Start the sign-in again.');
      throw error;
    }
  }

  /** A new session for the person who signed in; its cookie. */
  private async openSession(accountId: string): Promise<string> {
    const sessionId = random();
    const now = this.deps.now();
    await this.deps.sessions.create(this.clientKey, {
      idSha256: sha256(sessionId),
      accountId,
      now,
      expiresAt: new Date(now.getTime() + this.deps.config.sessionTtlMs),
    });
    this.deps.logger.info({ clientKey: this.clientKey, accountId }, 'signed in with Jira Data Center');
    return serializeCookie(this.sessionCookie, sessionId, {
      secure: this.secure,
      path: '/',
      maxAgeSeconds: Math.floor(this.deps.config.sessionTtlMs / 1000),
      sameSite: 'Lax',
    });
  }

  clearSignInCookie(): string {
    return serializeCookie(this.signInCookie, '', {
      secure: this.secure,
      path: '/oauth',
      maxAgeSeconds: 0,
      sameSite: 'Lax',
    });
  }

  /** The caller of an /api route: a live session, and for anything but a read, its CSRF token too. */
  async actor(req: Request): Promise<Actor> {
    const sessionId = readCookies(req).get(this.sessionCookie);
    if (!sessionId) throw signInAgain();
    const session = await this.deps.sessions.findLive(sha256(sessionId), this.deps.now());
    if (!session || session.clientKey !== this.clientKey) throw signInAgain();
    if (!SAFE_METHODS.has(req.method)) this.checkCsrf(req, sessionId);
    const installation = await this.deps.installations.findActive(this.clientKey);
    if (!installation) throw signInAgain();
    const asUser = this.deps.tokens.userAuth(this.clientKey, session.accountId, signInAgain);
    if (session.checkedAt.getTime() + USER_RECHECK_MS <= this.deps.now().getTime()) {
      await this.recheckUser(installation, session.accountId, sha256(sessionId), asUser);
    }
    return { clientKey: this.clientKey, accountId: session.accountId, installation, asUser };
  }

  /**
   * Asks Jira, as the session's user, whether they are still who they were and active. A deactivated or
   * deleted user (Jira refuses their token, or says `active: false`) loses every session here; a Jira
   * that does not answer leaves the session be until the next check.
   */
  private async recheckUser(
    installation: ActiveInstallation,
    accountId: string,
    idSha256: string,
    asUser: DataCenterAuth,
  ): Promise<void> {
    let me;
    try {
      me = await this.deps.jira.forUser(installation, asUser).getMyself();
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'signin_required')) {
        this.deps.logger.warn(
          { clientKey: this.clientKey, code: error instanceof AppError ? error.code : 'unknown' },
          'could not re-check a Data Center user with Jira; the session stands until the next check',
        );
        return;
      }
      await this.endSessionsOf(accountId, 'Jira refused their sign-in');
      throw error;
    }
    if (me.active === false || me.accountId !== accountId) {
      await this.endSessionsOf(accountId, 'deactivated in Jira');
      throw new AppError(
        401,
        'signin_required',
        'Your Jira account is deactivated or no longer the one that signed in. Sign in again.',
      );
    }
    await this.deps.sessions.markChecked(this.clientKey, idSha256, this.deps.now());
  }

  private async endSessionsOf(accountId: string, why: string): Promise<void> {
    const ended = await this.deps.sessions.deleteForAccount(this.clientKey, accountId);
    this.deps.tokens.forget(this.clientKey, accountId);
    this.deps.logger.info(
      { clientKey: this.clientKey, accountId, ended },
      `ended the sessions of a user ${why}`,
    );
  }

  /** The token state-changing calls carry in X-CSRF-Token: derived from the session, useless without it. */
  csrfToken(req: Request): string {
    const sessionId = readCookies(req).get(this.sessionCookie) ?? '';
    return createHmac('sha256', this.deps.config.tokenEncryptionKey)
      .update(`csrf\u0000${sessionId}`)
      .digest('base64url');
  }

  private checkCsrf(req: Request, sessionId: string): void {
    const origin = req.get('origin');
    const sent = req.get(CSRF_HEADER) ?? '';
    const expected = createHmac('sha256', this.deps.config.tokenEncryptionKey)
      .update(`csrf\u0000${sessionId}`)
      .digest('base64url');
    if ((origin !== undefined && origin !== this.origin) || !sameText(sent, expected)) {
      throw new AppError(
        403,
        'csrf_failed',
        'This request did not come from a Calendar Sync page (missing or wrong CSRF token). Reload the page.',
      );
    }
  }

  /** Ends this browser's session; the person's feeds keep running with their Jira sign-in. */
  async signOut(req: Request): Promise<string[]> {
    const sessionId = readCookies(req).get(this.sessionCookie);
    if (sessionId) {
      this.checkCsrf(req, sessionId);
      await this.deps.sessions.delete(this.clientKey, sha256(sessionId));
    }
    return [
      serializeCookie(this.sessionCookie, '', {
        secure: this.secure,
        path: '/',
        maxAgeSeconds: 0,
        sameSite: 'Lax',
      }),
    ];
  }
}
