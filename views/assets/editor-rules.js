// @ts-check
// The feed editor's "Event rules" section: one card per rule, added, removed and numbered here, and the
// field pickers the cards show.
import { h } from './dom.js';
import { resizeFrame } from './page-host.js';
import { errorOnly, selectInput, textInput } from './form-fields.js';
import { RuleCard } from './rule-card.js';

/** @typedef {import('../types/api.js').JiraField} JiraField */
/** @typedef {import('./form-fields.js').Field} Field */
/** @typedef {import('./form-fields.js').Register} Register */
/** @typedef {import('./form-fields.js').SelectOption} SelectOption */
/** @typedef {import('./rule-card.js').PickerOptions} PickerOptions */
/** @typedef {import('./rule-card.js').RuleDraft} RuleDraft */

/** The rule cards; `read()` gives `config.rules` as the API expects them. */
export class RulesSection {
  /**
   * @param {readonly RuleDraft[]} rules
   * @param {JiraField[] | null} fields Jira's fields, null when they could not be loaded
   * @param {ReadonlyMap<string, JiraField>} fieldsById
   * @param {Register} register
   */
  constructor(rules, fields, fieldsById, register) {
    this.fields = fields;
    this.fieldsById = fieldsById;
    /** @type {RuleCard[]} */
    this.cards = [];
    this.list = h('div', {});
    const error = register('rules', errorOnly());
    for (const rule of rules) this.addRule(rule, false);
    this.element = h(
      'section',
      { class: 'section', 'aria-labelledby': 'sec-rules' },
      h('h3', { id: 'sec-rules', text: 'Event rules' }),
      h('p', {
        class: 'subtle',
        text: 'Each rule turns a date on an issue (or a sprint or version) into calendar events. An issue can produce one event per rule.',
      }),
      this.list,
      error.element,
      h('button', {
        type: 'button',
        class: 'button',
        text: '+ Add event rule',
        on: { click: () => this.addRule(null, true) },
      }),
    );
  }

  nextRuleId() {
    const taken = new Set(this.cards.map((card) => card.idInput.value));
    for (let n = this.cards.length + 1; ; n++) if (!taken.has(`rule-${n}`)) return `rule-${n}`;
  }

  /**
   * @param {RuleDraft | null} rule null for a new all-day rule
   * @param {boolean} focus
   */
  addRule(rule, focus) {
    const card = new RuleCard(this, rule ?? { id: this.nextRuleId(), kind: 'allDay', field: '' });
    this.cards.push(card);
    this.list.append(card.element);
    this.renumberRules();
    if (focus) card.kindSelect.focus();
    resizeFrame();
  }

  /** @param {RuleCard} card */
  removeRule(card) {
    const index = this.cards.indexOf(card);
    this.cards.splice(index, 1);
    card.element.remove();
    this.renumberRules();
    const next = this.cards[Math.min(index, this.cards.length - 1)];
    if (next) next.kindSelect.focus();
    resizeFrame();
  }

  renumberRules() {
    this.cards.forEach((card, index) => card.setNumber(index + 1, this.cards.length));
  }

  /**
   * A field picker limited to fitting types; a text box when Jira's fields could not be loaded.
   * @param {readonly string[]} types
   * @param {string | undefined} value
   * @param {PickerOptions} [options]
   * @returns {HTMLInputElement | HTMLSelectElement}
   */
  fieldPicker(types, value, { optional = false, noneLabel = 'None' } = {}) {
    const fields = this.fields;
    if (!fields)
      return textInput(value ?? '', { placeholder: 'Field id, e.g. duedate or customfield_10042' });
    const fitting = fields.filter((field) => types.includes(field.type));
    /** @type {SelectOption[]} */
    const options = [];
    if (optional) options.push(['', noneLabel]);
    else if (!value) options.push(['', 'Choose a field…']);
    for (const field of fitting)
      options.push([field.id, field.custom ? `${field.name} (${field.id})` : field.name]);
    if (value && !fitting.some((field) => field.id === value)) {
      const known = this.fieldsById.get(value);
      options.push([
        value,
        known
          ? `${known.name}: a ${known.type} field, which does not fit here`
          : `${value} (not found in Jira)`,
      ]);
    }
    if (fitting.length === 0 && !optional)
      options.push(['', `No ${types.join(' or ')} fields on this site`, true]);
    return selectInput(options, value ?? '');
  }

  read() {
    return this.cards.map((card) => card.read());
  }

  /**
   * The cards' controls, filed under their rules' config paths.
   * @returns {{ path: string, field: Field }[]}
   */
  cardEntries() {
    return this.cards.flatMap((card, index) =>
      card.entries.map(({ path, field }) => ({ path: `rules.${index}${path ? `.${path}` : ''}`, field })),
    );
  }
}
