import { z } from 'zod';
import type { AccountFootprint, PrivacyRepository } from '../db/privacy-repository.js';
import { badRequest } from '../errors.js';
import type { Actor } from './actor.js';
import type { SyncRequests } from './sync-requests.js';

const accountIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9:_-]+$/, 'Must be an Atlassian account id');

export const ERASED_ACCOUNT = 'erased-account';

/**
 * What the app stores about one Atlassian account on one site, and erasing it. Everything here is
 * scoped to the caller's site; the app holds no e-mail addresses or names of its own.
 */
export class PrivacyService {
  constructor(
    private readonly deps: {
      privacy: PrivacyRepository;
      syncRequests: SyncRequests;
      /** Drops what this process holds in memory for the account (Data Center's access tokens). */
      forgetInMemory?: (clientKey: string, accountId: string) => void;
    },
  ) {}

  parseAccountId(raw: string): string {
    const parsed = accountIdSchema.safeParse(raw);
    if (!parsed.success)
      throw badRequest('Not an account id', [
        { path: 'accountId', message: parsed.error.issues[0]?.message ?? 'invalid' },
      ]);
    return parsed.data;
  }

  /** What is stored about the account on the actor's site. */
  report(actor: Actor, accountId: string): Promise<AccountFootprint> {
    return this.deps.privacy.footprint(actor.clientKey, accountId);
  }

  /**
   * Erases the account: its URLs and their statistics are deleted (not just revoked), cached
   * memberships dropped, authorship replaced, and feeds whose events name the account are re-synced
   * so their text comes fresh from Jira (which anonymises closed accounts).
   */
  erase(actor: Actor, accountId: string): Promise<{ subscriptionsDeleted: number; feedsResynced: number }> {
    return this.eraseAccount(actor.clientKey, accountId);
  }

  /**
   * The same erasure asked for by the app itself rather than a person (Atlassian reported the account
   * closed). Safe to repeat.
   */
  async eraseAccount(
    clientKey: string,
    accountId: string,
  ): Promise<{ subscriptionsDeleted: number; feedsResynced: number }> {
    const { subscriptionsDeleted, feedsNamingAccount } = await this.deps.privacy.erase(
      clientKey,
      accountId,
      ERASED_ACCOUNT,
    );
    this.deps.forgetInMemory?.(clientKey, accountId);
    for (const feedId of feedsNamingAccount) await this.deps.syncRequests.requestFull(clientKey, feedId);
    return { subscriptionsDeleted, feedsResynced: feedsNamingAccount.length };
  }

  /** What is stored about the account on a site, for the app's own use (Personal Data Reporting). */
  footprint(clientKey: string, accountId: string): Promise<AccountFootprint> {
    return this.deps.privacy.footprint(clientKey, accountId);
  }
}
