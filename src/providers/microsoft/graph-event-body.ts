import type { DateTimeTimeZone, Event } from '@microsoft/microsoft-graph-types';
import { ProviderError, type PushTime, type PushedEvent } from '../../domain/calendar-provider.js';
import { isValidTimeZone, parseOffsetDateTime, wallTimeToUtc } from '../../domain/time-zones.js';

/**
 * The single-value extended property that carries the feed's UID, so an event can be found again. A named
 * MAPI property in a GUID namespace of the app's own: fixed for ever, or events already pushed are lost.
 */
export const UID_PROPERTY_ID = 'String {8f0d3c2e-5b7a-4e61-9c1d-2a6f4b8e7d35} Name CalendarSyncUid';

/**
 * All-day events carry no zone in the port; Graph wants midnight in some zone, the same at both ends. UTC
 * midnights are shown on their dates by Outlook, whatever the mailbox's own zone.
 */
const ALL_DAY_ZONE = 'UTC';

/** The writable fields of a Graph event for a pushed event (no reminder: the feed has none either). */
export function graphEventFields(event: PushedEvent): Event {
  const allDay = 'date' in event.start;
  if (allDay !== 'date' in event.end)
    throw new ProviderError('rejected', 'Outlook needs both ends of an event to be dates, or both times');
  return {
    subject: event.summary,
    body: { contentType: 'text', content: bodyText(event) },
    start: graphTime(event.start),
    end: graphTime(event.end),
    isAllDay: allDay,
    showAs: event.transparent ? 'free' : 'busy',
    isReminderOn: false,
  };
}

/** A new event: its fields and the property holding the feed's UID. */
export function graphEventInsert(event: PushedEvent): Event {
  return {
    ...graphEventFields(event),
    singleValueExtendedProperties: [{ id: UID_PROPERTY_ID, value: event.uid }],
  };
}

/** Graph events have no link field: the link goes under the description, as the feed's readers show it. */
export function bodyText(event: PushedEvent): string {
  if (event.url === null) return event.description;
  return event.description === '' ? event.url : `${event.description}\n\n${event.url}`;
}

function graphTime(time: PushTime): DateTimeTimeZone {
  if ('date' in time) return { dateTime: `${time.date}T00:00:00`, timeZone: ALL_DAY_ZONE };
  const at = instantOf(time.dateTime, time.timeZone);
  if (at === null)
    throw new ProviderError('rejected', 'Outlook cannot take an event time that is not a time');
  return { dateTime: new Date(at).toISOString().slice(0, 23), timeZone: 'UTC' };
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** An offset-aware datetime as it says, else a wall-clock time read in its zone. */
function instantOf(dateTime: string, timeZone: string): number | null {
  const withOffset = parseOffsetDateTime(dateTime);
  if (withOffset !== null) return withOffset;
  const wall = WALL.exec(dateTime);
  if (!wall || !isValidTimeZone(timeZone)) return null;
  const [year, month, day, hour, minute, second] = wall.slice(1).map((part) => Number(part ?? '0'));
  return wallTimeToUtc(timeZone, {
    year: year ?? 0,
    month: month ?? 0,
    day: day ?? 0,
    hour: hour ?? 0,
    minute: minute ?? 0,
    second: second ?? 0,
  });
}
