// @ts-check
// The feed editor's "Name and issues" section: feed name, JQL query or saved filter, feed time zone.
import { api, ApiError } from './api-client.js';
import { h, replaceChildren } from './dom.js';
import { explainError } from './feedback.js';
import { plural } from './formats.js';
import { debounce, resizeFrame } from './page-host.js';
import { makeField, radioGroup, selectInput, textInput, timeZones } from './form-fields.js';

/** @typedef {import('../types/api.js').FeedConfig} FeedConfig */
/** @typedef {import('../types/api.js').JqlCheck} JqlCheck */
/** @typedef {import('./form-fields.js').Register} Register */

/** @type {import('./form-fields.js').RadioOption[]} */
const SOURCE_TYPES = [
  ['jql', 'A JQL query'],
  ['filter', 'A saved filter'],
];

/**
 * Data Center reads Jira with one person's rights. Saving someone else's feed moves it to the editor's,
 * because Jira checked the query with those: say so before the save, not after.
 * @param {import('../types/api.js').FeedView | null} feed
 * @param {import('../types/api.js').EditorLookups} lookups
 * @returns {HTMLElement | null}
 */
export function rightsNotice(feed, lookups) {
  const viewer = lookups.viewer;
  if (!feed?.runsAs || viewer?.door !== 'datacenter' || viewer.accountId === feed.runsAs) return null;
  return h('p', {
    class: 'section-message section-message--warning',
    'data-testid': 'rights-notice',
    text:
      `This feed reads Jira with the rights of ${feed.runsAs}. When you save your changes it reads with yours ` +
      'instead: it will publish only the issues you may browse in Jira, to every subscriber.',
  });
}

/** The section's controls; `read()` gives the name, source and time zone as the API expects them. */
export class SourceSection {
  /**
   * @param {Pick<FeedConfig, 'name' | 'source' | 'timeZone'>} config
   * @param {Register} register
   */
  constructor(config, register) {
    this.nameInput = textInput(config.name, { maxLength: 200, placeholder: 'e.g. Release dates' });
    const name = register(
      'name',
      makeField({
        label: 'Feed name',
        control: this.nameInput,
        required: true,
        help: 'Calendar apps show this as the calendar’s name.',
      }),
    );
    this.sourceType = radioGroup('source-type', SOURCE_TYPES, config.source.type, () => this.showSource());
    const typeField = register(
      'source.type',
      makeField({
        label: 'Issues come from',
        control: this.sourceType.element,
        group: true,
        focusTarget: this.sourceType.inputs[0] ?? null,
      }),
    );
    this.jql = new JqlQuery(config.source.type === 'jql' ? config.source.jql : '', register);
    this.filterInput = textInput(config.source.type === 'filter' ? config.source.filterId : '', {
      inputMode: 'numeric',
      placeholder: '10042',
    });
    this.filterField = register(
      'source.filterId',
      makeField({
        label: 'Saved filter id',
        control: this.filterInput,
        required: true,
        help: 'The number at the end of the filter’s URL (…/issues/?filter=10042). Share the filter with the Calendar Sync app user.',
      }),
    );
    this.timeZoneSelect = selectInput(
      timeZones().map((zone) => [zone, zone.replaceAll('_', ' ')]),
      config.timeZone ?? 'UTC',
    );
    const zone = register(
      'timeZone',
      makeField({
        label: 'Feed time zone',
        control: this.timeZoneSelect,
        help: 'Times of day and the day of date-time fields are read in this zone.',
      }),
    );
    this.element = h(
      'section',
      { class: 'section', 'aria-labelledby': 'sec-source' },
      h('h3', { id: 'sec-source', text: 'Name and issues' }),
      name.element,
      typeField.element,
      this.jql.field.element,
      this.filterField.element,
      zone.element,
    );
    this.showSource();
    if (config.source.type === 'jql' && config.source.jql) this.jql.checkSoon(config.source.jql);
  }

  showSource() {
    const type = this.sourceType.value();
    this.jql.field.element.hidden = type !== 'jql';
    this.filterField.element.hidden = type !== 'filter';
    resizeFrame();
  }

  /** The editor was left: a check still waiting for the admin to stop typing is never sent. */
  close() {
    this.jql.close();
  }

  /** Puts Jira's verdict on the query back after all errors were cleared: it stands until the query changes. */
  restoreJqlProblem() {
    if (this.jql.problem) this.jql.field.setError(this.jql.problem);
  }

  /** @returns {{ name: string, source: FeedConfig['source'], timeZone: string }} */
  read() {
    return {
      name: this.nameInput.value,
      source:
        this.sourceType.value() === 'filter'
          ? { type: 'filter', filterId: this.filterInput.value.trim() }
          : { type: 'jql', jql: this.jql.input.value },
      timeZone: this.timeZoneSelect.value,
    };
  }
}

/** The JQL box, with Jira's verdict on the query shown under it shortly after the admin stops typing. */
class JqlQuery {
  /**
   * @param {string} jql
   * @param {Register} register
   */
  constructor(jql, register) {
    this.input = h('textarea', {
      rows: 3,
      value: jql,
      spellcheck: false,
      placeholder: 'project = CAL AND duedate is not EMPTY',
    });
    this.status = h('div', { 'aria-live': 'polite', 'data-testid': 'jql-status' });
    this.field = register(
      'source.jql',
      makeField({
        label: 'JQL query',
        control: this.input,
        required: true,
        extra: this.status,
        help: 'Runs as the Calendar Sync app user, so name people and groups explicitly instead of currentUser().',
      }),
    );
    /**
     * Jira's objection to the query as it stands.
     * @type {string | null}
     */
    this.problem = null;
    /** Counts the checks asked for, so that an answer to an older one is dropped. */
    this.sequence = 0;
    this.checkSoon = debounce((/** @type {string} */ query) => void this.check(query), 500);
    this.input.addEventListener('input', () => {
      this.problem = null;
      this.field.clearError();
      this.sequence += 1;
      replaceChildren(this.status);
      if (this.input.value.trim()) this.checkSoon(this.input.value);
    });
  }

  close() {
    this.checkSoon.cancel();
    this.sequence += 1;
  }

  /** @param {string} jql */
  async check(jql) {
    const sequence = (this.sequence += 1);
    replaceChildren(
      this.status,
      h(
        'div',
        { class: 'help' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        ' Checking the query with Jira…',
      ),
    );
    try {
      /** @type {JqlCheck} */
      const result = await api('POST', 'jql/check', { jql });
      if (sequence !== this.sequence) return;
      if (result.valid) {
        replaceChildren(
          this.status,
          h('div', {
            class: 'field-ok',
            text:
              result.count === null
                ? 'Jira accepts this query.'
                : `Jira accepts this query: ${plural(result.count, 'matching issue')}.`,
          }),
        );
        this.field.clearError();
      } else {
        replaceChildren(this.status);
        this.problem = result.errors.join(' ') || 'Jira rejected this query.';
        this.field.setError(this.problem);
      }
    } catch (error) {
      if (sequence !== this.sequence) return;
      replaceChildren(this.status);
      if (error instanceof ApiError && error.status === 400 && error.fields.length > 0)
        this.field.setError(error.fields.map((field) => field.message).join(' '));
      else if (!(error instanceof ApiError && error.status === 404)) {
        replaceChildren(
          this.status,
          h('div', {
            class: 'help',
            text: `The query could not be checked right now (${explainError(error)}). It is checked again when you save.`,
          }),
        );
      }
    }
    resizeFrame();
  }
}
