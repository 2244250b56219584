import type { EventRule, FeedConfig, RuleEnd } from './feed-config.js';
import { MAX_DURATION_MINUTES } from './feed-config.js';
import type { FeedEvent, JiraIssueLike } from './feed-event.js';
import type { OmittedIssues } from './feed.js';
import {
  endsBeforeWindow,
  feedWindow,
  startsAfterWindow,
  type EventSpan,
  type FeedWindow,
} from './feed-window.js';
import {
  finishDescription,
  finishSummary,
  issueUrl,
  parseTemplate,
  renderTemplate,
  type ParsedTemplate,
} from './templates.js';
import {
  addDays,
  dateInZone,
  isValidTimeZone,
  parseDate,
  parseOffsetDateTime,
  parseWallClock,
  toUtcIso,
  wallTimeToUtc,
} from './time-zones.js';

export type { JiraIssueLike };

export type BuildContext = {
  jiraBaseUrl: string;
  /** Right-hand side of every UID (`eventUidDomain`): names the site and the feed. */
  uidDomain: string;
  now: Date;
};

export type BuildResult = {
  events: FeedEvent[];
  /** Events that could not be built from the data (empty or unparseable fields, inverted ranges). */
  omitted: OmittedIssues;
  /** Events built but left out on purpose by the feed's settings. */
  filtered: { outsideWindow: number; resolvedHidden: number };
  /** Each omission with the issue it was counted against, in the order counted (an incremental sync's bookkeeping). */
  omissions: { issueKey: string; reason: string }[];
};

const MAX_OMITTED_EXAMPLES = 20;
const MS_PER_MINUTE = 60_000;
/** Jira's time-tracking fields hold seconds; other number fields used as durations are read as minutes. */
const SECONDS_FIELDS = new Set([
  'timeoriginalestimate',
  'timeestimate',
  'timespent',
  'aggregatetimeoriginalestimate',
  'aggregatetimeestimate',
  'aggregatetimespent',
]);

type Outcome = { ok: true; span: EventSpan } | { ok: false; reason: string };
type DateValue =
  { kind: 'date'; date: string } | { kind: 'datetime'; ms: number } | { kind: 'empty' } | { kind: 'invalid' };

type IssueFacts = {
  issue: JiraIssueLike;
  updatedMs: number;
  projectId: string | null;
  projectKey: string | null;
  resolved: boolean;
  userAccountIds: string[];
};

type Carried<T> = { item: T; issues: IssueFacts[] };

type SprintData = {
  id: string;
  name: string;
  state: string;
  goal: string;
  boardId: string | null;
  startDate: unknown;
  endDate: unknown;
  completeDate: unknown;
};

type VersionData = {
  id: string;
  name: string;
  description: string;
  released: boolean;
  releaseDate: unknown;
  startDate: unknown;
};

type Draft = Omit<FeedEvent, 'allDay' | 'start' | 'end'>;

/**
 * Turns Jira issues into calendar events following the feed's rules. Pure: `now` only positions the window.
 * Events come out at SEQUENCE 0, stamped with their data's last update; `applyRevisions` gives them their history.
 * Sprint events end at `completeDate` when a closed sprint has one (when it really ended, early or late),
 * otherwise at `endDate`.
 */
export function buildFeedEvents(config: FeedConfig, issues: JiraIssueLike[], ctx: BuildContext): BuildResult {
  const builder = new FeedEventBuilder(config, ctx);
  for (const issue of uniqueIssues(issues)) builder.addIssue(issue);
  return builder.finish();
}

/** `buildFeedEvents` that awaits `pause` every `every` issues, so a big sync does not hold the event loop. */
export async function buildFeedEventsInChunks(
  config: FeedConfig,
  issues: JiraIssueLike[],
  ctx: BuildContext,
  pause: () => Promise<void>,
  every = 250,
): Promise<BuildResult> {
  const builder = new FeedEventBuilder(config, ctx);
  let added = 0;
  for (const issue of uniqueIssues(issues)) {
    builder.addIssue(issue);
    if (++added % every === 0) await pause();
  }
  return builder.finish();
}

class FeedEventBuilder {
  private readonly summaryTemplate: ParsedTemplate;
  private readonly descriptionTemplate: ParsedTemplate;
  private readonly window: FeedWindow;
  private readonly events: FeedEvent[] = [];
  private readonly omitted: OmittedIssues = { count: 0, byReason: {}, examples: [] };
  private readonly filtered = { outsideWindow: 0, resolvedHidden: 0 };
  private readonly omissions: { issueKey: string; reason: string }[] = [];
  private readonly sprints = new Map<string, Map<string, Carried<SprintData>>>();
  private readonly versions = new Map<string, Map<string, Carried<VersionData>>>();

  constructor(
    private readonly config: FeedConfig,
    private readonly ctx: BuildContext,
  ) {
    this.summaryTemplate = compile(config.content.summaryTemplate);
    this.descriptionTemplate = compile(config.content.descriptionTemplate);
    this.window = feedWindow(config.window, config.timeZone, ctx.now);
  }

  addIssue(issue: JiraIssueLike): void {
    const facts = issueFacts(issue, this.config.access.divideByUserFields);
    for (const rule of this.config.rules) {
      switch (rule.kind) {
        case 'sprint':
          this.collectSprints(rule.id, rule.field, facts);
          break;
        case 'version':
          this.collectVersions(rule.id, facts);
          break;
        case 'allDay':
        case 'timed':
        case 'dateWithTime':
        case 'range': {
          const outcome = issueSpan(rule, issue, this.config.timeZone);
          if (outcome.ok) this.push(this.issueDraft(rule.id, facts), outcome.span);
          else this.omit(issue.key, outcome.reason);
          break;
        }
      }
    }
  }

  finish(): BuildResult {
    for (const rule of this.config.rules) {
      if (rule.kind === 'sprint') this.finishSprints(rule.id);
      if (rule.kind === 'version') this.finishVersions(rule.id, rule.useStartDate);
    }
    this.events.sort((a, b) => compare(a.start, b.start) || compare(a.uid, b.uid));
    return { events: this.events, omitted: this.omitted, filtered: this.filtered, omissions: this.omissions };
  }

  private issueDraft(ruleId: string, facts: IssueFacts): Draft {
    const { issue } = facts;
    const context = { jiraBaseUrl: this.ctx.jiraBaseUrl };
    let summary =
      finishSummary(renderTemplate(this.summaryTemplate, issue, context)) || finishSummary(issue.key);
    if (facts.resolved && this.config.content.resolved === 'mark') summary = finishSummary(`✓ ${summary}`);
    return {
      ...this.shared(facts.resolved),
      uid: `${issue.id}-${ruleId}@${this.ctx.uidDomain}`,
      kind: 'issue',
      ruleId,
      issueId: issue.id,
      issueKey: issue.key,
      projectIds: facts.projectId ? [facts.projectId] : [],
      summary,
      description: finishDescription(renderTemplate(this.descriptionTemplate, issue, context)),
      url: issueUrl(this.ctx.jiraBaseUrl, issue.key),
      stamp: toUtcIso(facts.updatedMs),
      sequence: 0,
      userAccountIds: facts.userAccountIds,
    };
  }

  private shared(
    resolved: boolean,
  ): Pick<Draft, 'categories' | 'transparent' | 'alarmMinutesBefore' | 'resolved'> {
    const { content } = this.config;
    return {
      categories: [...content.categories],
      transparent: content.transparency === 'free',
      alarmMinutesBefore: content.alarmMinutesBefore,
      resolved,
    };
  }

  private push(draft: Draft, span: EventSpan): void {
    if (endsBeforeWindow(span, this.window)) {
      if (draft.resolved || !this.config.window.keepUnresolvedOverdue) {
        this.filtered.outsideWindow += 1;
        return;
      }
    } else if (startsAfterWindow(span, this.window)) {
      this.filtered.outsideWindow += 1;
      return;
    }
    if (draft.resolved && this.config.content.resolved === 'hide') {
      this.filtered.resolvedHidden += 1;
      return;
    }
    this.events.push(
      span.allDay
        ? { ...draft, allDay: true, start: span.start, end: span.end }
        : { ...draft, allDay: false, start: toUtcIso(span.startMs), end: toUtcIso(span.endMs) },
    );
  }

  private omit(issueKey: string, reason: string): void {
    this.omitted.count += 1;
    this.omissions.push({ issueKey, reason });
    this.omitted.byReason[reason] = (this.omitted.byReason[reason] ?? 0) + 1;
    if (this.omitted.examples.length < MAX_OMITTED_EXAMPLES) this.omitted.examples.push({ issueKey, reason });
  }

  private collectSprints(ruleId: string, field: string, facts: IssueFacts): void {
    const raw = facts.issue.fields[field];
    if (isEmpty(raw)) return;
    const values = Array.isArray(raw) ? raw : [raw];
    const sprints = values.map(sprintData);
    if (sprints.some((sprint) => sprint === null)) this.omit(facts.issue.key, `invalid:${field}`);
    const byId = getOrCreate(this.sprints, ruleId);
    for (const sprint of sprints) if (sprint) carry(byId, sprint.id, sprint, facts);
  }

  private collectVersions(ruleId: string, facts: IssueFacts): void {
    const raw = facts.issue.fields['fixVersions'];
    if (isEmpty(raw)) return;
    const values = Array.isArray(raw) ? raw : [raw];
    const versions = values.map(versionData);
    if (versions.some((version) => version === null)) this.omit(facts.issue.key, 'invalid:fixVersions');
    const byId = getOrCreate(this.versions, ruleId);
    for (const version of versions) if (version) carry(byId, version.id, version, facts);
  }

  private finishSprints(ruleId: string): void {
    for (const { item: sprint, issues } of sortedCarried(this.sprints.get(ruleId))) {
      const firstKey = issues[0]?.issue.key ?? '';
      const start = readDateValue(sprint.startDate);
      const closedEarlyOrLate = sprint.state === 'closed' && !isEmpty(sprint.completeDate);
      const end = readDateValue(closedEarlyOrLate ? sprint.completeDate : sprint.endDate);
      if (start.kind === 'empty' || end.kind === 'empty') {
        this.omit(firstKey, 'empty:sprint-dates');
        continue;
      }
      const startMs = instantOf(start, this.config.timeZone);
      const endMs = instantOf(end, this.config.timeZone);
      if (startMs === null || endMs === null) {
        this.omit(firstKey, 'invalid:sprint-dates');
        continue;
      }
      if (endMs <= startMs) {
        this.omit(firstKey, 'end-before-start');
        continue;
      }
      const resolved = sprint.state === 'closed';
      const boardUrl = sprint.boardId
        ? `${this.ctx.jiraBaseUrl.replace(/\/+$/, '')}/secure/RapidBoard.jspa?rapidView=${encodeURIComponent(sprint.boardId)}`
        : null;
      this.push(
        {
          ...this.carriedDraft(`sprint-${sprint.id}-${ruleId}`, 'sprint', ruleId, issues, resolved),
          summary: this.markResolved(finishSummary(sprint.name) || `Sprint ${sprint.id}`, resolved),
          description: finishDescription(sprint.goal),
          url: boardUrl,
        },
        { allDay: false, startMs, endMs },
      );
    }
  }

  private finishVersions(ruleId: string, useStartDate: boolean): void {
    for (const { item: version, issues } of sortedCarried(this.versions.get(ruleId))) {
      const firstKey = issues[0]?.issue.key ?? '';
      const release = readDateValue(version.releaseDate);
      if (release.kind === 'empty') {
        this.omit(firstKey, 'empty:releaseDate');
        continue;
      }
      const releaseDate = dateOf(release, this.config.timeZone);
      if (releaseDate === null) {
        this.omit(firstKey, 'invalid:releaseDate');
        continue;
      }
      let startDate = releaseDate;
      if (useStartDate) {
        const start = readDateValue(version.startDate);
        const parsed = start.kind === 'empty' ? releaseDate : dateOf(start, this.config.timeZone);
        if (parsed === null) {
          this.omit(firstKey, 'invalid:startDate');
          continue;
        }
        if (parsed > releaseDate) {
          this.omit(firstKey, 'end-before-start');
          continue;
        }
        startDate = parsed;
      }
      const projectKey = issues.find((facts) => facts.projectKey)?.projectKey ?? null;
      const name = finishSummary(version.name) || `Version ${version.id}`;
      this.push(
        {
          ...this.carriedDraft(
            `version-${version.id}-${ruleId}`,
            'version',
            ruleId,
            issues,
            version.released,
          ),
          summary: this.markResolved(
            finishSummary(projectKey ? `${projectKey} ${name}` : name),
            version.released,
          ),
          description: finishDescription(version.description),
          url: projectKey
            ? `${this.ctx.jiraBaseUrl.replace(/\/+$/, '')}/projects/${encodeURIComponent(projectKey.toWellFormed())}/versions/${encodeURIComponent(version.id)}`
            : null,
        },
        { allDay: true, start: startDate, end: addDays(releaseDate, 1) },
      );
    }
  }

  private carriedDraft(
    uidPrefix: string,
    kind: 'sprint' | 'version',
    ruleId: string,
    issues: IssueFacts[],
    resolved: boolean,
  ): Omit<Draft, 'summary' | 'description' | 'url'> {
    const updatedMs = issues.reduce((latest, facts) => Math.max(latest, facts.updatedMs), 0);
    return {
      ...this.shared(resolved),
      uid: `${uidPrefix}@${this.ctx.uidDomain}`,
      kind,
      ruleId,
      issueId: null,
      issueKey: null,
      projectIds: sortedUnique(issues.flatMap((facts) => (facts.projectId ? [facts.projectId] : []))),
      stamp: toUtcIso(updatedMs),
      sequence: 0,
      userAccountIds: sortedUnique(issues.flatMap((facts) => facts.userAccountIds)),
    };
  }

  private markResolved(summary: string, resolved: boolean): string {
    return resolved && this.config.content.resolved === 'mark' ? finishSummary(`✓ ${summary}`) : summary;
  }
}

function issueSpan(
  rule: Extract<EventRule, { kind: 'allDay' | 'timed' | 'dateWithTime' | 'range' }>,
  issue: JiraIssueLike,
  feedZone: string,
): Outcome {
  const { fields } = issue;
  switch (rule.kind) {
    case 'allDay': {
      const value = readDateValue(fields[rule.field]);
      if (value.kind === 'empty' || value.kind === 'invalid')
        return { ok: false, reason: `${value.kind}:${rule.field}` };
      const zone = (rule.timeZoneField && zoneFromValue(fields[rule.timeZoneField])) || feedZone;
      const date = value.kind === 'date' ? value.date : dateInZone(zone, value.ms);
      return { ok: true, span: { allDay: true, start: date, end: addDays(date, 1) } };
    }
    case 'timed': {
      const value = readDateValue(fields[rule.field]);
      if (value.kind === 'empty') return { ok: false, reason: `empty:${rule.field}` };
      if (value.kind !== 'datetime') return { ok: false, reason: `invalid:${rule.field}` };
      return timedSpan(value.ms, rule.end, issue, feedZone, null);
    }
    case 'dateWithTime': {
      const zone = rule.timeZone ?? feedZone;
      const value = readDateValue(fields[rule.field]);
      if (value.kind === 'empty' || value.kind === 'invalid')
        return { ok: false, reason: `${value.kind}:${rule.field}` };
      const date = value.kind === 'date' ? value.date : dateInZone(zone, value.ms);
      let startMinutes = parseWallClock(rule.startTime) ?? 9 * 60;
      if (rule.startTimeField) {
        const fromIssue = readWallClock(fields[rule.startTimeField]);
        if (fromIssue === 'invalid') return { ok: false, reason: `invalid:${rule.startTimeField}` };
        if (fromIssue !== 'empty') startMinutes = fromIssue;
      }
      return timedSpan(atWallClock(zone, date, startMinutes), rule.end, issue, zone, { date, minutes: startMinutes });
    }
    case 'range': {
      const start = readDateValue(fields[rule.startField]);
      const end = readDateValue(fields[rule.endField]);
      for (const [value, field] of [
        [start, rule.startField],
        [end, rule.endField],
      ] as const) {
        if (value.kind === 'empty' || value.kind === 'invalid')
          return { ok: false, reason: `${value.kind}:${field}` };
      }
      if (start.kind === 'datetime' && end.kind === 'datetime') {
        if (end.ms < start.ms) return { ok: false, reason: 'end-before-start' };
        if (end.ms === start.ms) return { ok: false, reason: 'zero-length' };
        return { ok: true, span: { allDay: false, startMs: start.ms, endMs: end.ms } };
      }
      const startDate = dateOf(start, feedZone);
      const endDate = dateOf(end, feedZone);
      if (startDate === null || endDate === null) return { ok: false, reason: 'invalid:range' };
      if (endDate < startDate) return { ok: false, reason: 'end-before-start' };
      return { ok: true, span: { allDay: true, start: startDate, end: addDays(endDate, 1) } };
    }
  }
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
  let endMs: number;
  switch (end.type) {
    case 'duration':
      endMs = startMs + end.minutes * MS_PER_MINUTE;
      break;
    case 'durationField': {
      const minutes = readDurationMinutes(end.field, issue.fields[end.field]);
      if (minutes === 'invalid') return { ok: false, reason: `invalid:${end.field}` };
      endMs = startMs + (minutes === 'empty' ? end.defaultMinutes : minutes) * MS_PER_MINUTE;
      break;
    }
    case 'endField': {
      const value = readDateValue(issue.fields[end.field]);
      if (value.kind === 'empty' || value.kind === 'invalid')
        return { ok: false, reason: `${value.kind}:${end.field}` };
      endMs = value.kind === 'datetime' ? value.ms : atWallClock(zone, addDays(value.date, 1), 0);
      break;
    }
    case 'fixedEndTime': {
      const endMinutes = parseWallClock(end.time) ?? 0;
      endMs = atWallClock(zone, startWall?.date ?? dateInZone(zone, startMs), endMinutes);
      // A start in a DST gap moves forward by the gap (02:30 → 03:30) and may pass the end (03:00):
      // keep the duration the wall-clock times meant (RFC 5545 3.3.5) rather than drop the event.
      const intendedMinutes = startWall ? endMinutes - startWall.minutes : 0;
      if (endMs <= startMs && intendedMinutes > 0) endMs = startMs + intendedMinutes * MS_PER_MINUTE;
      break;
    }
  }
  if (endMs < startMs) return { ok: false, reason: 'end-before-start' };
  if (endMs === startMs) return { ok: false, reason: 'zero-length' };
  return { ok: true, span: { allDay: false, startMs, endMs } };
}

function compile(template: string): ParsedTemplate {
  const parsed = parseTemplate(template);
  if (!parsed.ok) throw new Error(`Invalid template in a validated feed config: ${parsed.message}`);
  return parsed.template;
}

function issueFacts(issue: JiraIssueLike, userFields: string[]): IssueFacts {
  const { fields } = issue;
  const updated = typeof fields['updated'] === 'string' ? parseOffsetDateTime(fields['updated']) : null;
  const created = typeof fields['created'] === 'string' ? parseOffsetDateTime(fields['created']) : null;
  const updatedMs = updated ?? created ?? 0;
  const project = asRecord(fields['project']);
  return {
    issue,
    updatedMs,
    projectId: idString(project?.['id']),
    projectKey: typeof project?.['key'] === 'string' ? project['key'] : null,
    resolved: !isEmpty(fields['resolution']),
    userAccountIds: sortedUnique(userFields.flatMap((field) => accountIds(fields[field]))),
  };
}

function accountIds(value: unknown, depth = 0): string[] {
  // Jira sends a user or a list of users; deeper nesting is malformed and must not overflow the stack.
  if (Array.isArray(value)) return depth > 8 ? [] : value.flatMap((item) => accountIds(item, depth + 1));
  const accountId = asRecord(value)?.['accountId'];
  return typeof accountId === 'string' && accountId !== '' ? [accountId] : [];
}

function readDateValue(value: unknown): DateValue {
  if (isEmpty(value)) return { kind: 'empty' };
  if (typeof value !== 'string') return { kind: 'invalid' };
  const text = value.trim();
  if (text.length === 10) return parseDate(text) ? { kind: 'date', date: text } : { kind: 'invalid' };
  const ms = parseOffsetDateTime(text);
  return ms === null ? { kind: 'invalid' } : { kind: 'datetime', ms };
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

/** A start time typed into an issue field: "7", "7:30", "07:30", or a number of hours (7.5 = 7:30). */
function readWallClock(value: unknown): number | 'empty' | 'invalid' {
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

function readDurationMinutes(field: string, value: unknown): number | 'empty' | 'invalid' {
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

function zoneFromValue(value: unknown): string | null {
  const text =
    typeof value === 'string' ? value : (asRecord(value)?.['timeZone'] ?? asRecord(value)?.['value']);
  return typeof text === 'string' && isValidTimeZone(text.trim()) ? text.trim() : null;
}

function textField(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : '';
}

function sprintData(value: unknown): SprintData | null {
  const record = asRecord(value);
  const id = idString(record?.['id']);
  if (!record || !id) return null;
  return {
    id,
    name: textField(record, 'name'),
    state: textField(record, 'state').toLowerCase(),
    goal: textField(record, 'goal'),
    boardId: idString(record['boardId'] ?? record['rapidViewId']),
    startDate: record['startDate'],
    endDate: record['endDate'],
    completeDate: record['completeDate'],
  };
}

function versionData(value: unknown): VersionData | null {
  const record = asRecord(value);
  const id = idString(record?.['id']);
  if (!record || !id) return null;
  return {
    id,
    name: textField(record, 'name'),
    description: textField(record, 'description'),
    released: record['released'] === true,
    releaseDate: record['releaseDate'],
    startDate: record['startDate'],
  };
}

function carry<T>(byId: Map<string, Carried<T>>, id: string, item: T, facts: IssueFacts): void {
  const entry = byId.get(id);
  if (entry) entry.issues.push(facts);
  else byId.set(id, { item, issues: [facts] });
}

function sortedCarried<T>(byId: Map<string, Carried<T>> | undefined): Carried<T>[] {
  if (!byId) return [];
  return [...byId.entries()].sort(([a], [b]) => compareIds(a, b)).map(([, carried]) => carried);
}

/** Drops repeated issues (a page boundary moving mid-sync), keeping the most recently updated copy; sorts by id. */
function uniqueIssues(issues: JiraIssueLike[]): JiraIssueLike[] {
  const byId = new Map<string, JiraIssueLike>();
  for (const issue of issues) {
    const existing = byId.get(issue.id);
    if (!existing || updatedMs(issue) > updatedMs(existing)) byId.set(issue.id, issue);
  }
  return [...byId.values()].sort((a, b) => compareIds(a.id, b.id));
}

function updatedMs(issue: JiraIssueLike): number {
  const updated = issue.fields['updated'];
  return (typeof updated === 'string' ? parseOffsetDateTime(updated) : null) ?? 0;
}

function getOrCreate<K, V>(map: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let inner = map.get(key);
  if (!inner) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

function isEmpty(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0)
  );
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

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort(compare);
}

/** Numeric ids in numeric order, anything else after them in code-unit order. */
function compareIds(a: string, b: string): number {
  return a.length !== b.length && /^\d+$/.test(a) && /^\d+$/.test(b) ? a.length - b.length : compare(a, b);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
