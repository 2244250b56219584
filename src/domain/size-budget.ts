import type { FeedEvent } from './feed-event.js';
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
  const nowMs = now.getTime();
  const keyed = events.map((event) => ({ event, distance: distanceFromNow(event, nowMs) }));
  keyed.sort(
    (a, b) =>
      a.distance - b.distance ||
      compare(a.event.start, b.event.start) ||
      compare(a.event.uid, b.event.uid),
  );
  return keyed.map(({ event }) => event);
}

export type BudgetFit = { kept: FeedEvent[]; dropped: FeedEvent[] };

/**
 * The most events nearest to today whose rendering (`sizeOf`, told how many are dropped, for the note)
 * fits `maxBytes`; the farthest go first. `kept` stays in the input's order.
 */
export function fitToBudget(
  events: FeedEvent[],
  now: Date,
  maxBytes: number | null,
  sizeOf: (events: FeedEvent[], dropped: number) => number,
): BudgetFit {
  if (maxBytes === null) return { kept: events, dropped: [] };
  const total = sizeOf(events, 0);
  if (total <= maxBytes) return { kept: events, dropped: [] };
  const ranked = nearestFirst(events, now);
  const keep = (count: number) => {
    const chosen = new Set(ranked.slice(0, count));
    return events.filter((event) => chosen.has(event));
  };
  const fitsWith = (count: number) => count === 0 || sizeOf(keep(count), ranked.length - count) <= maxBytes;
  // Events are of similar size: start from the proportional guess and widen by steps until it is bracketed,
  // so a 10,000-event feed is not rendered in full a dozen times.
  let fits: number;
  let tooMany = ranked.length;
  const step = Math.max(1, Math.ceil(ranked.length / 50));
  let probe = Math.min(ranked.length - 1, Math.floor((ranked.length * maxBytes) / total));
  if (fitsWith(probe)) {
    fits = probe;
    for (probe = fits + step; probe < tooMany && fitsWith(probe); probe += step) fits = probe;
    tooMany = Math.min(tooMany, probe);
  } else {
    tooMany = probe;
    for (probe = tooMany - step; probe > 0 && !fitsWith(probe); probe -= step) tooMany = probe;
    fits = Math.max(0, probe);
  }
  while (tooMany - fits > 1) {
    const middle = Math.floor((fits + tooMany) / 2);
    if (sizeOf(keep(middle), ranked.length - middle) <= maxBytes) fits = middle;
    else tooMany = middle;
  }
  const kept = keep(fits);
  const keptSet = new Set(kept);
  return { kept, dropped: ranked.filter((event) => !keptSet.has(event)) };
}

/** The calendar's description when events were left out for size, or null. */
export function budgetNote(dropped: number): string | null {
  if (dropped === 0) return null;
  return `${dropped} more event${dropped === 1 ? '' : 's'} not shown: the farthest from today are left out to keep this calendar under its size limit.`;
}

function instant(value: string, allDay: boolean): number {
  if (!allDay) return Date.parse(value);
  const [year, month, day] = value.split('-').map(Number);
  return Date.UTC(year ?? 1970, (month ?? 1) - 1, day ?? 1);
}

