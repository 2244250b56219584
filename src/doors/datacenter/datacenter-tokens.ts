import type { Knex } from 'knex';
import type { DataCenterTokenRepository } from '../../db/datacenter-token-repository.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { DataCenterAuth } from '../../jira/datacenter/datacenter-jira-client.js';
import { type DataCenterOAuth, GrantRefused, type TokenGrant } from './datacenter-oauth.js';
import type { TokenCipher } from '../../db/token-cipher.js';

/** An access token this close to its expiry is renewed first: a sync of many pages must not die half-way. */
const EXPIRY_MARGIN_MS = 60_000;

export const OWNER_SIGN_IN_NEEDED = 'owner_sign_in_needed';

export const ownerSignInNeeded = (): AppError =>
  new AppError(
    502,
    OWNER_SIGN_IN_NEEDED,
    'Jira no longer accepts the sign-in of this feed’s owner (revoked, expired, or the owner lost access). The owner must sign in again, or an administrator takes the feed over. The last good calendar is served meanwhile.',
  );

export const TOKEN_UNREADABLE = 'datacenter_token_unreadable';

/** The stored sign-in exists but this server's key does not open it: a configuration problem, not Jira's answer. */
export const tokenUnreadable = (): AppError =>
  new AppError(
    500,
    TOKEN_UNREADABLE,
    'This Calendar Sync server cannot decrypt the stored Jira sign-in with its TOKEN_ENCRYPTION_KEY (the key was changed, or the row belongs to another deployment sharing the database). Jira was not asked. Restore the key, or the user signs in again.',
  );

export const signInAgain = (): AppError =>
  new AppError(401, 'signin_required', 'Your Jira sign-in has ended or was revoked. Sign in again.');

type Cached = { token: string; expiresAt: number };

const sealContext = (clientKey: string, accountId: string): string =>
  `datacenter_user_tokens\u0000${clientKey}\u0000${accountId}`;

/**
 * Each Data Center user's Jira tokens: the refresh token encrypted in the database, access tokens only
 * in this process's memory. Refreshing rotates the refresh token, so a refresh holds the row's lock and
 * a process never runs two for one user at once. A refused refresh marks the token dead.
 */
export class DataCenterTokens {
  private readonly cache = new Map<string, Cached>();
  private readonly refreshing = new Map<string, Promise<Cached | 'refused' | 'unreadable'>>();

  constructor(
    private readonly deps: {
      knex: Knex;
      tokens: DataCenterTokenRepository;
      cipher: TokenCipher;
      oauth: DataCenterOAuth;
      apiBaseUrl: string;
      /** Whose tokens may stand for the site (group and role look-ups): feed owners. */
      siteReaders: (clientKey: string) => Promise<string[]>;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  async saveSignIn(clientKey: string, accountId: string, grant: TokenGrant): Promise<void> {
    const encrypted = this.deps.cipher.seal(grant.refreshToken, sealContext(clientKey, accountId));
    await this.deps.tokens.saveSignIn(
      clientKey,
      accountId,
      { encrypted, scope: grant.scope },
      this.deps.now(),
    );
    this.cache.set(cacheKey(clientKey, accountId), { token: grant.accessToken, expiresAt: grant.expiresAt });
  }

  /** Jira as this user; `refused` says what to do when Jira no longer takes their sign-in. */
  userAuth(clientKey: string, accountId: string, refused: () => AppError): DataCenterAuth {
    return {
      apiBaseUrl: this.deps.apiBaseUrl,
      authorization: async () => `Bearer ${await this.accessToken(clientKey, accountId, refused)}`,
      renew: async () => {
        this.cache.delete(cacheKey(clientKey, accountId));
        await this.accessToken(clientKey, accountId, refused);
      },
      refused,
    };
  }

  /**
   * Jira as the site, for what the app reads between page visits (group members, role actors): there is
   * no app user on Data Center, so a feed owner whose sign-in Jira still honours stands in.
   */
  siteAuth(clientKey: string): DataCenterAuth {
    let chosen: string | null = null;
    return {
      apiBaseUrl: this.deps.apiBaseUrl,
      authorization: async () => {
        chosen ??= await this.siteReader(clientKey);
        return `Bearer ${await this.accessToken(clientKey, chosen, ownerSignInNeeded)}`;
      },
      // Jira refused the stand-in (deactivated, deleted, revoked): a refresh tells, and another owner stands in.
      renew: async () => {
        if (chosen === null) return;
        this.cache.delete(cacheKey(clientKey, chosen));
        try {
          await this.accessToken(clientKey, chosen, ownerSignInNeeded);
        } catch (error) {
          if (!(error instanceof AppError && error.code === OWNER_SIGN_IN_NEEDED)) throw error;
          chosen = null;
        }
      },
      refused: ownerSignInNeeded,
    };
  }

  private async siteReader(clientKey: string): Promise<string> {
    const owners = new Set(await this.deps.siteReaders(clientKey));
    const usable = (await this.deps.tokens.listUsable(clientKey)).find((accountId) => owners.has(accountId));
    if (usable) return usable;
    throw new AppError(
      503,
      'no_signed_in_owner',
      'Calendar Sync reads Jira groups and project roles with a feed owner’s sign-in, and no owner’s sign-in is usable. A feed owner must sign in again.',
    );
  }

  async accessToken(clientKey: string, accountId: string, refused: () => AppError): Promise<string> {
    const key = cacheKey(clientKey, accountId);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.deps.now().getTime()) return cached.token;
    let pending = this.refreshing.get(key);
    if (!pending) {
      pending = this.refresh(clientKey, accountId).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, pending);
    }
    const result = await pending;
    if (result === 'refused') throw refused();
    if (result === 'unreadable') throw tokenUnreadable();
    this.cache.set(key, result);
    return result.token;
  }

  /** Forgets what this process holds for a user (sign-out of their last session does not end their feeds). */
  forget(clientKey: string, accountId: string): void {
    this.cache.delete(cacheKey(clientKey, accountId));
  }

  private async refresh(clientKey: string, accountId: string): Promise<Cached | 'refused' | 'unreadable'> {
    const context = sealContext(clientKey, accountId);
    type Outcome = Cached | 'refused' | 'dead' | 'unreadable';
    const outcome = await this.deps.knex.transaction(async (trx): Promise<Outcome> => {
      const row = await this.deps.tokens.findForUpdate(clientKey, accountId, trx);
      if (!row || row.refusedAt) return 'refused';
      const refreshToken = this.deps.cipher.open(row.refreshTokenEncrypted, context);
      // Jira was not asked: the row stays as it is, for the key that sealed it.
      if (refreshToken === null) return 'unreadable';
      let grant: TokenGrant;
      try {
        grant = await this.deps.oauth.refresh(refreshToken);
      } catch (error) {
        if (error instanceof GrantRefused) return 'dead';
        throw error;
      }
      await this.deps.tokens.saveRefreshed(
        clientKey,
        accountId,
        this.deps.cipher.seal(grant.refreshToken, context),
        this.deps.now(),
        trx,
      );
      return { token: grant.accessToken, expiresAt: grant.expiresAt };
    });
    if (outcome === 'unreadable') {
      this.deps.logger.warn(
        { clientKey, accountId },
        'a Data Center refresh token cannot be decrypted with this server’s key; Jira was not asked',
      );
      return outcome;
    }
    if (outcome !== 'dead') return outcome;
    await this.deps.tokens.markRefused(clientKey, accountId, this.deps.now());
    this.deps.logger.info(
      { clientKey, accountId },
      'Jira refused a Data Center user’s refresh token; marked for sign-in',
    );
    return 'refused';
  }
}

const cacheKey = (clientKey: string, accountId: string): string => `${clientKey}\u0000${accountId}`;
