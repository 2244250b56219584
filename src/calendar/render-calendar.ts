import ical, { ICalAlarmType, ICalEventTransparency, type ICalEventData } from 'ical-generator';
import type { FeedEvent } from '../domain/feed-event.js';
import { cleanText } from '../domain/templates.js';
import { parseDate } from '../domain/time-zones.js';

export type CalendarMeta = {
  name: string;
  /** A full PRODID value such as `-//Calendar Sync//Jira feeds//EN`. */
  prodId?: string;
  refreshIntervalMinutes: number;
  description?: string;
};

export const DEFAULT_PROD_ID = '-//Calendar Sync//Jira feeds//EN';

/**
 * Renders a subscription feed. The bytes depend only on the arguments: no render time, no random ids,
 * no calendar time zone (which would make ical-generator format dates in the server's local zone).
 */
export function renderCalendar(meta: CalendarMeta, events: FeedEvent[]): string {
  const calendar = ical({
    // ical-generator writes `PRODID:-` followed by the string it is given.
    prodId: cleanText(meta.prodId ?? DEFAULT_PROD_ID)
      .replace(/\n/g, ' ')
      .replace(/^-/, ''),
    // ical-generator writes NAME, X-WR-CALNAME and X-WR-CALDESC without escaping them.
    name: escapeText(cleanText(meta.name)),
    description: meta.description ? escapeText(cleanText(meta.description)) : null,
    ttl: Math.max(1, Math.round(meta.refreshIntervalMinutes)) * 60,
  });
  for (const event of events) calendar.createEvent(eventData(event));
  // ical-generator leaves the last line (END:VCALENDAR) without the CRLF RFC 5545 requires.
  return `${calendar.toString()}\r\n`;
}

function eventData(event: FeedEvent): ICalEventData {
  const stamp = new Date(event.stamp);
  const summary = cleanText(event.summary);
  const description = cleanText(event.description);
  return {
    // UIDs embed Jira's issue ids, which arrive as unchecked strings.
    id: cleanText(event.uid).replace(/\n/g, ''),
    sequence: event.sequence,
    stamp,
    lastModified: stamp,
    allDay: event.allDay,
    start: event.allDay ? utcMidnight(event.start) : new Date(event.start),
    end: event.allDay ? utcMidnight(event.end) : new Date(event.end),
    summary,
    description: description === '' ? null : description,
    url: uriValue(event.url),
    // ical-generator throws on an empty category name.
    categories: event.categories
      .map(cleanText)
      .filter((name) => name !== '')
      .map((name) => ({ name })),
    transparency: event.transparent ? ICalEventTransparency.TRANSPARENT : ICalEventTransparency.OPAQUE,
    alarms:
      event.alarmMinutesBefore === null
        ? []
        : [{ type: ICalAlarmType.display, trigger: event.alarmMinutesBefore * 60, description: summary }],
  };
}

/** With no calendar time zone ical-generator formats dates with UTC getters, so UTC midnight gives the date itself. */
function utcMidnight(date: string): Date {
  const parsed = parseDate(date);
  if (!parsed) throw new Error(`Not an all-day date: ${date}`);
  const value = new Date(0);
  value.setUTCFullYear(parsed.year, parsed.month - 1, parsed.day);
  return value;
}

/**
 * A URI as RFC 5545 wants it: percent-encoded, never backslash-escaped. ical-generator applies TEXT
 * escaping to URL values, so the characters it would escape are percent-encoded first.
 */
function uriValue(url: string | null): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return parsed.href.replace(/[,;\\]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function escapeText(value: string): string {
  return value.replace(/[\\;,]/g, (char) => `\\${char}`).replace(/\n/g, '\\n');
}
