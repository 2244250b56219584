import { type FeedConfig, parseFeedConfig } from '../../src/domain/feed-config.js';
import type { BuildContext } from '../../src/domain/feed-event-builder.js';
import type { FeedEvent, JiraIssueLike } from '../../src/domain/feed-event.js';
import type { Services } from '../../src/compose/core.js';

/**
 * A feed configuration as the API would accept it: one JQL source and one all-day rule on the due date,
 * with `overrides` on top. Parsed like a request body, so defaults are filled in and a bad override throws
 * with the fields it broke.
 */
export function feedConfig(overrides: Record<string, unknown> = {}): FeedConfig {
  const parsed = parseFeedConfig({
    name: 'F',
    source: { type: 'jql', jql: 'project = A' },
    rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
    ...overrides,
  });
  if (!parsed.ok) throw new Error(`feedConfig fixture rejected: ${JSON.stringify(parsed.fields)}`);
  return parsed.config;
}

/** What event building needs to know about the site and the moment, for a Cloud site at a fixed time. */
export function buildContext(overrides: Partial<BuildContext> = {}): BuildContext {
  return {
    jiraBaseUrl: 'https://acme.atlassian.net',
    uidDomain: 'cal.example.com',
    now: new Date('2024-03-15T12:00:00.000Z'),
    ...overrides,
  };
}

/** A stored all-day issue event on the due date of ABC-1, with `overrides` on top. */
export function feedEvent(overrides: Partial<FeedEvent> = {}): FeedEvent {
  return {
    uid: '10001-due@x',
    kind: 'issue',
    ruleId: 'due',
    issueId: '10001',
    issueKey: 'ABC-1',
    projectIds: ['100'],
    allDay: true,
    start: '2024-06-30',
    end: '2024-07-01',
    summary: 'ABC-1: Ship it',
    description: '',
    url: null,
    categories: [],
    transparent: false,
    alarmMinutesBefore: null,
    resolved: false,
    stamp: '2024-05-02T08:00:00.000Z',
    sequence: 0,
    userAccountIds: [],
    ...overrides,
  };
}

/** An issue as Jira's search returns it, with only the `fields` a test sets. */
export function jiraIssue(overrides: Partial<JiraIssueLike> = {}): JiraIssueLike {
  return { id: '1', key: 'ABC-1', fields: {}, ...overrides };
}

/** Accounts the site holds data for (cached Jira memberships), as fetched at `at`. */
export async function holdAccounts(
  services: Services,
  clientKey: string,
  accountIds: readonly string[],
  at: Date,
): Promise<void> {
  for (const accountId of accountIds)
    await services.accessRepository.saveUser(clientKey, {
      accountId,
      active: true,
      groupNames: [],
      refreshedAt: at,
    });
}
