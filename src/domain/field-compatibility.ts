import type { FieldIssue } from '../errors.js';
import type { FeedConfig } from './feed-config.js';

export type FieldDescription = {
  id: string;
  name: string;
  schema?: { type: string; items?: string | undefined; custom?: string | undefined } | undefined;
};

/** A Jira field's type as the rules see it; the editor's pickers offer fields by these. */
export type FieldType =
  'date' | 'datetime' | 'number' | 'string' | 'option' | 'user' | 'users' | 'sprint' | 'other';

export function fieldType(field: FieldDescription): FieldType {
  const schema = field.schema;
  if (!schema) return 'other';
  if (schema.custom === 'com.pyxis.greenhopper.jira:gh-sprint') return 'sprint';
  if (schema.type === 'array') return schema.items === 'user' ? 'users' : 'other';
  if (['date', 'datetime', 'number', 'string', 'option', 'user'].includes(schema.type))
    return schema.type as FieldType;
  return 'other';
}

/**
 * Which field types fit each slot of a rule: the one source for the server's check and the editor's
 * pickers (served to the browser as assets/field-slots.js).
 */
export const FIELD_SLOTS = {
  allDay: { accepts: ['date', 'datetime'], wants: 'a date or date-time field' },
  timed: { accepts: ['datetime'], wants: 'a date-time field' },
  dateWithTime: { accepts: ['date'], wants: 'a date field' },
  range: { accepts: ['date', 'datetime'], wants: 'a date or date-time field' },
  sprint: { accepts: ['sprint'], wants: 'the Sprint field' },
  durationField: { accepts: ['number'], wants: 'a number field (minutes)' },
  endField: { accepts: ['datetime'], wants: 'a date-time field' },
  startTimeField: {
    accepts: ['string', 'option', 'number'],
    wants: 'a text, number or select field holding a time like 7:30',
  },
  timeZoneField: {
    accepts: ['string', 'option', 'number'],
    wants: 'a text or select field holding a time zone',
  },
  divideByUserFields: { accepts: ['user', 'users'], wants: 'a user field' },
} as const satisfies Record<string, { accepts: readonly FieldType[]; wants: string }>;

export type FieldSlot = keyof typeof FIELD_SLOTS;

type Expectation = { path: string; id: string; slot: FieldSlot };

const typeOf = (field: FieldDescription): string =>
  field.schema
    ? field.schema.type === 'array'
      ? `array<${field.schema.items ?? '?'}>`
      : field.schema.type
    : 'unknown';

/** Which of the configuration's field references do not exist on the site or have the wrong type. */
export function checkFieldCompatibility(
  config: FeedConfig,
  fields: readonly FieldDescription[],
): FieldIssue[] {
  const byId = new Map(fields.map((field) => [field.id, field]));
  const expectations: Expectation[] = [];
  const expect = (path: string, id: string | undefined, slot: FieldSlot) => {
    if (id !== undefined) expectations.push({ path, id, slot });
  };

  config.rules.forEach((rule, index) => {
    const at = `rules.${index}`;
    switch (rule.kind) {
      case 'allDay':
        expect(`${at}.field`, rule.field, 'allDay');
        expect(`${at}.timeZoneField`, rule.timeZoneField, 'timeZoneField');
        break;
      case 'timed':
        expect(`${at}.field`, rule.field, 'timed');
        break;
      case 'dateWithTime':
        expect(`${at}.field`, rule.field, 'dateWithTime');
        expect(`${at}.startTimeField`, rule.startTimeField, 'startTimeField');
        break;
      case 'range':
        expect(`${at}.startField`, rule.startField, 'range');
        expect(`${at}.endField`, rule.endField, 'range');
        break;
      case 'sprint':
        expect(`${at}.field`, rule.field, 'sprint');
        break;
      case 'version':
        break;
    }
    if ('end' in rule && rule.end) {
      if (rule.end.type === 'durationField') expect(`${at}.end.field`, rule.end.field, 'durationField');
      if (rule.end.type === 'endField') expect(`${at}.end.field`, rule.end.field, 'endField');
    }
  });
  config.access.divideByUserFields.forEach((id, index) =>
    expect(`access.divideByUserFields.${index}`, id, 'divideByUserFields'),
  );

  const problems: FieldIssue[] = [];
  for (const { path, id, slot } of expectations) {
    const field = byId.get(id);
    const { accepts, wants } = FIELD_SLOTS[slot];
    if (!field)
      problems.push({ path, message: `Jira has no field "${id}" visible to the Calendar Sync app user` });
    else if (!(accepts as readonly FieldType[]).includes(fieldType(field))) {
      problems.push({ path, message: `"${field.name}" is ${typeOf(field)}; this needs ${wants}` });
    }
  }
  return problems;
}
