/** An issue as the Jira search API returns it, reduced to what the event rules read. */
export type JiraIssueLike = { id: string; key: string; fields: Record<string, unknown> };

export type FeedEventKind = 'issue' | 'sprint' | 'version';

/**
 * One calendar entry, ready for the renderer and small enough to store as JSON.
 * All-day events carry 'YYYY-MM-DD' dates with an exclusive end; timed events carry UTC ISO instants.
 */
export type FeedEvent = {
  /** `${issueId}-${ruleId}@${uidDomain}`, `sprint-${sprintId}-${ruleId}@…` or `version-${versionId}-${ruleId}@…` (see `eventUidDomain`). */
  uid: string;
  kind: FeedEventKind;
  ruleId: string;
  issueId: string | null;
  issueKey: string | null;
  /** For sprints and versions: the projects of the issues that carry them. */
  projectIds: string[];
  allDay: boolean;
  start: string;
  end: string;
  summary: string;
  description: string;
  url: string | null;
  categories: string[];
  transparent: boolean;
  alarmMinutesBefore: number | null;
  resolved: boolean;
  /**
   * UTC ISO; when the event's content last changed (DTSTAMP and LAST-MODIFIED). Before revisions are applied:
   * the issue's `updated` (sprints and versions: the latest `updated` of their issues).
   */
  stamp: string;
  /** Rises by one each time the rendered content changes; see `applyRevisions`. */
  sequence: number;
  /** Account ids found in the feed's `access.divideByUserFields`. */
  userAccountIds: string[];
  /**
   * UTC ISO; on an all-day event of a rule set to the subscriber's day, the date-time its day was taken
   * from (in the feed's zone here; see `inSubscriberZone`).
   */
  instant?: string;
  /** UTC ISO; set on a removed issue's event the feed keeps a while as cancelled (see `tombstones.ts`). */
  cancelledAt?: string;
};

export const MAX_SEQUENCE = 2 ** 31 - 1;
