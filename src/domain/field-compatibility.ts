import type { FieldIssue } from '../errors.js';
import type { FeedConfig } from './feed-config.js';

export type FieldDescription = { id: string; name: string; schema?: { type: string; items?: string | undefined; custom?: string | undefined } | undefined };

type Expectation = { path: string; id: string; accepts: (field: FieldDescription) => boolean; wants: string };

const typeOf = (field: FieldDescription): string =>
  field.schema ? (field.schema.type === 'array' ? `array<${field.schema.items ?? '?'}>` : field.schema.type) : 'unknown';

const isDate = (f: FieldDescription) => f.schema?.type === 'date';
const isDateTime = (f: FieldDescription) => f.schema?.type === 'datetime';
const isDateLike = (f: FieldDescription) => isDate(f) || isDateTime(f);
const isNumber = (f: FieldDescription) => f.schema?.type === 'number';
const isTextLike = (f: FieldDescription) => ['string', 'option', 'number'].includes(f.schema?.type ?? '');
const isUser = (f: FieldDescription) => f.schema?.type === 'user' || (f.schema?.type === 'array' && f.schema.items === 'user');
const isSprint = (f: FieldDescription) => f.schema?.custom === 'com.pyxis.greenhopper.jira:gh-sprint';

/** Which of the configuration's field references do not exist on the site or have the wrong type. */
export function checkFieldCompatibility(config: FeedConfig, fields: readonly FieldDescription[]): FieldIssue[] {
  const byId = new Map(fields.map((field) => [field.id, field]));
  const expectations: Expectation[] = [];
  const expect = (path: string, id: string | undefined, accepts: Expectation['accepts'], wants: string) => {
    if (id !== undefined) expectations.push({ path, id, accepts, wants });
  };

  config.rules.forEach((rule, index) => {
    const at = `rules.${index}`;
    switch (rule.kind) {
      case 'allDay':
        expect(`${at}.field`, rule.field, isDateLike, 'a date or date-time field');
        expect(`${at}.timeZoneField`, rule.timeZoneField, isTextLike, 'a text or select field holding a time zone');
        break;
      case 'timed':
        expect(`${at}.field`, rule.field, isDateTime, 'a date-time field');
        break;
      case 'dateWithTime':
        expect(`${at}.field`, rule.field, isDate, 'a date field');
        expect(`${at}.startTimeField`, rule.startTimeField, isTextLike, 'a text, number or select field holding a time like 7:30');
        break;
      case 'range':
        expect(`${at}.startField`, rule.startField, isDateLike, 'a date or date-time field');
        expect(`${at}.endField`, rule.endField, isDateLike, 'a date or date-time field');
        break;
      case 'sprint':
        expect(`${at}.field`, rule.field, isSprint, 'the Sprint field');
        break;
      case 'version':
        break;
    }
    if ('end' in rule && rule.end) {
      if (rule.end.type === 'durationField') expect(`${at}.end.field`, rule.end.field, isNumber, 'a number field (minutes)');
      if (rule.end.type === 'endField') expect(`${at}.end.field`, rule.end.field, isDateTime, 'a date-time field');
    }
  });
  config.access.divideByUserFields.forEach((id, index) => expect(`access.divideByUserFields.${index}`, id, isUser, 'a user field'));

  const problems: FieldIssue[] = [];
  for (const { path, id, accepts, wants } of expectations) {
    const field = byId.get(id);
    if (!field) problems.push({ path, message: `Jira has no field "${id}" visible to the Calendar Sync app user` });
    else if (!accepts(field)) problems.push({ path, message: `"${field.name}" is ${typeOf(field)}; this needs ${wants}` });
  }
  return problems;
}
