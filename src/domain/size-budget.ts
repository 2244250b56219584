import type { FeedEvent } from './feed-event.js';
import type { OmittedIssues } from './feed.js';
import { compare } from './ordering.js';

/** Google Calendar stops refreshing subscriptions over about 1 MB; the default budget stays just under it. */
export const DEFAULT_SIZE_BUDGET_BYTES = 990_000;
export const SIZE_BUDGET_REASON = 'size-budget';

/** How far an event is from `now`: 0 while it runs, otherwise to its nearer end. All-day dates count from UTC midnight. */
export function distanceFromNow(event: FeedEvent, nowMs: number): number {
  const startMs = instant(event.start, event.allDay);
  const endMs = instant(event.end, event.allDay);
  if (startMs <= nowMs && nowMs < endMs) return 0;
  return Math.min(Math.abs(startMs - nowMs), Math.abs(endMs - nowMs));
}

/** Events ordered nearest to `now` first; ties by start, then UID, so the order never depends on input order. */
export function nearestFirst(events: FeedEvent[], now: Date): FeedEvent[] {
  return rankNearest(events, now).map((index) => events[index]!);
}

/** The indices of `events`, nearest to `now` first (the order of `nearestFirst`). */
function rankNearest(events: FeedEvent[], now: Date): number[] {
  const nowMs = now.getTime();
  const distances = events.map((event) => distanceFromNow(event, nowMs));
  return events
    .map((_, index) => index)
    .sort(
      (a, b) =>
        distances[a]! - distances[b]! ||
        compare(events[a]!.start, events[b]!.start) ||
        compare(events[a]!.uid, events[b]!.uid),
    );
}

export type BudgetFit = { kept: FeedEvent[]; dropped: FeedEvent[] };

/**
 * What the fit needs to know of a rendering: the bytes of each event (by index), and of the calendar
 * around them when `dropped` events are left out (its note says how many).
 */
export type BudgetSizes = { eventBytes: (index: number) => number; frameBytes: (dropped: number) => number };

/**
 * The most events nearest to today whose calendar fits `maxBytes`; the farthest go first. `kept` stays
 * in the input's order. Each event is sized once, so a 10,000-event feed is never rendered more than once.
 */
export function fitToBudget(
  events: FeedEvent[],
  now: Date,
  maxBytes: number | null,
  sizes: BudgetSizes,
): BudgetFit {
  if (maxBytes === null) return { kept: events, dropped: [] };
  let total = sizes.frameBytes(0);
  for (let index = 0; index < events.length; index++) total += sizes.eventBytes(index);
  if (total <= maxBytes) return { kept: events, dropped: [] };
  const ranked = rankNearest(events, now);
  const prefix = [0];
  for (const index of ranked) prefix.push(prefix[prefix.length - 1]! + sizes.eventBytes(index));
  const fits = (count: number) =>
    count === 0 || sizes.frameBytes(ranked.length - count) + prefix[count]! <= maxBytes;
  // The events' bytes only grow with the count; the note's digits barely move the frame.
  let fitting = 0;
  let tooMany = ranked.length;
  while (tooMany - fitting > 1) {
    const middle = Math.floor((fitting + tooMany) / 2);
    if (fits(middle)) fitting = middle;
    else tooMany = middle;
  }
  const keep = new Set(ranked.slice(0, fitting));
  return {
    kept: events.filter((_, index) => keep.has(index)),
    dropped: ranked.filter((index) => !keep.has(index)).map((index) => events[index]!),
  };
}

/** The calendar's description when events were left out for size, or null. */
export function budgetNote(dropped: number): string | null {
  if (dropped === 0) return null;
  return `${dropped} more event${dropped === 1 ? '' : 's'} not shown: the farthest from today are left out to keep this calendar under its size limit.`;
}

const MAX_BUDGET_EXAMPLES = 20;

/** The omissions of a sync plus the events the size budget left out, farthest from today last. */
export function withBudgetCut(omitted: OmittedIssues, dropped: readonly FeedEvent[]): OmittedIssues {
  if (dropped.length === 0) return omitted;
  const examples = [...omitted.examples];
  for (const event of dropped.slice(0, MAX_BUDGET_EXAMPLES)) {
    examples.push({ issueKey: event.issueKey ?? event.summary, reason: SIZE_BUDGET_REASON });
  }
  return {
    ...omitted,
    count: omitted.count + dropped.length,
    byReason: {
      ...omitted.byReason,
      [SIZE_BUDGET_REASON]: (omitted.byReason[SIZE_BUDGET_REASON] ?? 0) + dropped.length,
    },
    examples,
  };
}

/** An unchanged sync still reports what the size budget left out at the last render. */
export function keptBudgetCut(omitted: OmittedIssues, before: OmittedIssues | null): OmittedIssues {
  const dropped = before?.byReason[SIZE_BUDGET_REASON] ?? 0;
  if (!before || dropped === 0) return omitted;
  return {
    ...omitted,
    count: omitted.count + dropped,
    byReason: { ...omitted.byReason, [SIZE_BUDGET_REASON]: dropped },
    examples: [
      ...omitted.examples,
      ...before.examples.filter((example) => example.reason === SIZE_BUDGET_REASON),
    ],
  };
}

/**
 * The issues of the cut events (`standIns`) nearest to today (`ranked` is nearest first), at most `batch`
 * of them; null when one of those events is a sprint's or a version's, which only a full read rebuilds.
 */
export function nearestCutIssues(
  ranked: readonly FeedEvent[],
  standIns: ReadonlySet<FeedEvent>,
  batch: number,
): Set<string> | null {
  const wanted = new Set<string>();
  for (const event of ranked) {
    if (!standIns.has(event)) continue;
    if (event.kind !== 'issue' || event.issueId === null) return null;
    wanted.add(event.issueId);
    if (wanted.size >= Math.max(1, batch)) break;
  }
  return wanted;
}

function instant(value: string, allDay: boolean): number {
  if (!allDay) return Date.parse(value);
  const [year, month, day] = value.split('-').map(Number);
  return Date.UTC(year ?? 1970, (month ?? 1) - 1, day ?? 1);
}
