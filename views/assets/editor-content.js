// @ts-check
// The feed editor's "What events say" section: title and description templates with a live example,
// categories, free or busy, reminder, resolved issues.
import { h, replaceChildren } from './dom.js';
import { makeField, numberInput, radioGroup, readNumber, selectInput, textInput } from './form-fields.js';
import { finishSummary, parseTemplate, renderSample, validPlaceholderList } from './templates.js';

/** @typedef {Omit<import('../types/api.js').FeedConfig['content'], 'templateFields'>} Content */
/** @typedef {import('../types/api.js').Preview} Preview */
/** @typedef {import('../types/api.js').PreviewEvent} PreviewEvent */
/** @typedef {import('./form-fields.js').Field} Field */
/** @typedef {import('./form-fields.js').Register} Register */
/**
 * What an example is rendered with: the site's address for {url}, and field names for {field:…}.
 * @typedef {{ siteBaseUrl: string, fieldName: (id: string) => string | null }} ExampleContext
 */
/** @typedef {{ input: HTMLInputElement | HTMLTextAreaElement, example: HTMLElement, field: Field }} TemplateBox */

/** @type {import('./form-fields.js').RadioOption[]} */
const TRANSPARENCIES = [
  ['free', 'Free', 'Events do not block time in schedulers'],
  ['busy', 'Busy', 'Events block time like meetings'],
];

/** @type {import('./form-fields.js').SelectOption[]} */
const RESOLVED_CHOICES = [
  ['show', 'Show them like any other issue'],
  ['mark', 'Show them with ✓ before the title'],
  ['hide', 'Leave them out of the feed'],
];

/** The section's controls; `read()` gives `config.content` as the API expects it. */
export class ContentSection {
  /**
   * @param {Content} content
   * @param {ExampleContext} context
   * @param {Register} register
   */
  constructor(content, context, register) {
    this.templates = new TemplateFields(content, context, register);
    this.categoriesInput = textInput((content.categories ?? []).join(', '), {
      placeholder: 'e.g. Jira, Releases',
    });
    const categories = register(
      'content.categories',
      makeField({
        label: 'Categories',
        control: this.categoriesInput,
        help: 'Comma-separated; some calendar apps colour or filter events by category.',
      }),
    );
    this.transparency = radioGroup('transparency', TRANSPARENCIES, content.transparency ?? 'free');
    const transparency = register(
      'content.transparency',
      makeField({
        label: 'Show events as',
        control: this.transparency.element,
        group: true,
        focusTarget: this.transparency.inputs[0] ?? null,
      }),
    );
    this.alarmInput = numberInput(content.alarmMinutesBefore, {
      min: 0,
      max: 40320,
      placeholder: 'No reminder',
    });
    const alarm = register(
      'content.alarmMinutesBefore',
      makeField({
        label: 'Reminder (minutes before)',
        control: this.alarmInput,
        help: 'Leave empty for no reminder; 1440 is one day.',
      }),
    );
    this.resolvedSelect = selectInput(RESOLVED_CHOICES, content.resolved ?? 'show');
    const resolved = register(
      'content.resolved',
      makeField({ label: 'Resolved issues', control: this.resolvedSelect }),
    );
    this.element = h(
      'section',
      { class: 'section', 'aria-labelledby': 'sec-content' },
      h('h3', { id: 'sec-content', text: 'What events say' }),
      this.templates.summary.field.element,
      this.templates.description.field.element,
      h('div', { class: 'row' }, categories.element, alarm.element),
      transparency.element,
      resolved.element,
    );
  }

  /** Redraws the template examples (and their errors, which clearing all errors removed). */
  showExamples() {
    this.templates.show();
  }

  /**
   * Adds the preview's first event to the title example.
   * @param {Preview} preview
   */
  previewed(preview) {
    this.templates.firstPreviewed = preview.events[0];
    this.templates.show();
  }

  read() {
    return {
      ...this.templates.read(),
      categories: this.categoriesInput.value
        .split(',')
        .map((category) => category.trim())
        .filter(Boolean),
      transparency: this.transparency.value() ?? 'free',
      alarmMinutesBefore: readNumber(this.alarmInput, { nullable: true }),
      resolved: this.resolvedSelect.value,
    };
  }
}

/** The title and description templates, each with an example of what it gives for a made-up issue. */
class TemplateFields {
  /**
   * @param {Content} content
   * @param {ExampleContext} context
   * @param {Register} register
   */
  constructor(content, context, register) {
    this.context = context;
    /**
     * The first event of the last preview that ran, shown under the title example.
     * @type {PreviewEvent | undefined}
     */
    this.firstPreviewed = undefined;
    this.summary = templateBox(
      register,
      'content.summaryTemplate',
      textInput(content.summaryTemplate, { maxLength: 1000 }),
      'summary-example',
      { label: 'Event title', required: true, help: `Placeholders: ${validPlaceholderList()}` },
    );
    this.description = templateBox(
      register,
      'content.descriptionTemplate',
      h('textarea', { rows: 3, value: content.descriptionTemplate ?? '', maxLength: 4000 }),
      'description-example',
      { label: 'Event description' },
    );
    for (const { input } of [this.summary, this.description])
      input.addEventListener('input', () => this.show());
    this.show();
  }

  show() {
    const sample = { jiraBaseUrl: this.context.siteBaseUrl, fieldName: this.context.fieldName };
    showExample(this.summary, sample, finishSummary);
    showExample(this.description, sample, (text) => text.trim());
    const first = this.firstPreviewed;
    if (first)
      this.summary.example.append(
        h('br'),
        h('span', { class: 'subtlest', text: 'First event in the preview: ' }),
        first.summary,
      );
  }

  read() {
    return { summaryTemplate: this.summary.input.value, descriptionTemplate: this.description.input.value };
  }
}

/**
 * A template control with its example under it.
 * @param {Register} register
 * @param {string} path
 * @param {HTMLInputElement | HTMLTextAreaElement} input
 * @param {string} testId
 * @param {{ label: string, required?: boolean, help?: string }} options
 * @returns {TemplateBox}
 */
function templateBox(register, path, input, testId, { label, required = false, help }) {
  const example = h('div', { class: 'example', 'data-testid': testId });
  const field = register(path, makeField({ label, control: input, required, extra: example, help }));
  return { input, example, field };
}

/**
 * The template's example, or its error when it does not parse.
 * @param {TemplateBox} box
 * @param {Parameters<typeof renderSample>[1]} sample
 * @param {(text: string) => string} finish
 */
function showExample({ input, example, field }, sample, finish) {
  const parsed = parseTemplate(input.value);
  if (!parsed.ok) {
    field.setError(parsed.message);
    replaceChildren(example);
    example.hidden = true;
    return;
  }
  field.clearError();
  example.hidden = false;
  const text = finish(renderSample(parsed.parts, sample));
  replaceChildren(example, h('span', { class: 'subtlest', text: 'Example: ' }), text || '(empty)');
}
