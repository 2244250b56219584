import type {
  Calendar,
  DateTimeTimeZone,
  Event,
  FreeBusyStatus,
  ItemBody,
  SingleValueLegacyExtendedProperty,
} from '@microsoft/microsoft-graph-types';
import { z } from 'zod';
import { isValidTimeZone } from '../../../src/domain/time-zones.js';

/**
 * True when every property a schema accepts is one Microsoft's type declares, with a type it allows. Plain
 * assignability would let a schema invent a property Graph does not have, so the keys are compared too.
 */
type ConformsTo<Parsed, Graph> = [Exclude<keyof Parsed, keyof Graph>] extends [never]
  ? Parsed extends Graph
    ? true
    : false
  : false;

/** Graph writes `{date}T{time}` with up to seven fractional digits and no offset; the zone is a separate field. */
const GRAPH_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/;
/** `String {GUID} Name X` or `String {GUID} Id 0x8000`: the two forms of a named MAPI property. */
export const EXTENDED_PROPERTY_ID =
  /^String \{[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\} (Name \S.*|Id 0x[0-9a-f]{1,4})$/i;
const FREE_BUSY: readonly [FreeBusyStatus, ...FreeBusyStatus[]] = [
  'unknown',
  'free',
  'tentative',
  'busy',
  'oof',
  'workingElsewhere',
];

export const dateTimeTimeZoneSchema = z.strictObject({
  dateTime: z.string().regex(GRAPH_DATE_TIME, 'not a Graph dateTime (yyyy-MM-ddTHH:mm:ss, no offset)'),
  timeZone: z.string().refine(isValidTimeZone, 'TimeZoneNotSupportedException'),
});

export const itemBodySchema = z.strictObject({
  contentType: z.enum(['text', 'html']),
  content: z.string(),
});

export const extendedPropertySchema = z.strictObject({
  id: z.string().regex(EXTENDED_PROPERTY_ID, 'not an extended property id'),
  value: z.string(),
});

export const calendarCreateSchema = z.strictObject({
  name: z.string().min(1),
  color: z
    .enum(['auto', 'lightBlue', 'lightGreen', 'lightOrange', 'lightGray', 'lightYellow'])
    .exactOptional(),
});

const eventFields = {
  subject: z.string().exactOptional(),
  body: itemBodySchema.exactOptional(),
  start: dateTimeTimeZoneSchema.exactOptional(),
  end: dateTimeTimeZoneSchema.exactOptional(),
  isAllDay: z.boolean().exactOptional(),
  showAs: z.enum(FREE_BUSY).exactOptional(),
  isReminderOn: z.boolean().exactOptional(),
  reminderMinutesBeforeStart: z.number().int().min(0).exactOptional(),
  categories: z.array(z.string()).exactOptional(),
  sensitivity: z.enum(['normal', 'personal', 'private', 'confidential']).exactOptional(),
  transactionId: z.string().exactOptional(),
  singleValueExtendedProperties: z.array(extendedPropertySchema).exactOptional(),
};

export const eventCreateSchema = z.strictObject({
  ...eventFields,
  start: dateTimeTimeZoneSchema,
  end: dateTimeTimeZoneSchema,
});

export const eventPatchSchema = z.strictObject(eventFields);

export type CalendarCreate = z.infer<typeof calendarCreateSchema>;
export type EventCreate = z.infer<typeof eventCreateSchema>;
export type EventPatch = z.infer<typeof eventPatchSchema>;

// The fake cannot drift from Microsoft's types: each line fails to compile if a schema accepts a property
// Graph does not declare, or a value its type does not allow.
export const conformance: {
  dateTimeTimeZone: ConformsTo<z.infer<typeof dateTimeTimeZoneSchema>, DateTimeTimeZone>;
  itemBody: ConformsTo<z.infer<typeof itemBodySchema>, ItemBody>;
  extendedProperty: ConformsTo<z.infer<typeof extendedPropertySchema>, SingleValueLegacyExtendedProperty>;
  calendar: ConformsTo<CalendarCreate, Calendar>;
  eventCreate: ConformsTo<EventCreate, Event>;
  eventPatch: ConformsTo<EventPatch, Event>;
} = {
  dateTimeTimeZone: true,
  itemBody: true,
  extendedProperty: true,
  calendar: true,
  eventCreate: true,
  eventPatch: true,
};

/** Graph's answer to a body it cannot read: the first problem, in Graph's words. */
export function bodyError(error: z.ZodError, entityType: string): { code: string; message: string } {
  const issue = error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    return {
      code: 'RequestBodyRead',
      message: `The property '${issue.keys[0] ?? ''}' does not exist on type '${entityType}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
    };
  }
  if (issue?.message === 'TimeZoneNotSupportedException') {
    return { code: 'TimeZoneNotSupportedException', message: 'A valid TimeZone value must be specified.' };
  }
  const where = issue ? issue.path.join('.') : '';
  return {
    code: 'BadRequest',
    message: `Invalid value at '${where}': ${issue?.message ?? 'unreadable body'}`,
  };
}
