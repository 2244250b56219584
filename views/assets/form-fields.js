// @ts-check
// Labelled form controls for the feed editor, each with its help line and error line.
import { h, uniqueId } from './dom.js';

/**
 * A control with its error line, as the editors register them against a config path.
 * @typedef {{
 *   element: HTMLElement,
 *   errorOnly?: boolean,
 *   focusTarget: HTMLElement,
 *   setError(message: string): void,
 *   clearError(): void,
 * }} Field
 */
/**
 * Files a control under its config path, so that the server's problems with that path land next to it.
 * @typedef {(path: string, field: Field) => Field} Register
 */
/** @typedef {[value: string, label: string, disabled?: boolean]} SelectOption */
/** @typedef {[value: string, label: string, help?: string | null]} RadioOption */

/** @returns {string[]} */
export function timeZones() {
  /** @type {string[]} */
  let zones;
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

/**
 * An error line with no control of its own (problems about the rule list as a whole).
 * @returns {Field}
 */
export function errorOnly() {
  const element = h('div', { class: 'field-error', role: 'alert', tabIndex: -1, hidden: true });
  return {
    element,
    errorOnly: true,
    focusTarget: element,
    /** @param {string} message */
    setError(message) {
      element.textContent = message;
      element.hidden = false;
    },
    clearError() {
      element.textContent = '';
      element.hidden = true;
    },
  };
}

/**
 * One labelled control with help and an error line: { element, control, errorEl, setError, clearError }.
 * `focusTarget` is what an error link focuses (a group's first input).
 * @param {{
 *   label: string,
 *   control: HTMLElement,
 *   help?: string | undefined,
 *   required?: boolean,
 *   extra?: HTMLElement | null,
 *   group?: boolean,
 *   focusTarget?: HTMLElement | null,
 * }} options
 * @returns {Field & { control: HTMLElement, errorEl: HTMLElement }}
 */
export function makeField({
  label,
  control,
  help,
  required = false,
  extra = null,
  group = false,
  focusTarget = null,
}) {
  const id = control.id || uniqueId('field');
  if (!group) control.id = id;
  const helpEl = help ? h('div', { class: 'help', id: `${id}-help`, text: help }) : null;
  const errorEl = h('div', { class: 'field-error', id: `${id}-error`, hidden: true });
  const describedBy = [helpEl?.id, errorEl.id].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  const element = group
    ? h(
        'fieldset',
        { class: 'field', 'aria-describedby': describedBy },
        h('legend', { class: required ? 'required' : null, text: label }),
        control,
        extra,
        helpEl,
        errorEl,
      )
    : h(
        'div',
        { class: 'field' },
        h('label', { for: id, class: required ? 'required' : null, text: label }),
        control,
        extra,
        helpEl,
        errorEl,
      );
  if (required && !group) control.setAttribute('aria-required', 'true');
  const invalidTarget = group ? element : control;
  return {
    element,
    control,
    errorEl,
    focusTarget: focusTarget ?? control,
    /** @param {string} message */
    setError(message) {
      errorEl.textContent = message;
      errorEl.hidden = false;
      invalidTarget.setAttribute('aria-invalid', 'true');
    },
    clearError() {
      errorEl.textContent = '';
      errorEl.hidden = true;
      invalidTarget.removeAttribute('aria-invalid');
    },
  };
}

/**
 * @param {string | null | undefined} value
 * @param {Record<string, unknown>} [props]
 */
export function textInput(value, props = {}) {
  return h('input', { type: 'text', value: value ?? '', autocomplete: 'off', spellcheck: false, ...props });
}

/**
 * @param {number | string | null | undefined} value a number, or the text a number box held (see readNumber)
 * @param {Record<string, unknown>} [props]
 */
export function numberInput(value, props = {}) {
  return h('input', {
    type: 'number',
    value: value === null || value === undefined ? '' : String(value),
    inputMode: 'numeric',
    step: 1,
    ...props,
  });
}

/**
 * The number typed, `null` (nullable) or `undefined` when empty, and the text itself when it is not a number,
 * so that the server names the problem.
 * @param {HTMLInputElement} input
 * @param {{ nullable?: boolean }} [options]
 * @returns {number | string | null | undefined}
 */
export function readNumber(input, { nullable = false } = {}) {
  if (input.value.trim() === '') return nullable ? null : undefined;
  const value = Number(input.value);
  return Number.isFinite(value) ? value : input.value;
}

/**
 * @param {SelectOption[]} options
 * @param {string} value
 * @param {Record<string, unknown>} [props]
 */
export function selectInput(options, value, props = {}) {
  return h(
    'select',
    props,
    options.map(([optionValue, label, disabled]) =>
      h('option', {
        value: optionValue,
        selected: optionValue === value,
        disabled: Boolean(disabled),
        text: label,
      }),
    ),
  );
}

/**
 * @param {string} name
 * @param {RadioOption[]} options
 * @param {string} value
 * @param {() => void} [onChange]
 */
export function radioGroup(name, options, value, onChange) {
  /** @type {HTMLInputElement[]} */
  const inputs = [];
  const items = options.map(([optionValue, label, help]) => {
    const id = uniqueId(name);
    const input = h('input', {
      type: 'radio',
      name,
      id,
      value: optionValue,
      checked: optionValue === value,
      on: onChange ? { change: onChange } : {},
    });
    inputs.push(input);
    return h(
      'div',
      { class: 'choice' },
      input,
      h(
        'div',
        {},
        h('label', { for: id, text: label }),
        help ? h('div', { class: 'help', text: help }) : null,
      ),
    );
  });
  return {
    element: h('div', { role: 'radiogroup' }, items),
    inputs,
    value: () => inputs.find((input) => input.checked)?.value,
  };
}

/**
 * @param {string} label
 * @param {boolean | undefined} checked
 * @param {string} [help]
 */
export function checkbox(label, checked, help) {
  const id = uniqueId('check');
  const input = h('input', { type: 'checkbox', id, checked: Boolean(checked) });
  return {
    input,
    element: h(
      'div',
      { class: 'choice' },
      input,
      h(
        'div',
        {},
        h('label', { for: id, text: label }),
        help ? h('div', { class: 'help', text: help }) : null,
      ),
    ),
  };
}
