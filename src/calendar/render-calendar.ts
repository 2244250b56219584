import ical, {
  ICalAlarmType,
  ICalEventStatus,
  ICalEventTransparency,
  type ICalEventData,
} from 'ical-generator';
import type { FeedEvent } from '../domain/feed-event.js';
import { mapSliced, type Pause } from '../domain/pause.js';
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

const END = 'END:VCALENDAR';

/**
 * Renders a subscription feed. The bytes depend only on the arguments: no render time, no random ids,
 * no calendar time zone (which would make ical-generator format dates in the server's local zone).
 */
export function renderCalendar(meta: CalendarMeta, events: FeedEvent[]): string {
  return RenderedEvents.of(events).join(meta);
}

/** `renderCalendar`, calling `pause` after each event rendered and awaiting it when it asks to. */
export async function renderCalendarSliced(
  meta: CalendarMeta,
  events: FeedEvent[],
  pause: Pause,
): Promise<string> {
  return (await RenderedEvents.sliced(events, pause)).join(meta);
}

/**
 * A calendar's events, each rendered once: they can be sized, and any of them joined under any header,
 * without rendering again. Lines fold one at a time and every event ends its own lines, so the joined
 * text is byte for byte what one ical-generator calendar of those events gives.
 */
export class RenderedEvents {
  private constructor(
    private readonly blocks: string[],
    readonly bytes: number[],
  ) {}

  static of(events: FeedEvent[]): RenderedEvents {
    const render = eventRenderer();
    return RenderedEvents.from(events.map(render));
  }

  /** `of`, calling `pause` after each event and awaiting it when it asks to. */
  static async sliced(events: FeedEvent[], pause: Pause): Promise<RenderedEvents> {
    return RenderedEvents.from(await mapSliced(events, pause, eventRenderer()));
  }

  private static from(blocks: string[]): RenderedEvents {
    return new RenderedEvents(
      blocks,
      blocks.map((block) => Buffer.byteLength(block, 'utf8')),
    );
  }

  /** The whole calendar of the events at `indices` (all of them when omitted), in that order. */
  join(meta: CalendarMeta, indices?: readonly number[]): string {
    const blocks = indices ? indices.map((index) => this.blocks[index]!) : this.blocks;
    return `${calendarHeader(meta)}${blocks.join('')}${END}\r\n`;
  }
}

/** Renders one event at a time as the lines a calendar of it holds between its header and its end. */
function eventRenderer(): (event: FeedEvent) => string {
  const calendar = ical({ prodId: 'x' });
  const frame = calendar.toString().length - END.length;
  return (event) => {
    calendar.clear();
    calendar.createEvent(eventData(event));
    const text = calendar.toString();
    return text.slice(frame, text.length - END.length);
  };
}

/** The calendar's own lines, before its first event. */
export function calendarHeader(meta: CalendarMeta): string {
  const text = ical({
    // ical-generator writes `PRODID:-` followed by the string it is given.
    prodId: cleanText(meta.prodId ?? DEFAULT_PROD_ID)
      .replace(/\n/g, ' ')
      .replace(/^-/, ''),
    // ical-generator writes NAME, X-WR-CALNAME and X-WR-CALDESC without escaping them.
    name: escapeText(cleanText(meta.name)),
    description: meta.description ? escapeText(cleanText(meta.description)) : null,
    ttl: Math.max(1, Math.round(meta.refreshIntervalMinutes)) * 60,
  }).toString();
  return text.slice(0, text.length - END.length);
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
    status: event.cancelledAt === undefined ? null : ICalEventStatus.CANCELLED,
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
