// One event rule of the feed editor: kind, fields fitting that kind, start and end options.
import { h, replaceChildren, resizeFrame, uniqueId } from './common.js';
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

const KINDS = [
  ['allDay', 'All-day event on a date field'],
  ['timed', 'Timed event at a date-time field'],
  ['dateWithTime', 'Date field plus a time of day'],
  ['range', 'Span from a start date to an end date'],
  ['sprint', 'Sprints (start to end)'],
  ['version', 'Versions (release dates)'],
];

export { FITS };

const END_TYPES = [
  ['duration', 'After a fixed duration'],
  ['durationField', 'After the minutes in a number field'],
  ['endField', 'At the date-time in another field'],
  ['fixedEndTime', 'At a fixed time of day'],
];

/** One event rule's controls; `read()` gives the rule as the API expects it. */
export class RuleCard {
  constructor(editor, rule) {
    this.editor = editor;
    this.rule = rule;
    this.entries = [];
    this.headingId = uniqueId('rule-heading');
    this.heading = h('h4', { id: this.headingId, style: 'margin:0' });
    this.removeButton = h('button', {
      type: 'button',
      class: 'button button--subtle button--compact',
      text: 'Remove',
      on: { click: () => editor.removeRule(this) },
    });
    this.kindSelect = selectInput(KINDS, rule.kind);
    this.kindSelect.addEventListener('change', () => {
      const previous = this.read();
      const kind = this.kindSelect.value;
      this.rule = { id: previous.id, kind };
      const fits = (id) => {
        const field = editor.fieldsById.get(id);
        return field ? (FITS[kind] ?? []).includes(field.type) : false;
      };
      if (previous.field && fits(previous.field)) this.rule.field = previous.field;
      else if (previous.startField && fits(previous.startField)) this.rule.field = previous.startField;
      if (previous.end)
        this.rule.end =
          previous.end.type === 'fixedEndTime' && kind !== 'dateWithTime' ? undefined : previous.end;
      this.drawBody();
    });
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
    this.drawBody();
  }

  add(path, field) {
    this.entries.push({ path, field });
    return field;
  }

  setNumber(number, total) {
    this.heading.textContent = `Event rule ${number}`;
    this.removeButton.setAttribute('aria-label', `Remove event rule ${number}`);
    this.removeButton.title = total <= 1 ? 'A feed needs at least one rule to have events' : '';
  }

  picker(path, label, types, value, options = {}) {
    const control = this.editor.fieldPicker(types, value, options);
    const field = this.add(
      path,
      makeField({ label, control, required: !options.optional, help: options.help }),
    );
    this.controls[path] = control;
    return field.element;
  }

  drawBody() {
    this.entries = this.entries.filter((entry) => entry.path === 'kind' || entry.path === 'id');
    this.controls = {};
    const rule = this.rule;
    const parts = [];
    this.drawnKind = this.kindSelect.value;
    switch (this.drawnKind) {
      case 'allDay':
        parts.push(this.picker('field', 'Date field', FITS.allDay, rule.field));
        parts.push(
          this.picker('timeZoneField', 'Time zone field (optional)', FITS.timeZoneField, rule.timeZoneField, {
            optional: true,
            noneLabel: 'Use the feed time zone',
            help: 'For date-time fields: a field holding a zone like Europe/Berlin decides which day the event falls on.',
          }),
        );
        break;
      case 'timed':
        parts.push(this.picker('field', 'Start (date-time field)', FITS.timed, rule.field));
        parts.push(this.endControls(rule.end, false));
        break;
      case 'dateWithTime': {
        parts.push(this.picker('field', 'Date field', FITS.dateWithTime, rule.field));
        const time = h('input', { type: 'time', value: rule.startTime ?? '09:00' });
        this.controls.startTime = time;
        parts.push(
          h(
            'div',
            { class: 'row' },
            this.add('startTime', makeField({ label: 'Starts at', control: time })).element,
            this.picker(
              'startTimeField',
              'Start time field (optional)',
              FITS.startTimeField,
              rule.startTimeField,
              {
                optional: true,
                noneLabel: 'Always the time on the left',
                help: 'A field holding a time like 07:30 overrides it per issue.',
              },
            ),
          ),
        );
        const zone = selectInput(
          [['', 'Feed time zone'], ...timeZones().map((name) => [name, name.replaceAll('_', ' ')])],
          rule.timeZone ?? '',
        );
        this.controls.timeZone = zone;
        parts.push(
          this.add('timeZone', makeField({ label: 'Time zone of the time', control: zone })).element,
        );
        parts.push(this.endControls(rule.end, true));
        break;
      }
      case 'range':
        parts.push(
          h(
            'div',
            { class: 'row' },
            this.picker('startField', 'Start field', FITS.range, rule.startField),
            this.picker('endField', 'End field', FITS.range, rule.endField),
          ),
        );
        break;
      case 'sprint':
        parts.push(this.picker('field', 'Sprint field', FITS.sprint, rule.field ?? 'customfield_10020'));
        break;
      case 'version': {
        const check = checkbox(
          'Span from the version’s start date to its release date',
          rule.useStartDate,
          'Otherwise one all-day event on the release date.',
        );
        this.controls.useStartDate = check.input;
        parts.push(
          this.add(
            'useStartDate',
            makeField({ label: 'Versions', control: check.element, group: true, focusTarget: check.input }),
          ).element,
        );
        break;
      }
    }
    replaceChildren(this.body, parts);
    resizeFrame();
  }

  endControls(end, allowFixedTime) {
    const current = end ?? { type: 'duration', minutes: 60 };
    const types = END_TYPES.filter(([type]) => allowFixedTime || type !== 'fixedEndTime');
    const typeSelect = selectInput(types, current.type);
    this.controls.endType = typeSelect;
    const sub = h('div', {});
    const drawSub = () => {
      this.entries = this.entries.filter((entry) => !entry.path.startsWith('end.'));
      for (const key of ['endMinutes', 'endField', 'endDefaultMinutes', 'endTime']) delete this.controls[key];
      const value = typeSelect.value === current.type ? current : {};
      const parts = [];
      if (typeSelect.value === 'duration') {
        const minutes = numberInput(value.minutes ?? 60, { min: 1, max: 10080 });
        this.controls.endMinutes = minutes;
        parts.push(
          this.add('end.minutes', makeField({ label: 'Duration (minutes)', control: minutes })).element,
        );
      } else if (typeSelect.value === 'durationField') {
        const field = this.editor.fieldPicker(FITS.durationField, value.field);
        const fallback = numberInput(value.defaultMinutes ?? 60, { min: 1, max: 10080 });
        this.controls.endField = field;
        this.controls.endDefaultMinutes = fallback;
        parts.push(
          h(
            'div',
            { class: 'row' },
            this.add('end.field', makeField({ label: 'Minutes field', control: field, required: true }))
              .element,
            this.add('end.defaultMinutes', makeField({ label: 'When empty (minutes)', control: fallback }))
              .element,
          ),
        );
      } else if (typeSelect.value === 'endField') {
        const field = this.editor.fieldPicker(FITS.endField, value.field);
        this.controls.endField = field;
        parts.push(
          this.add('end.field', makeField({ label: 'End (date-time field)', control: field, required: true }))
            .element,
        );
      } else {
        const time = h('input', { type: 'time', value: value.time ?? '17:00' });
        this.controls.endTime = time;
        parts.push(this.add('end.time', makeField({ label: 'Ends at', control: time })).element);
      }
      replaceChildren(sub, parts);
      resizeFrame();
    };
    typeSelect.addEventListener('change', drawSub);
    drawSub();
    return h(
      'div',
      {},
      this.add('end', makeField({ label: 'Event ends', control: typeSelect })).element,
      sub,
    );
  }

  readEnd() {
    const c = this.controls;
    switch (c.endType.value) {
      case 'duration':
        return { type: 'duration', minutes: readNumber(c.endMinutes) };
      case 'durationField':
        return {
          type: 'durationField',
          field: c.endField.value,
          defaultMinutes: readNumber(c.endDefaultMinutes),
        };
      case 'endField':
        return { type: 'endField', field: c.endField.value };
      default:
        return { type: 'fixedEndTime', time: c.endTime.value };
    }
  }

  read() {
    const c = this.controls;
    const base = { id: this.idInput.value.trim(), kind: this.drawnKind };
    const optional = (control) => (control && control.value ? control.value : undefined);
    switch (base.kind) {
      case 'allDay':
        return { ...base, field: c.field.value, timeZoneField: optional(c.timeZoneField) };
      case 'timed':
        return { ...base, field: c.field.value, end: this.readEnd() };
      case 'dateWithTime':
        return {
          ...base,
          field: c.field.value,
          startTime: c.startTime.value,
          startTimeField: optional(c.startTimeField),
          timeZone: optional(c.timeZone),
          end: this.readEnd(),
        };
      case 'range':
        return { ...base, startField: c.startField.value, endField: c.endField.value };
      case 'sprint':
        return { ...base, field: c.field.value };
      default:
        return { ...base, useStartDate: c.useStartDate.checked };
    }
  }
}
