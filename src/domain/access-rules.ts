import type { FeedEvent } from './feed-event.js';
import type { FeedConfig } from './feed-config.js';

/** The calendars a feed offers: the shared "All" calendar, and each user's own items. */
export const CALENDARS = ['all', 'mine'] as const;
export type CalendarName = (typeof CALENDARS)[number];

export function isCalendarName(value: string): value is CalendarName {
  return (CALENDARS as readonly string[]).includes(value);
}

/** What Jira (via the cache) says about one user. */
export type MembershipFacts = {
  active: boolean;
  groups: ReadonlySet<string>;
  /** Project ids per role id where the user holds the role, directly or through a group. */
  roleProjects: ReadonlyMap<string, ReadonlySet<string>>;
};

export type Visibility =
  | { allowed: false; reason: string }
  | {
      allowed: true;
      /** null: every project of the feed. */
      projectIds: string[] | null;
      /** Only events that name this account in a "divide by user" field. */
      accountFilter: string | null;
    };

/** Which calendars of this feed exist at all (before asking who may see them). */
export function offeredCalendars(config: FeedConfig): CalendarName[] {
  const calendars: CalendarName[] = [];
  if (config.access.mode !== 'none') calendars.push('all');
  if (config.access.divideByUserFields.length > 0) calendars.push('mine');
  return calendars;
}

export function visibilityFor(
  config: FeedConfig,
  calendar: CalendarName,
  accountId: string,
  facts: MembershipFacts,
): Visibility {
  if (!facts.active) return { allowed: false, reason: 'The Jira account is deactivated' };
  if (calendar === 'mine') {
    return config.access.divideByUserFields.length > 0
      ? { allowed: true, projectIds: null, accountFilter: accountId }
      : { allowed: false, reason: 'This feed has no per-user calendars' };
  }
  const access = config.access;
  switch (access.mode) {
    case 'none':
      return { allowed: false, reason: 'This feed is not shared with users' };
    case 'all':
      return { allowed: true, projectIds: null, accountFilter: null };
    case 'groups':
      return access.groups.some((group) => facts.groups.has(group.name))
        ? { allowed: true, projectIds: null, accountFilter: null }
        : { allowed: false, reason: "Not in any of the feed's groups" };
    case 'roles': {
      const projects = new Set<string>();
      for (const role of access.roles)
        for (const project of facts.roleProjects.get(role.id) ?? []) projects.add(project);
      return projects.size > 0
        ? { allowed: true, projectIds: [...projects].sort(), accountFilter: null }
        : { allowed: false, reason: "Holds none of the feed's project roles" };
    }
  }
}

/** The events a subscriber sees; `issueIds` (from a permission check) further limits issue events. */
export function visibleEvents(
  events: readonly FeedEvent[],
  visibility: Visibility & { allowed: true },
  issueIds: ReadonlySet<string> | null,
): FeedEvent[] {
  const projects = visibility.projectIds === null ? null : new Set(visibility.projectIds);
  return events.filter(
    (event) =>
      (projects === null || event.projectIds.some((project) => projects.has(project))) &&
      (visibility.accountFilter === null || event.userAccountIds.includes(visibility.accountFilter)) &&
      (issueIds === null || event.issueId === null || issueIds.has(event.issueId)),
  );
}
