import { randomBytes, randomUUID } from 'node:crypto';
import type { Calendar, CalendarColor, Event, FreeBusyStatus } from '@microsoft/microsoft-graph-types';
import { parseDate, wallTimeToUtc } from '../../../src/domain/time-zones.js';
import type { CalendarCreate, EventCreate, EventPatch } from './graph-bodies.js';

export type GraphReply = { status: number; headers?: Record<string, string>; body?: unknown };

type Zoned = { dateTime: string; timeZone: string };
export type StoredCalendar = {
  id: string;
  name: string;
  color: CalendarColor;
  changeKey: string;
  byApp: boolean;
};
export type StoredEvent = {
  id: string;
  calendarId: string;
  byApp: boolean;
  iCalUId: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  start: Zoned;
  end: Zoned;
  isAllDay: boolean;
  showAs: FreeBusyStatus;
  isReminderOn: boolean;
  reminderMinutesBeforeStart: number;
  categories: string[];
  sensitivity: 'normal' | 'personal' | 'private' | 'confidential';
  transactionId: string | null;
  /** Extended property id (GUID lower-cased) → value. */
  properties: Map<string, string>;
};

/** One event as the person sees it in Outlook: dates for all-day events (end exclusive), else UTC instants. */
export type SeenEvent = {
  id: string;
  subject: string;
  body: string;
  isAllDay: boolean;
  start: string;
  end: string;
  showAs: FreeBusyStatus;
  reminder: boolean;
  properties: Record<string, string>;
};

export function graphError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): GraphReply {
  const date = new Date().toISOString().slice(0, 19);
  const requestId = randomUUID();
  return {
    status,
    ...(headers ? { headers } : {}),
    body: {
      error: { code, message, innerError: { date, 'request-id': requestId, 'client-request-id': requestId } },
    },
  };
}

export const notFound = (): GraphReply =>
  graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

export function normalisePropertyId(id: string): string {
  return id.replace(/\{[0-9a-f-]{36}\}/i, (guid) => guid.toLowerCase());
}

/** Graph's ids: long base64 strings that end in `=`, so a client that does not encode them breaks. */
function graphId(prefix: string): string {
  return `${prefix}${randomBytes(40).toString('base64url')}=`;
}

const stamp = (now: number) => new Date(now).toISOString().replace(/\.\d{3}Z$/, '.0000000Z');

/** One person's mailbox: their calendars and events, and who (the app or the person) made each. */
export class Mailbox {
  readonly calendars = new Map<string, StoredCalendar>();
  readonly events = new Map<string, StoredEvent>();
  inFlight = 0;
  readonly defaultCalendarId: string;

  constructor(
    readonly userId: string,
    readonly address: string,
    private readonly now: () => number,
  ) {
    this.defaultCalendarId = graphId('AAMkAD');
    this.calendars.set(this.defaultCalendarId, {
      id: this.defaultCalendarId,
      name: 'Calendar',
      color: 'auto',
      changeKey: randomUUID(),
      byApp: false,
    });
  }

  createCalendar(body: CalendarCreate, byApp: boolean): GraphReply {
    if ([...this.calendars.values()].some((calendar) => calendar.name === body.name))
      return graphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    const calendar = {
      id: graphId('AAMkAD'),
      name: body.name,
      color: body.color ?? 'auto',
      changeKey: randomUUID(),
      byApp,
    };
    this.calendars.set(calendar.id, calendar);
    return {
      status: 201,
      body: { '@odata.context': this.context('calendars/$entity'), ...this.presentCalendar(calendar) },
    };
  }

  deleteCalendar(id: string): GraphReply {
    this.calendars.delete(id);
    for (const event of this.events.values()) if (event.calendarId === id) this.events.delete(event.id);
    return { status: 204 };
  }

  createEvent(calendarId: string, body: EventCreate, byApp: boolean): GraphReply {
    const now = stamp(this.now());
    const event: StoredEvent = {
      id: graphId('AAMkAGI'),
      calendarId,
      byApp,
      iCalUId: `040000008200E00074C5B7101A82E008${randomBytes(24).toString('hex').toUpperCase()}`,
      createdDateTime: now,
      lastModifiedDateTime: now,
      changeKey: randomUUID(),
      subject: '',
      body: { contentType: 'text', content: '' },
      start: body.start,
      end: body.end,
      isAllDay: false,
      showAs: 'busy',
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
      categories: [],
      sensitivity: 'normal',
      transactionId: null,
      properties: new Map(),
    };
    const invalid = applyFields(event, body);
    if (invalid) return invalid;
    this.events.set(event.id, event);
    return {
      status: 201,
      body: {
        '@odata.context': this.context(`calendars('${calendarId}')/events/$entity`),
        ...this.presentEvent(event),
      },
    };
  }

  patchEvent(event: StoredEvent, body: EventPatch): GraphReply {
    const draft: StoredEvent = { ...event, properties: new Map(event.properties) };
    const invalid = applyFields(draft, body);
    if (invalid) return invalid;
    Object.assign(event, draft, { lastModifiedDateTime: stamp(this.now()), changeKey: randomUUID() });
    return {
      status: 200,
      body: { '@odata.context': this.context('events/$entity'), ...this.presentEvent(event) },
    };
  }

  listEvents(
    calendarId: string,
    match: { id: string; value: string } | null,
    expand: string | null,
  ): GraphReply {
    const wanted = match && { id: normalisePropertyId(match.id), value: match.value };
    const value = [...this.events.values()]
      .filter((event) => event.calendarId === calendarId)
      .filter((event) => !wanted || event.properties.get(wanted.id) === wanted.value)
      .map((event) => this.presentEvent(event, expand));
    return {
      status: 200,
      body: { '@odata.context': this.context(`calendars('${calendarId}')/events`), value },
    };
  }

  presentCalendar(calendar: StoredCalendar): Calendar {
    return {
      id: calendar.id,
      name: calendar.name,
      color: calendar.color,
      hexColor: '',
      isDefaultCalendar: calendar.id === this.defaultCalendarId,
      changeKey: calendar.changeKey,
      canShare: true,
      canViewPrivateItems: true,
      canEdit: true,
      isRemovable: calendar.id !== this.defaultCalendarId,
      owner: { name: this.address.split('@')[0] ?? '', address: this.address },
    };
  }

  /** Graph answers times in UTC unless asked otherwise; an expanded property list only when asked. */
  presentEvent(event: StoredEvent, expand: string | null = null): Event & { '@odata.etag': string } {
    const presented: Event & { '@odata.etag': string } = {
      '@odata.etag': `W/"${event.changeKey}"`,
      id: event.id,
      createdDateTime: event.createdDateTime,
      lastModifiedDateTime: event.lastModifiedDateTime,
      changeKey: event.changeKey,
      categories: event.categories,
      transactionId: event.transactionId,
      originalStartTimeZone: event.start.timeZone,
      originalEndTimeZone: event.end.timeZone,
      iCalUId: event.iCalUId,
      reminderMinutesBeforeStart: event.reminderMinutesBeforeStart,
      isReminderOn: event.isReminderOn,
      hasAttachments: false,
      subject: event.subject,
      bodyPreview: event.body.content.slice(0, 255),
      importance: 'normal',
      sensitivity: event.sensitivity,
      isAllDay: event.isAllDay,
      isCancelled: false,
      isOrganizer: true,
      showAs: event.showAs,
      type: 'singleInstance',
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(event.id)}&exvsurl=1&path=/calendar/item`,
      body: event.body,
      start: asUtc(event.start, event.isAllDay),
      end: asUtc(event.end, event.isAllDay),
      organizer: { emailAddress: { name: this.address.split('@')[0] ?? '', address: this.address } },
    };
    if (expand !== null) {
      const id = normalisePropertyId(expand);
      const value = event.properties.get(id);
      presented.singleValueExtendedProperties = value === undefined ? [] : [{ id, value }];
    }
    return presented;
  }

  /** The event as the person reads it in Outlook. */
  seen(event: StoredEvent): SeenEvent {
    const start = asUtc(event.start, event.isAllDay).dateTime;
    const end = asUtc(event.end, event.isAllDay).dateTime;
    return {
      id: event.id,
      subject: event.subject,
      body: event.body.content,
      isAllDay: event.isAllDay,
      start: event.isAllDay ? start.slice(0, 10) : `${start.slice(0, 23)}Z`,
      end: event.isAllDay ? end.slice(0, 10) : `${end.slice(0, 23)}Z`,
      showAs: event.showAs,
      reminder: event.isReminderOn,
      properties: Object.fromEntries(event.properties),
    };
  }

  private context(path: string): string {
    return `https://graph.microsoft.com/v1.0/$metadata#users('${this.userId}')/${path}`;
  }
}

/** Copies the fields of a body onto an event, then checks the result as Exchange would. */
function applyFields(event: StoredEvent, body: EventPatch): GraphReply | null {
  const { singleValueExtendedProperties, ...fields } = body;
  Object.assign(event, fields);
  for (const property of singleValueExtendedProperties ?? [])
    event.properties.set(normalisePropertyId(property.id), property.value);
  const start = instant(event.start);
  const end = instant(event.end);
  if (event.isAllDay) {
    const midnight = (zoned: Zoned) => /T00:00(:00(\.0+)?)?$/.test(zoned.dateTime);
    if (
      !midnight(event.start) ||
      !midnight(event.end) ||
      event.start.timeZone !== event.end.timeZone ||
      end <= start
    )
      return graphError(
        400,
        'ErrorInvalidRequest',
        'An all-day event must start and end at midnight in one time zone, and last at least a day.',
      );
  } else if (end < start) {
    return graphError(400, 'ErrorInvalidRequest', 'The end time of the event must be after its start time.');
  }
  return null;
}

function readWall(dateTime: string): { wall: Parameters<typeof wallTimeToUtc>[1]; fractionMs: number } {
  const [datePart = '', timePart = ''] = dateTime.split('T');
  const date = parseDate(datePart);
  if (!date) throw new Error(`not a date: ${datePart}`);
  const [hour = 0, minute = 0, second = 0] = timePart.split(':').map((piece) => Math.floor(Number(piece)));
  const fraction = /\.(\d+)$/.exec(timePart)?.[1] ?? '';
  return {
    wall: { ...date, hour, minute, second },
    fractionMs: Math.floor(Number(`0.${fraction || '0'}`) * 1000),
  };
}

function instant(zoned: Zoned): number {
  const { wall, fractionMs } = readWall(zoned.dateTime);
  return wallTimeToUtc(zoned.timeZone, wall) + fractionMs;
}

/** All-day events keep their wall dates (Outlook floats them); timed ones are converted to UTC. */
function asUtc(zoned: Zoned, allDay: boolean): Zoned {
  if (allDay) return { dateTime: `${zoned.dateTime.slice(0, 10)}T00:00:00.0000000`, timeZone: 'UTC' };
  const iso = new Date(instant(zoned));
  return { dateTime: iso.toISOString().replace(/Z$/, '0000'), timeZone: 'UTC' };
}
