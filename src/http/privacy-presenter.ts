import type { AccountFootprint } from '../db/privacy-repository.js';
import { presentReportedSubscription } from './subscription-presenter.js';

/** A personal-data report: everything the app stores about one account on one site. */
export const presentPersonalData = (accountId: string, found: AccountFootprint) => ({
  accountId,
  subscriptions: found.subscriptions.map(presentReportedSubscription),
  cachedAccount: found.cachedAccount
    ? {
        active: found.cachedAccount.active,
        groups: found.cachedAccount.groups,
        refreshedAt: found.cachedAccount.refreshedAt.toISOString(),
      }
    : null,
  projectRoles: found.projectRoles,
  feedsCreatedOrEdited: found.feedsTouched,
  /** Events currently stored that name this account (in a "divide by user" field); their text comes from Jira. */
  eventsNamingAccount: found.eventsNaming,
  /** Data Center only: the stored Jira sign-in (its token is never shown) and open browser sessions. */
  dataCenterSignIn: found.dataCenterSignIn
    ? {
        scope: found.dataCenterSignIn.scope,
        signedInAt: found.dataCenterSignIn.signedInAt.toISOString(),
        refreshedAt: found.dataCenterSignIn.refreshedAt.toISOString(),
        refusedAt: found.dataCenterSignIn.refusedAt?.toISOString() ?? null,
      }
    : null,
  dataCenterSessions: found.dataCenterSessions.map((session) => ({
    createdAt: session.createdAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
  })),
});
