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
});
