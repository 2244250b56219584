// @ts-check
// One event rule of the feed editor: kind, fields fitting that kind, start and end options.
import { h, replaceChildren, uniqueId } from './dom.js';
import { resizeFrame } from './page-host.js';
import { FITS } from './field-slots.js';
import {
  checkbox,
  makeField,
  numberInput,
  readNumber,
  selectInput,
  textInput,
  timeZones,
} from './form-fields.js';

/** @typedef {import('../types/api.js').EventRule['kind']} RuleKind */
/** @typedef {import('../types/api.js').RuleEnd['type']} EndType */
/** @typedef {import('../types/api.js').JiraField} JiraField */
/** @typedef {import('../types/api.js').Child} Child */
/** @typedef {import('./form-fields.js').Field} Field */
/** @typedef {import('./form-fields.js').SelectOption} SelectOption */
/** @typedef {ReturnType<typeof readNumber>} FormNumber */
/**
 * A rule's end as the form reads it; the server names what is missing or wrong.
 * @typedef {(
 *   | { type: 'duration', minutes: FormNumber }
 *   | { type: 'durationField', field: string, defaultMinutes: FormNumber }
 *   | { type: 'endField', field: string }
 *   | { type: 'fixedEndTime', time: string }
 * )} FormEnd
 */
/**
 * A rule as the form reads it, sent as it is; the server names what is missing or wrong.
 * @typedef {(
 *   | {
 *       id: string,
 *       kind: 'allDay',
 *       field: string,
 *       timeZoneField: string | undefined,
 *       dayIn: 'subscriber' | undefined,
 *     }
 *   | { id: string, kind: 'timed', field: string, end: FormEnd }
 *   | {
 *       id: string,
 *       kind: 'dateWithTime',
 *       field: string,
 *       startTime: string,
 *       startTimeField: string | undefined,
 *       timeZone: string | undefined,
 *       end: FormEnd,
 *     }
 *   | { id: string, kind: 'range', startField: string, endField: string }
 *   | { id: string, kind: 'sprint', field: string }
 *   | { id: string, kind: 'version', useStartDate: boolean }
 * )} FormRule
 */
/**
 * What a card draws its controls from: a saved rule, or what carries over when its kind changes.
 * @typedef {{
 *   id: string,
 *   kind: RuleKind,
 *   field?: string,
 *   timeZoneField?: string | undefined,
 *   dayIn?: 'feed' | 'subscriber' | undefined,
 *   startTime?: string,
 *   startTimeField?: string | undefined,
 *   timeZone?: string | undefined,
 *   startField?: string,
 *   endField?: string,
 *   useStartDate?: boolean,
 *   end?: FormEnd | undefined,
 * }} RuleDraft
 */
/**
 * Besides the fitting fields, a picker may offer "none" (`optional`), under the name `noneLabel`.
 * @typedef {{ optional?: boolean, noneLabel?: string }} PickerOptions
 */
/**
 * What a card asks of the rules section it sits in.
 * @typedef {{
 *   fieldsById: ReadonlyMap<string, JiraField>,
 *   fieldPicker(
 *     types: readonly string[],
 *     value: string | undefined,
 *     options?: PickerOptions,
 *   ): HTMLInputElement | HTMLSelectElement,
 *   removeRule(card: RuleCard): void,
 * }} RuleCardHost
 */
/** @typedef {{ parts: Child[], read: () => FormRule }} KindControls */
/** @typedef {{ parts: Child[], read: () => FormEnd }} EndControls */

/** @type {[RuleKind, string][]} */
const KINDS = [
  ['allDay', 'All-day event on a date field'],
  ['timed', 'Timed event at a date-time field'],
  ['dateWithTime', 'Date field plus a time of day'],
  ['range', 'Span from a start date to an end date'],
  ['sprint', 'Sprints (start to end)'],
  ['version', 'Versions (release dates)'],
];

export { FITS };

/** @type {[EndType, string][]} */
const END_TYPES = [
  ['duration', 'After a fixed duration'],
  ['durationField', 'After the minutes in a number field'],
  ['endField', 'At the date-time in another field'],
  ['fixedEndTime', 'At a fixed time of day'],
];

/**
 * The value a select shows, as one of the values its options were made from.
 * @template {string} T
 * @param {readonly (readonly [T, string])[]} options
 * @param {string} value
 * @returns {T}
 */
function chosen(options, value) {
  const option = options.find(([candidate]) => candidate === value);
  if (!option) throw new Error(`“${value}” is none of the select’s options`);
  return option[0];
}

/**
 * The field types a kind's main field may have; versions have none.
 * @param {RuleKind} kind
 * @returns {readonly string[]}
 */
const fittingTypes = (kind) => (kind === 'version' ? [] : FITS[kind]);

/** @param {HTMLInputElement | HTMLSelectElement} control */
const optional = (control) => (control.value ? control.value : undefined);

/** One event rule's controls; `read()` gives the rule as the API expects it. */
export class RuleCard {
  /**
   * @param {RuleCardHost} host
   * @param {RuleDraft} rule
   */
  constructor(host, rule) {
    this.host = host;
    /** @type {{ path: string, field: Field }[]} */
    this.entries = [];
    this.headingId = uniqueId('rule-heading');
    this.heading = h('h4', { id: this.headingId, style: 'margin:0' });
    this.removeButton = h('button', {
      type: 'button',
      class: 'button button--subtle button--compact',
      text: 'Remove',
      on: { click: () => host.removeRule(this) },
    });
    this.kindSelect = selectInput(KINDS, rule.kind);
    this.kindSelect.addEventListener('change', () => this.changeKind());
    this.idInput = textInput(rule.id, { maxLength: 32, pattern: '[a-z0-9][a-z0-9-]*' });
    this.body = h('div', {});
    this.element = h(
      'div',
      { class: 'rule', role: 'group', 'aria-labelledby': this.headingId },
      h('div', { class: 'rule__header' }, this.heading, this.removeButton),
      h(
        'div',
        { class: 'row' },
        this.add('kind', makeField({ label: 'Kind of event', control: this.kindSelect })).element,
        this.add(
          'id',
          makeField({
            label: 'Rule id',
            control: this.idInput,
            help: 'Part of each event’s identity in calendars: changing it makes calendars see new events.',
          }),
        ).element,
      ),
      this.body,
    );
    this.readBody = this.drawBody(rule);
  }

  /**
   * @param {string} path
   * @param {Field} field
   */
  add(path, field) {
    this.entries.push({ path, field });
    return field;
  }

  /**
   * @param {number} number
   * @param {number} total
   */
  setNumber(number, total) {
    this.heading.textContent = `Event rule ${number}`;
    this.removeButton.setAttribute('aria-label', `Remove event rule ${number}`);
    this.removeButton.title = total <= 1 ? 'A feed needs at least one rule to have events' : '';
  }

  /** @returns {FormRule} */
  read() {
    return this.readBody();
  }

  ruleId() {
    return this.idInput.value.trim();
  }

  /** Redraws the card for the kind chosen, keeping the id, a field that fits the new kind, and the end. */
  changeKind() {
    /** @type {RuleDraft} */
    const previous = this.read();
    const kind = chosen(KINDS, this.kindSelect.value);
    /** @param {string} id */
    const fits = (id) => {
      const field = this.host.fieldsById.get(id);
      return field ? fittingTypes(kind).includes(field.type) : false;
    };
    /** @type {RuleDraft} */
    const rule = { id: previous.id, kind };
    if (previous.field && fits(previous.field)) rule.field = previous.field;
    else if (previous.startField && fits(previous.startField)) rule.field = previous.startField;
    if (previous.end)
      rule.end = previous.end.type === 'fixedEndTime' && kind !== 'dateWithTime' ? undefined : previous.end;
    this.readBody = this.drawBody(rule);
  }

  /**
   * Draws the controls of the kind chosen, filled from `rule`.
   * @param {RuleDraft} rule
   * @returns {() => FormRule} what reads the rule back from those controls
   */
  drawBody(rule) {
    this.entries = this.entries.filter((entry) => entry.path === 'kind' || entry.path === 'id');
    const { parts, read } = this.kindControls(chosen(KINDS, this.kindSelect.value), rule);
    replaceChildren(this.body, parts);
    resizeFrame();
    return read;
  }

  /**
   * @param {RuleKind} kind
   * @param {RuleDraft} rule
   * @returns {KindControls}
   */
  kindControls(kind, rule) {
    switch (kind) {
      case 'allDay':
        return this.allDayControls(rule);
      case 'timed': {
        const field = this.picker('field', 'Start (date-time field)', FITS.timed, rule.field);
        const end = this.endControls(rule.end, false);
        return {
          parts: [field.element, end.element],
          read: () => ({ id: this.ruleId(), kind: 'timed', field: field.control.value, end: end.read() }),
        };
      }
      case 'dateWithTime':
        return this.dateWithTimeControls(rule);
      case 'range': {
        const start = this.picker('startField', 'Start field', FITS.range, rule.startField);
        const end = this.picker('endField', 'End field', FITS.range, rule.endField);
        return {
          parts: [h('div', { class: 'row' }, start.element, end.element)],
          read: () => ({
            id: this.ruleId(),
            kind: 'range',
            startField: start.control.value,
            endField: end.control.value,
          }),
        };
      }
      case 'sprint': {
        const field = this.picker('field', 'Sprint field', FITS.sprint, rule.field ?? 'customfield_10020');
        return {
          parts: [field.element],
          read: () => ({ id: this.ruleId(), kind: 'sprint', field: field.control.value }),
        };
      }
      case 'version':
        return this.versionControls(rule);
    }
  }

  /**
   * @param {RuleDraft} rule
   * @returns {KindControls}
   */
  allDayControls(rule) {
    const field = this.picker('field', 'Date field', FITS.allDay, rule.field);
    const zoneField = this.picker(
      'timeZoneField',
      'Time zone field (optional)',
      FITS.timeZoneField,
      rule.timeZoneField,
      {
        optional: true,
        noneLabel: 'Use the feed time zone',
        help: 'For date-time fields: a field holding a zone like Europe/Berlin decides which day the event falls on.',
      },
    );
    const own = checkbox(
      "Each subscriber's own day",
      rule.dayIn === 'subscriber',
      "For date-time fields: personal URLs use the person's Jira profile time zone; the shared URL and the preview keep the feed's.",
    );
    const dayIn = this.add(
      'dayIn',
      makeField({ label: 'Whose day', control: own.element, group: true, focusTarget: own.input }),
    );
    return {
      parts: [field.element, zoneField.element, dayIn.element],
      read: () => ({
        id: this.ruleId(),
        kind: 'allDay',
        field: field.control.value,
        timeZoneField: optional(zoneField.control),
        dayIn: own.input.checked ? 'subscriber' : undefined,
      }),
    };
  }

  /**
   * @param {RuleDraft} rule
   * @returns {KindControls}
   */
  dateWithTimeControls(rule) {
    const field = this.picker('field', 'Date field', FITS.dateWithTime, rule.field);
    const time = h('input', { type: 'time', value: rule.startTime ?? '09:00' });
    const startTime = this.add('startTime', makeField({ label: 'Starts at', control: time }));
    const timeField = this.picker(
      'startTimeField',
      'Start time field (optional)',
      FITS.startTimeField,
      rule.startTimeField,
      {
        optional: true,
        noneLabel: 'Always the time on the left',
        help: 'A field holding a time like 07:30 overrides it per issue.',
      },
    );
    /** @type {SelectOption[]} */
    const zones = timeZones().map((name) => [name, name.replaceAll('_', ' ')]);
    const zone = selectInput([['', 'Feed time zone'], ...zones], rule.timeZone ?? '');
    const zoneField = this.add('timeZone', makeField({ label: 'Time zone of the time', control: zone }));
    const end = this.endControls(rule.end, true);
    return {
      parts: [
        field.element,
        h('div', { class: 'row' }, startTime.element, timeField.element),
        zoneField.element,
        end.element,
      ],
      read: () => ({
        id: this.ruleId(),
        kind: 'dateWithTime',
        field: field.control.value,
        startTime: time.value,
        startTimeField: optional(timeField.control),
        timeZone: optional(zone),
        end: end.read(),
      }),
    };
  }

  /**
   * @param {RuleDraft} rule
   * @returns {KindControls}
   */
  versionControls(rule) {
    const check = checkbox(
      'Span from the version’s start date to its release date',
      rule.useStartDate,
      'Otherwise one all-day event on the release date.',
    );
    const field = this.add(
      'useStartDate',
      makeField({ label: 'Versions', control: check.element, group: true, focusTarget: check.input }),
    );
    return {
      parts: [field.element],
      read: () => ({ id: this.ruleId(), kind: 'version', useStartDate: check.input.checked }),
    };
  }

  /**
   * A picker of Jira fields of fitting types, filed under `path`.
   * @param {string} path
   * @param {string} label
   * @param {readonly string[]} types
   * @param {string | undefined} value
   * @param {PickerOptions & { help?: string }} [options]
   */
  picker(path, label, types, value, options = {}) {
    const control = this.host.fieldPicker(types, value, options);
    const field = this.add(
      path,
      makeField({ label, control, required: !options.optional, help: options.help }),
    );
    return { element: field.element, control };
  }

  /**
   * "Event ends", and under it the controls of the end chosen there.
   * @param {FormEnd | undefined} end
   * @param {boolean} allowFixedTime
   * @returns {{ element: HTMLElement, read: () => FormEnd }}
   */
  endControls(end, allowFixedTime) {
    /** @type {FormEnd} */
    const current = end ?? { type: 'duration', minutes: 60 };
    const types = END_TYPES.filter(([type]) => allowFixedTime || type !== 'fixedEndTime');
    const typeSelect = selectInput(types, current.type);
    const sub = h('div', {});
    const drawSub = () => {
      this.entries = this.entries.filter((entry) => !entry.path.startsWith('end.'));
      const type = chosen(END_TYPES, typeSelect.value);
      const { parts, read } = this.endTypeControls(type, current.type === type ? current : null);
      replaceChildren(sub, parts);
      resizeFrame();
      return read;
    };
    let readEnd = drawSub();
    typeSelect.addEventListener('change', () => {
      readEnd = drawSub();
    });
    return {
      element: h(
        'div',
        {},
        this.add('end', makeField({ label: 'Event ends', control: typeSelect })).element,
        sub,
      ),
      read: () => readEnd(),
    };
  }

  /**
   * The controls of one kind of end.
   * @param {EndType} type
   * @param {FormEnd | null} given the end being edited, when it is of this kind
   * @returns {EndControls}
   */
  endTypeControls(type, given) {
    switch (type) {
      case 'duration': {
        const value = given?.type === 'duration' ? given : null;
        const minutes = numberInput(value?.minutes ?? 60, { min: 1, max: 10080 });
        return {
          parts: [
            this.add('end.minutes', makeField({ label: 'Duration (minutes)', control: minutes })).element,
          ],
          read: () => ({ type: 'duration', minutes: readNumber(minutes) }),
        };
      }
      case 'durationField': {
        const value = given?.type === 'durationField' ? given : null;
        const field = this.host.fieldPicker(FITS.durationField, value?.field);
        const fallback = numberInput(value?.defaultMinutes ?? 60, { min: 1, max: 10080 });
        return {
          parts: [
            h(
              'div',
              { class: 'row' },
              this.add('end.field', makeField({ label: 'Minutes field', control: field, required: true }))
                .element,
              this.add('end.defaultMinutes', makeField({ label: 'When empty (minutes)', control: fallback }))
                .element,
            ),
          ],
          read: () => ({ type: 'durationField', field: field.value, defaultMinutes: readNumber(fallback) }),
        };
      }
      case 'endField': {
        const value = given?.type === 'endField' ? given : null;
        const field = this.host.fieldPicker(FITS.endField, value?.field);
        return {
          parts: [
            this.add(
              'end.field',
              makeField({ label: 'End (date-time field)', control: field, required: true }),
            ).element,
          ],
          read: () => ({ type: 'endField', field: field.value }),
        };
      }
      case 'fixedEndTime': {
        const value = given?.type === 'fixedEndTime' ? given : null;
        const time = h('input', { type: 'time', value: value?.time ?? '17:00' });
        return {
          parts: [this.add('end.time', makeField({ label: 'Ends at', control: time })).element],
          read: () => ({ type: 'fixedEndTime', time: time.value }),
        };
      }
    }
  }
}
