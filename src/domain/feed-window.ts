import { dateInZone } from './time-zones.js';

const MS_PER_DAY = 86_400_000;

export type WindowSettings = { pastDays: number; futureDays: number };

/** The span of time a feed shows: instants for timed events, dates in the feed's zone for all-day events. */
export type FeedWindow = { startMs: number; endMs: number; startDate: string; endDate: string };

export type EventSpan =
  | { allDay: true; start: string; end: string; instant?: string }
  | { allDay: false; startMs: number; endMs: number };

export function feedWindow(settings: WindowSettings, timeZone: string, now: Date): FeedWindow {
  const startMs = now.getTime() - settings.pastDays * MS_PER_DAY;
  const endMs = now.getTime() + settings.futureDays * MS_PER_DAY;
  return { startMs, endMs, startDate: dateInZone(timeZone, startMs), endDate: dateInZone(timeZone, endMs) };
}

/** Whether an event ended before the window opens (all-day ends are exclusive). */
export function endsBeforeWindow(span: EventSpan, window: FeedWindow): boolean {
  return span.allDay ? span.end <= window.startDate : span.endMs < window.startMs;
}

export function startsAfterWindow(span: EventSpan, window: FeedWindow): boolean {
  return span.allDay ? span.start > window.endDate : span.startMs > window.endMs;
}
