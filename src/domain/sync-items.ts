import { createHash } from 'node:crypto';
import type { FeedConfig } from './feed-config.js';
import type { FeedEvent, JiraIssueLike } from './feed-event.js';
import type { OmittedIssues } from './feed.js';
import { feedWindow, type WindowSettings } from './feed-window.js';
import { parseOffsetDateTime } from './time-zones.js';

/** What a sync saw of one issue: enough to tell whether it changed, never its content. */
export type IssueItem = {
  kind: 'issue';
  id: string;
  key: string;
  updatedMs: number;
  /** The sprints and versions it carries, as `sourceRef`s. */
  carries: string[];
  /** Why events of it (or of a sprint or version counted against it) were left out. */
  omitted: string[];
  /** Its events the size budget left out. */
  cut: CutEvent[];
};

/** What a sync saw of one sprint or version: the dates (and state) its event came from. */
export type SourceItem = {
  kind: 'sprint' | 'version';
  id: string;
  dates: Record<string, string | null>;
  cut: CutEvent[];
};

/**
 * An event the size budget left out, as much of it as the fit needs to rank it again (see `nearestFirst`) and
 * the data hash needs to stay the same: nothing the feed does not show.
 */
export type CutEvent = { uid: string; allDay: boolean; start: string; end: string; hash: string };

export type SyncItem = IssueItem | SourceItem;

type Source = { ref: string; kind: 'sprint' | 'version'; id: string; dates: Record<string, string | null> };

const MS_PER_DAY = 86_400_000;
/** The widest a zone's offset moves a date's midnight from UTC's (UTC+14). */
const MAX_ZONE_OFFSET_MS = 14 * 3_600_000;
const MAX_OMITTED_EXAMPLES = 20;
/** How much further ahead than the feed shows a sync looks, to know when the window takes in the next event. */
export const LOOKAHEAD_DAYS = 366;

export const sourceRef = (kind: 'sprint' | 'version', id: string): string => `${kind}:${id}`;

export function hasSources(config: FeedConfig): boolean {
  return config.rules.some((rule) => rule.kind === 'sprint' || rule.kind === 'version');
}

/** The fields that hold the feed's sprints and versions. */
export function sourceFields(config: FeedConfig): string[] {
  const fields = new Set<string>();
  for (const rule of config.rules) {
    if (rule.kind === 'sprint') fields.add(rule.field);
    if (rule.kind === 'version') fields.add('fixVersions');
  }
  return [...fields].sort();
}

/** The sprints and versions an issue carries for the feed's rules, with the values their events read. */
export function issueSources(config: FeedConfig, issue: JiraIssueLike): Source[] {
  const found = new Map<string, Source>();
  for (const rule of config.rules) {
    if (rule.kind !== 'sprint' && rule.kind !== 'version') continue;
    const raw = issue.fields[rule.kind === 'sprint' ? rule.field : 'fixVersions'];
    for (const value of Array.isArray(raw) ? (raw as unknown[]) : [raw]) {
      const record = asRecord(value);
      const id = idString(record?.['id']);
      if (!record || id === null) continue;
      const dates =
        rule.kind === 'sprint'
          ? {
              startDate: text(record['startDate']),
              endDate: text(record['endDate']),
              completeDate: text(record['completeDate']),
              state: text(record['state']),
              shown: fingerprint([
                record['name'],
                record['goal'],
                record['boardId'] ?? record['rapidViewId'],
              ]),
            }
          : {
              releaseDate: text(record['releaseDate']),
              startDate: text(record['startDate']),
              released: record['released'] === true ? 'true' : 'false',
              shown: fingerprint([record['name'], record['description']]),
            };
      const ref = sourceRef(rule.kind, id);
      if (!found.has(ref)) found.set(ref, { ref, kind: rule.kind, id, dates });
    }
  }
  return [...found.values()];
}

export function issueUpdatedMs(issue: JiraIssueLike): number {
  const { updated, created } = issue.fields;
  return (
    (typeof updated === 'string' ? parseOffsetDateTime(updated) : null) ??
    (typeof created === 'string' ? parseOffsetDateTime(created) : null) ??
    0
  );
}

/** The items a build of `issues` leaves behind: one per issue, one per sprint or version they carry. */
export function itemsOf(
  config: FeedConfig,
  issues: readonly JiraIssueLike[],
  omissions: readonly { issueKey: string; reason: string }[],
): SyncItem[] {
  const reasons = new Map<string, string[]>();
  for (const { issueKey, reason } of omissions) {
    const list = reasons.get(issueKey) ?? [];
    list.push(reason);
    reasons.set(issueKey, list);
  }
  const items = new Map<string, SyncItem>();
  for (const issue of issues) {
    const sources = issueSources(config, issue);
    items.set(`issue:${issue.id}`, {
      kind: 'issue',
      id: issue.id,
      key: issue.key,
      updatedMs: issueUpdatedMs(issue),
      carries: sources.map((source) => source.ref),
      omitted: reasons.get(issue.key) ?? [],
      cut: [],
    });
    for (const source of sources) {
      if (!items.has(source.ref))
        items.set(source.ref, { kind: source.kind, id: source.id, dates: source.dates, cut: [] });
    }
  }
  return [...items.values()];
}

/**
 * An item's record of an event built but outside the date window: kept with the omissions so an incremental
 * sync carries the count of unchanged issues forward, but counted apart from them (`outsideWindow`).
 */
export const OUTSIDE_WINDOW_REASON = 'outside-window';

/** The omissions of a feed from its items, in the shape the sync status shows. */
export function omittedOf(items: readonly SyncItem[]): OmittedIssues {
  const omitted: OmittedIssues = { count: 0, byReason: {}, examples: [], outsideWindow: 0 };
  for (const item of items) {
    if (item.kind !== 'issue') continue;
    for (const reason of item.omitted) {
      if (reason === OUTSIDE_WINDOW_REASON) {
        omitted.outsideWindow = (omitted.outsideWindow ?? 0) + 1;
        continue;
      }
      omitted.count += 1;
      omitted.byReason[reason] = (omitted.byReason[reason] ?? 0) + 1;
      if (omitted.examples.length < MAX_OMITTED_EXAMPLES)
        omitted.examples.push({ issueKey: item.key, reason });
    }
  }
  return omitted;
}

/** The item an event belongs to: `issue:<id>` for an issue's events, `sprint:<id>` or `version:<id>` otherwise. */
export function ownerRef(event: Pick<FeedEvent, 'kind' | 'uid' | 'ruleId' | 'issueId'>): string {
  if (event.kind === 'issue') return `issue:${event.issueId ?? ''}`;
  const end = event.uid.lastIndexOf(`-${event.ruleId}@`);
  return sourceRef(event.kind, event.uid.slice(event.kind.length + 1, end));
}

export const itemRef = (item: SyncItem): string =>
  item.kind === 'issue' ? `issue:${item.id}` : sourceRef(item.kind, item.id);

/** How many events the items say the size budget left out. */
export const cutCount = (items: readonly SyncItem[]): number =>
  items.reduce((sum, item) => sum + item.cut.length, 0);

/**
 * `items` with `cut` the events of each that the size budget left out (those of `dropped` belonging to it),
 * or null when one of them belongs to no item, so the next sync could not rank it.
 */
export function withCut(
  items: readonly SyncItem[],
  dropped: readonly CutEvent[],
  owners: readonly string[],
): SyncItem[] | null {
  const byOwner = new Map<string, CutEvent[]>();
  dropped.forEach((event, index) => {
    const owner = owners[index] ?? '';
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), event]);
  });
  const result = items.map((item) => ({ ...item, cut: byOwner.get(itemRef(item)) ?? [] }));
  const placed = result.reduce((sum, item) => sum + item.cut.length, 0);
  return placed === dropped.length ? result : null;
}

/** What the next sync keeps of an event the size budget left out, `hash` being its event hash. */
export function cutEventOf(event: FeedEvent, hash: string): CutEvent {
  return { uid: event.uid, allDay: event.allDay, start: event.start, end: event.end, hash };
}

/**
 * A cut event as the fit ranks it and the status names it: its UID and dates, the rest empty. Never
 * rendered: the fit reads its issue again before keeping it.
 */
export function standIn(cut: CutEvent, owner: SyncItem): { event: FeedEvent; hash: string } {
  const event: FeedEvent = {
    uid: cut.uid,
    kind: owner.kind,
    ruleId: '',
    issueId: owner.kind === 'issue' ? owner.id : null,
    issueKey: owner.kind === 'issue' ? owner.key : null,
    projectIds: [],
    allDay: cut.allDay,
    start: cut.start,
    end: cut.end,
    summary: owner.kind === 'issue' ? owner.key : `${owner.kind} ${owner.id}`,
    description: '',
    url: null,
    categories: [],
    transparent: false,
    alarmMinutesBefore: null,
    resolved: false,
    stamp: '',
    sequence: 0,
    userAccountIds: [],
  };
  return { event, hash: cut.hash };
}

/** `config` looking further ahead, so a build also sees the events the window will take in next. */
export function withLookahead(config: FeedConfig): FeedConfig {
  return { ...config, window: { ...config.window, futureDays: config.window.futureDays + LOOKAHEAD_DAYS } };
}

/**
 * Splits events built `withLookahead` into those the feed shows now and the earliest instant at which the
 * window changes what it shows (an event entering or leaving it); the instant errs early, never late.
 */
export function splitByWindow(
  events: readonly FeedEvent[],
  settings: WindowSettings & { keepUnresolvedOverdue: boolean },
  timeZone: string,
  now: Date,
): { shown: FeedEvent[]; later: FeedEvent[]; changesAt: Date } {
  const window = feedWindow(settings, timeZone, now);
  const pastMs = settings.pastDays * MS_PER_DAY;
  const futureMs = settings.futureDays * MS_PER_DAY;
  let changesAt = now.getTime() + LOOKAHEAD_DAYS * MS_PER_DAY;
  const shown: FeedEvent[] = [];
  const later: FeedEvent[] = [];
  for (const event of events) {
    const startMs = event.allDay
      ? Date.parse(`${event.start}T00:00:00Z`) - MAX_ZONE_OFFSET_MS
      : Date.parse(event.start);
    const after = event.allDay ? event.start > window.endDate : startMs > window.endMs;
    if (after) {
      changesAt = Math.min(changesAt, startMs - futureMs);
      later.push(event);
      continue;
    }
    shown.push(event);
    if (!event.resolved && settings.keepUnresolvedOverdue) continue;
    const endMs = event.allDay
      ? Date.parse(`${event.end}T00:00:00Z`) - MAX_ZONE_OFFSET_MS
      : Date.parse(event.end);
    changesAt = Math.min(changesAt, endMs + pastMs);
  }
  return { shown, later, changesAt: new Date(changesAt) };
}

/** `jql` narrowed by `clause`, its ORDER BY kept last; null when the query cannot be split with certainty. */
export function narrowJql(jql: string, clause: string): string | null {
  let quote: string | null = null;
  let depth = 0;
  for (let index = 0; index < jql.length; index++) {
    const char = jql[index];
    if (quote) {
      if (char === '\\') index += 1;
      else if (char === quote) quote = null;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (
      depth === 0 &&
      /^order\s+by\b/i.test(jql.slice(index)) &&
      (index === 0 || /\s|\)/.test(jql[index - 1] ?? ''))
    ) {
      const where = jql.slice(0, index).trim();
      const order = jql.slice(index).trim();
      return `${where ? `(${where}) AND ` : ''}${clause} ${order}`;
    }
  }
  if (quote || depth !== 0) return null;
  return jql.trim() ? `(${jql.trim()}) AND ${clause}` : clause;
}

function fingerprint(values: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(values)).digest('base64url').slice(0, 16);
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
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
