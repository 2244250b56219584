import { z } from 'zod';
import type { PrivacyRepository } from '../db/privacy-repository.js';
import { badRequest } from '../errors.js';
import type { Actor } from './actor.js';
import type { SyncRequests } from './sync-requests.js';

const accountIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9:_-]+$/, 'Must be an Atlassian account id');

export type PersonalDataReport = {
  accountId: string;
  subscriptions: {
    feedId: string;
    feedName: string;
    calendar: string;
    createdAt: string;
    revokedAt: string | null;
    lastFetchedAt: string | null;
    fetchCount: number;
    lastUserAgent: string | null;
  }[];
  cachedAccount: { active: boolean; groups: string[]; refreshedAt: string } | null;
  projectRoles: { roleId: string; projectId: string }[];
  feedsCreatedOrEdited: { feedId: string; feedName: string; created: boolean; lastEdited: boolean }[];
  /** Events currently stored that name this account (in a "divide by user" field); their text comes from Jira. */
  eventsNamingAccount: { feedId: string; feedName: string; count: number }[];
};

export const ERASED_ACCOUNT = 'erased-account';

/**
 * What the app stores about one Atlassian account on one site, and erasing it. Everything here is
 * scoped to the caller's site; the app holds no e-mail addresses or names of its own.
 */
export class PrivacyService {
  constructor(private readonly deps: { privacy: PrivacyRepository; syncRequests: SyncRequests }) {}

  parseAccountId(raw: string): string {
    const parsed = accountIdSchema.safeParse(raw);
    if (!parsed.success)
      throw badRequest('Not an account id', [
        { path: 'accountId', message: parsed.error.issues[0]?.message ?? 'invalid' },
      ]);
    return parsed.data;
  }

  async report(actor: Actor, accountId: string): Promise<PersonalDataReport> {
    const found = await this.deps.privacy.footprint(actor.clientKey, accountId);
    return {
      accountId,
      subscriptions: found.subscriptions.map((s) => ({
        feedId: s.feedId,
        feedName: s.feedName,
        calendar: s.calendar,
        createdAt: s.createdAt.toISOString(),
        revokedAt: s.revokedAt?.toISOString() ?? null,
        lastFetchedAt: s.lastFetchedAt?.toISOString() ?? null,
        fetchCount: s.fetchCount,
        lastUserAgent: s.lastUserAgent,
      })),
      cachedAccount: found.cachedAccount
        ? {
            active: found.cachedAccount.active,
            groups: found.cachedAccount.groups,
            refreshedAt: found.cachedAccount.refreshedAt.toISOString(),
          }
        : null,
      projectRoles: found.projectRoles,
      feedsCreatedOrEdited: found.feedsTouched,
      eventsNamingAccount: found.eventsNaming,
    };
  }

  /**
   * Erases the account: its URLs and their statistics are deleted (not just revoked), cached
   * memberships dropped, authorship replaced, and feeds whose events name the account are re-synced
   * so their text comes fresh from Jira (which anonymises closed accounts).
   */
  async erase(
    actor: Actor,
    accountId: string,
  ): Promise<{ subscriptionsDeleted: number; feedsResynced: number }> {
    const { subscriptionsDeleted, feedsNamingAccount } = await this.deps.privacy.erase(
      actor.clientKey,
      accountId,
      ERASED_ACCOUNT,
    );
    for (const feedId of feedsNamingAccount) await this.deps.syncRequests.request(actor.clientKey, feedId);
    return { subscriptionsDeleted, feedsResynced: feedsNamingAccount.length };
  }
}
