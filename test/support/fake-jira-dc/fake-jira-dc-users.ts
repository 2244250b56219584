import { SEED_ACCOUNTS } from '../fake-jira/fake-jira-seed.js';
import type { FakeJiraData, FakeUser } from '../fake-jira/fake-jira-types.js';

/** A Data Center user: the login (`name`, renameable) and the stable `key` Jira keeps behind it. */
export type DcIdentity = { name: string; key: string; user: FakeUser };

const SEED_NAMES = new Map<string, string>(
  Object.entries(SEED_ACCOUNTS).map(([name, accountId]) => [accountId, name]),
);

function loginOf(user: FakeUser, index: number): string {
  const seeded = SEED_NAMES.get(user.accountId);
  if (seeded) return seeded;
  const local = user.emailAddress?.split('@')[0];
  if (local) return local.toLowerCase();
  const word = user.displayName
    .normalize('NFD')
    .replace(/[^A-Za-z ]/g, '')
    .trim()
    .split(/\s+/)[0];
  return word ? word.toLowerCase() : `user${index}`;
}

/**
 * The fake's users as Data Center names them. The data model is the fake Jira's own (keyed by account
 * id); Data Center never shows an account id, only these.
 */
export function dcIdentities(data: FakeJiraData): DcIdentity[] {
  return data.users.map((user, index) => ({
    name: loginOf(user, index),
    key: `JIRAUSER${10000 + index}`,
    user,
  }));
}

export function dcIdentity(data: FakeJiraData, accountId: string): DcIdentity {
  const found = dcIdentities(data).find((identity) => identity.user.accountId === accountId);
  if (!found) throw new Error(`no user ${accountId} in the fake Jira`);
  return found;
}
