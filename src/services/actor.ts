import type { ActiveInstallation } from '../domain/installation.js';
import type { JiraAuth } from '../jira/jira-auth.js';

/**
 * Who is asking, whichever door they came through: a Jira user (accountId) of one installed site. Use
 * cases take an Actor and never look at the request or the credential that proved it. `asUser` is a way
 * to ask Jira as that user, where the door hands one over (Forge's user token); null otherwise.
 */
export type Actor = {
  clientKey: string;
  accountId: string;
  installation: ActiveInstallation;
  asUser: JiraAuth | null;
};
