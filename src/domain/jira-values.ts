import { MAX_DURATION_MINUTES } from './feed-config.js';
import type { JiraIssueLike } from './feed-event.js';
import { sortedUnique } from './ordering.js';
import { isValidTimeZone, parseDate, parseOffsetDateTime, parseWallClock } from './time-zones.js';

/** Jira's time-tracking fields hold seconds; other number fields used as durations are read as minutes. */
const SECONDS_FIELDS = new Set([
  'timeoriginalestimate',
  'timeestimate',
  'timespent',
  'aggregatetimeoriginalestimate',
  'aggregatetimeestimate',
  'aggregatetimespent',
]);

export type DateValue =
  { kind: 'date'; date: string } | { kind: 'datetime'; ms: number } | { kind: 'empty' } | { kind: 'invalid' };

/** What the builder reads from an issue besides the rule's own fields. */
export type IssueFacts = {
  issue: JiraIssueLike;
  updatedMs: number;
  projectId: string | null;
  projectKey: string | null;
  resolved: boolean;
  userAccountIds: string[];
};

export type SprintData = {
  id: string;
  name: string;
  state: string;
  goal: string;
  boardId: string | null;
  startDate: unknown;
  endDate: unknown;
  completeDate: unknown;
};

export type VersionData = {
  id: string;
  name: string;
  description: string;
  released: boolean;
  releaseDate: unknown;
  startDate: unknown;
};

export function issueFacts(issue: JiraIssueLike, userFields: string[]): IssueFacts {
  const { fields } = issue;
  const created = typeof fields['created'] === 'string' ? parseOffsetDateTime(fields['created']) : null;
  const project = asRecord(fields['project']);
  return {
    issue,
    updatedMs: issueUpdatedMs(issue) ?? created ?? 0,
    projectId: idString(project?.['id']),
    projectKey: typeof project?.['key'] === 'string' ? project['key'] : null,
    resolved: !isEmpty(fields['resolution']),
    userAccountIds: sortedUnique(userFields.flatMap((field) => accountIds(fields[field]))),
  };
}

export function issueUpdatedMs(issue: JiraIssueLike): number | null {
  const updated = issue.fields['updated'];
  return typeof updated === 'string' ? parseOffsetDateTime(updated) : null;
}

function accountIds(value: unknown, depth = 0): string[] {
  // Jira sends a user or a list of users; deeper nesting is malformed and must not overflow the stack.
  if (Array.isArray(value)) return depth > 8 ? [] : value.flatMap((item) => accountIds(item, depth + 1));
  const accountId = asRecord(value)?.['accountId'];
  return typeof accountId === 'string' && accountId !== '' ? [accountId] : [];
}

export function readDateValue(value: unknown): DateValue {
  if (isEmpty(value)) return { kind: 'empty' };
  if (typeof value !== 'string') return { kind: 'invalid' };
  const text = value.trim();
  if (text.length === 10) return parseDate(text) ? { kind: 'date', date: text } : { kind: 'invalid' };
  const ms = parseOffsetDateTime(text);
  return ms === null ? { kind: 'invalid' } : { kind: 'datetime', ms };
}

/** A start time typed into an issue field: "7", "7:30", "07:30", or a number of hours (7.5 = 7:30). */
export function readWallClock(value: unknown): number | 'empty' | 'invalid' {
  if (isEmpty(value)) return 'empty';
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value >= 24) return 'invalid';
    return Math.round(value * 60);
  }
  const option = asRecord(value)?.['value'];
  const text = typeof value === 'string' ? value : typeof option === 'string' ? option : null;
  if (text === null) return 'invalid';
  return parseWallClock(text) ?? 'invalid';
}

export function readDurationMinutes(field: string, value: unknown): number | 'empty' | 'invalid' {
  if (isEmpty(value)) return 'empty';
  let amount: number;
  let unitSeconds = SECONDS_FIELDS.has(field);
  const record = asRecord(value);
  if (typeof value === 'number') amount = value;
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) amount = Number(value);
  else if (record && typeof record['originalEstimateSeconds'] === 'number') {
    amount = record['originalEstimateSeconds'];
    unitSeconds = true;
  } else return 'invalid';
  if (!Number.isFinite(amount) || amount < 0) return 'invalid';
  if (amount === 0) return 'empty';
  const minutes = Math.round(unitSeconds ? amount / 60 : amount);
  return Math.min(Math.max(minutes, 1), MAX_DURATION_MINUTES);
}

export function readTimeZone(value: unknown): string | null {
  const text =
    typeof value === 'string' ? value : (asRecord(value)?.['timeZone'] ?? asRecord(value)?.['value']);
  return typeof text === 'string' && isValidTimeZone(text.trim()) ? text.trim() : null;
}

/** The sprints or versions in a field that holds one or a list; null stands for one that could not be read. */
export function readList<T>(value: unknown, read: (item: unknown) => T | null): (T | null)[] {
  if (isEmpty(value)) return [];
  return (Array.isArray(value) ? value : [value]).map(read);
}

export function readSprint(value: unknown): SprintData | null {
  return withId(value, (record, id) => ({
    id,
    name: textField(record, 'name'),
    state: textField(record, 'state').toLowerCase(),
    goal: textField(record, 'goal'),
    boardId: idString(record['boardId'] ?? record['rapidViewId']),
    startDate: record['startDate'],
    endDate: record['endDate'],
    completeDate: record['completeDate'],
  }));
}

export function readVersion(value: unknown): VersionData | null {
  return withId(value, (record, id) => ({
    id,
    name: textField(record, 'name'),
    description: textField(record, 'description'),
    released: record['released'] === true,
    releaseDate: record['releaseDate'],
    startDate: record['startDate'],
  }));
}

export function isEmpty(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0)
  );
}

/** Reads an object from Jira that has a usable id; null for anything else. */
function withId<T>(value: unknown, read: (record: Record<string, unknown>, id: string) => T): T | null {
  const record = asRecord(value);
  const id = idString(record?.['id']);
  return record && id ? read(record, id) : null;
}

function textField(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : '';
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function idString(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : null;
}
