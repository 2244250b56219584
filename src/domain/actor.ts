import type { ActiveInstallation } from './installation.js';

/**
 * Who is asking, whichever door they came through: a Jira user (accountId) of one installed site. Use
 * cases take an Actor and never look at the request or the credential that proved it.
 */
export type Actor = { clientKey: string; accountId: string; installation: ActiveInstallation };
