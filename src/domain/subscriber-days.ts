import type { FeedConfig } from './feed-config.js';
import { MAX_SEQUENCE, type FeedEvent } from './feed-event.js';
import { addDays, dateInZone, parseDate } from './time-zones.js';

/** A subscriber's Jira profile time zone, as the membership cache holds it. */
export type PersonalZone = {
  timeZone: string;
  /** How many times the cache saw the zone change: added to the SEQUENCE of the events it moves. */
  sequence: number;
  /** UTC ISO; when the last change was seen (null: never changed). */
  changedAt: string | null;
};

const MS_PER_DAY = 86_400_000;

/** Whether an all-day rule of the feed puts its events on each subscriber's own day. */
export function hasSubscriberDays(config: Pick<FeedConfig, 'rules'>): boolean {
  return config.rules.some((rule) => rule.kind === 'allDay' && rule.dayIn === 'subscriber');
}

/**
 * The events as a subscriber in `zone` sees them: those of "subscriber's day" rules (they carry the
 * `instant` their day was taken from) fall on that instant's date in the zone, keeping their length, with
 * the zone's changes added to their SEQUENCE and their stamp no earlier than the last change. The UID is
 * kept. With no zone known, the feed's own day stands.
 */
export function inSubscriberZone(events: FeedEvent[], zone: PersonalZone | null): FeedEvent[] {
  if (!zone) return events;
  return events.map((event) => {
    if (event.instant === undefined || !event.allDay) return event;
    const start = dateInZone(zone.timeZone, Date.parse(event.instant));
    const stamp = zone.changedAt !== null && zone.changedAt > event.stamp ? zone.changedAt : event.stamp;
    return {
      ...event,
      start,
      end: addDays(start, daysBetween(event.start, event.end)),
      sequence: Math.min(event.sequence + zone.sequence, MAX_SEQUENCE),
      stamp,
    };
  });
}

function daysBetween(start: string, end: string): number {
  const [a, b] = [parseDate(start), parseDate(end)];
  if (!a || !b) return 1;
  return Math.max(
    1,
    Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / MS_PER_DAY),
  );
}
