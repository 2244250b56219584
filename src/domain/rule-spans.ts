import type { EventRule, RuleEnd } from './feed-config.js';
import type { JiraIssueLike } from './feed-event.js';
import type { EventSpan } from './feed-window.js';
import {
  isEmpty,
  readDateValue,
  readDurationMinutes,
  readTimeZone,
  readWallClock,
  type DateValue,
  type SprintData,
  type VersionData,
} from './jira-values.js';
import { addDays, dateInZone, parseDate, parseWallClock, toUtcIso, wallTimeToUtc } from './time-zones.js';

/** Where an event falls, or the omission reason (`empty:<field>`, `invalid:<field>`, `end-before-start`...). */
export type Outcome = { ok: true; span: EventSpan } | { ok: false; reason: string };

export type IssueRule = Extract<EventRule, { kind: 'allDay' | 'timed' | 'dateWithTime' | 'range' }>;

const MS_PER_MINUTE = 60_000;
const DEFAULT_START_MINUTES = 9 * 60;

export function issueSpan(rule: IssueRule, issue: JiraIssueLike, feedZone: string): Outcome {
  switch (rule.kind) {
    case 'allDay':
      return allDaySpan(rule, issue, feedZone);
    case 'timed':
      return timedRuleSpan(rule, issue, feedZone);
    case 'dateWithTime':
      return dateWithTimeSpan(rule, issue, feedZone);
    case 'range':
      return rangeSpan(rule, issue, feedZone);
  }
}

function allDaySpan(
  rule: Extract<IssueRule, { kind: 'allDay' }>,
  issue: JiraIssueLike,
  feedZone: string,
): Outcome {
  const zone = (rule.timeZoneField && readTimeZone(issue.fields[rule.timeZoneField])) || feedZone;
  const day = readDay(issue, rule.field, zone);
  if (!day.ok) return day;
  const span = { allDay: true as const, start: day.date, end: addDays(day.date, 1) };
  const value = rule.dayIn === 'subscriber' ? readDateValue(issue.fields[rule.field]) : null;
  return { ok: true, span: value?.kind === 'datetime' ? { ...span, instant: toUtcIso(value.ms) } : span };
}

function timedRuleSpan(
  rule: Extract<IssueRule, { kind: 'timed' }>,
  issue: JiraIssueLike,
  feedZone: string,
): Outcome {
  const value = readDateValue(issue.fields[rule.field]);
  if (value.kind === 'empty') return { ok: false, reason: `empty:${rule.field}` };
  if (value.kind !== 'datetime') return { ok: false, reason: `invalid:${rule.field}` };
  return timedSpan(value.ms, rule.end, issue, feedZone, null);
}

function dateWithTimeSpan(
  rule: Extract<IssueRule, { kind: 'dateWithTime' }>,
  issue: JiraIssueLike,
  feedZone: string,
): Outcome {
  const zone = rule.timeZone ?? feedZone;
  const day = readDay(issue, rule.field, zone);
  if (!day.ok) return day;
  let startMinutes = parseWallClock(rule.startTime) ?? DEFAULT_START_MINUTES;
  if (rule.startTimeField) {
    const fromIssue = readWallClock(issue.fields[rule.startTimeField]);
    if (fromIssue === 'invalid') return { ok: false, reason: `invalid:${rule.startTimeField}` };
    if (fromIssue !== 'empty') startMinutes = fromIssue;
  }
  const startMs = atWallClock(zone, day.date, startMinutes);
  return timedSpan(startMs, rule.end, issue, zone, { date: day.date, minutes: startMinutes });
}

/** The day a date or date-time field falls on in `zone`. */
function readDay(
  issue: JiraIssueLike,
  field: string,
  zone: string,
): { ok: true; date: string } | { ok: false; reason: string } {
  const value = readDateValue(issue.fields[field]);
  if (value.kind === 'empty' || value.kind === 'invalid')
    return { ok: false, reason: `${value.kind}:${field}` };
  return { ok: true, date: value.kind === 'date' ? value.date : dateInZone(zone, value.ms) };
}

function rangeSpan(
  rule: Extract<IssueRule, { kind: 'range' }>,
  issue: JiraIssueLike,
  feedZone: string,
): Outcome {
  const start = readDateValue(issue.fields[rule.startField]);
  const end = readDateValue(issue.fields[rule.endField]);
  for (const [value, field] of [
    [start, rule.startField],
    [end, rule.endField],
  ] as const) {
    if (value.kind === 'empty' || value.kind === 'invalid')
      return { ok: false, reason: `${value.kind}:${field}` };
  }
  if (start.kind === 'datetime' && end.kind === 'datetime') return instantSpan(start.ms, end.ms);
  const startDate = dateOf(start, feedZone);
  const endDate = dateOf(end, feedZone);
  if (startDate === null || endDate === null) return { ok: false, reason: 'invalid:range' };
  if (endDate < startDate) return { ok: false, reason: 'end-before-start' };
  return { ok: true, span: { allDay: true, start: startDate, end: addDays(endDate, 1) } };
}

/**
 * `startWall` is the wall-clock date and time a dateWithTime rule placed the event at (for fixed end
 * times); null for timed rules.
 */
function timedSpan(
  startMs: number,
  end: RuleEnd,
  issue: JiraIssueLike,
  zone: string,
  startWall: { date: string; minutes: number } | null,
): Outcome {
  switch (end.type) {
    case 'duration':
      return instantSpan(startMs, startMs + end.minutes * MS_PER_MINUTE);
    case 'durationField': {
      const minutes = readDurationMinutes(end.field, issue.fields[end.field]);
      if (minutes === 'invalid') return { ok: false, reason: `invalid:${end.field}` };
      return instantSpan(
        startMs,
        startMs + (minutes === 'empty' ? end.defaultMinutes : minutes) * MS_PER_MINUTE,
      );
    }
    case 'endField': {
      const value = readDateValue(issue.fields[end.field]);
      if (value.kind === 'empty' || value.kind === 'invalid')
        return { ok: false, reason: `${value.kind}:${end.field}` };
      return instantSpan(
        startMs,
        value.kind === 'datetime' ? value.ms : atWallClock(zone, addDays(value.date, 1), 0),
      );
    }
    case 'fixedEndTime': {
      const endMinutes = parseWallClock(end.time) ?? 0;
      const endMs = atWallClock(zone, startWall?.date ?? dateInZone(zone, startMs), endMinutes);
      // A start in a DST gap moves forward by the gap (02:30 → 03:30) and may pass the end (03:00):
      // keep the duration the wall-clock times meant (RFC 5545 3.3.5) rather than drop the event.
      const intendedMinutes = startWall ? endMinutes - startWall.minutes : 0;
      if (endMs <= startMs && intendedMinutes > 0)
        return instantSpan(startMs, startMs + intendedMinutes * MS_PER_MINUTE);
      return instantSpan(startMs, endMs);
    }
  }
}

function instantSpan(startMs: number, endMs: number): Outcome {
  if (endMs < startMs) return { ok: false, reason: 'end-before-start' };
  if (endMs === startMs) return { ok: false, reason: 'zero-length' };
  return { ok: true, span: { allDay: false, startMs, endMs } };
}

/** A sprint from its start to its `completeDate` when it closed with one (early or late), else its `endDate`. */
export function sprintSpan(sprint: SprintData, feedZone: string): Outcome {
  const start = readDateValue(sprint.startDate);
  const closedEarlyOrLate = sprint.state === 'closed' && !isEmpty(sprint.completeDate);
  const end = readDateValue(closedEarlyOrLate ? sprint.completeDate : sprint.endDate);
  if (start.kind === 'empty' || end.kind === 'empty') return { ok: false, reason: 'empty:sprint-dates' };
  const startMs = instantOf(start, feedZone);
  const endMs = instantOf(end, feedZone);
  if (startMs === null || endMs === null) return { ok: false, reason: 'invalid:sprint-dates' };
  if (endMs <= startMs) return { ok: false, reason: 'end-before-start' };
  return { ok: true, span: { allDay: false, startMs, endMs } };
}

/** A version on its release date, or from its start date through its release date. */
export function versionSpan(version: VersionData, useStartDate: boolean, feedZone: string): Outcome {
  const release = readDateValue(version.releaseDate);
  if (release.kind === 'empty') return { ok: false, reason: 'empty:releaseDate' };
  const releaseDate = dateOf(release, feedZone);
  if (releaseDate === null) return { ok: false, reason: 'invalid:releaseDate' };
  let startDate = releaseDate;
  if (useStartDate) {
    const start = readDateValue(version.startDate);
    const parsed = start.kind === 'empty' ? releaseDate : dateOf(start, feedZone);
    if (parsed === null) return { ok: false, reason: 'invalid:startDate' };
    if (parsed > releaseDate) return { ok: false, reason: 'end-before-start' };
    startDate = parsed;
  }
  return { ok: true, span: { allDay: true, start: startDate, end: addDays(releaseDate, 1) } };
}

function dateOf(value: DateValue, zone: string): string | null {
  return value.kind === 'date' ? value.date : value.kind === 'datetime' ? dateInZone(zone, value.ms) : null;
}

function instantOf(value: DateValue, zone: string): number | null {
  return value.kind === 'datetime'
    ? value.ms
    : value.kind === 'date'
      ? atWallClock(zone, value.date, 0)
      : null;
}

function atWallClock(zone: string, date: string, minutesOfDay: number): number {
  const parsed = parseDate(date);
  if (!parsed) throw new Error(`Not a date: ${date}`);
  const hour = Math.floor(minutesOfDay / 60);
  return wallTimeToUtc(zone, { ...parsed, hour, minute: minutesOfDay % 60, second: 0 });
}
