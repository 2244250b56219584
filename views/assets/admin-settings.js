// @ts-check
// The admin page's site settings: error reports to the Calendar Sync team, with what a report contains, and
// the emergency stop for every feed's exports. Each switch is saved as soon as it changes. Below them, where
// Personal Data Reporting to Atlassian stands.
import { api } from './api-client.js';
import { h, replaceChildren } from './dom.js';
import { confirmDialog, explainError, showErrorFlag, showFlag } from './feedback.js';
import { timeElement } from './formats.js';
import { resizeFrame } from './page-host.js';

/** @typedef {import('../types/api.js').SiteSettingsView} SiteSettingsView */
/** @typedef {import('../types/api.js').PersonalDataReportingView} PersonalDataReportingView */

/** The Settings section; it shows a spinner until the settings are loaded. */
export function settingsSection() {
  const body = h(
    'div',
    {},
    h('p', { class: 'subtle' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' Loading settings…'),
  );
  void loadSettings(body);
  return h(
    'section',
    { class: 'section', 'aria-labelledby': 'settings-heading' },
    h('h2', { id: 'settings-heading', text: 'Settings' }),
    body,
  );
}

/** @param {HTMLElement} body */
async function loadSettings(body) {
  /** @type {SiteSettingsView} */
  let settings;
  try {
    settings = await api('GET', 'settings');
  } catch (error) {
    replaceChildren(
      body,
      h('p', { class: 'subtle', text: `Settings could not be loaded: ${explainError(error)}` }),
    );
    resizeFrame();
    return;
  }
  const reporting = h('input', {
    type: 'checkbox',
    id: 'setting-error-reporting',
    checked: settings.errorReportingEnabled,
  });
  const exportsOff = h('input', {
    type: 'checkbox',
    id: 'setting-exports-off',
    checked: !settings.exportsEnabled,
  });
  const switches = { reporting, exportsOff };
  reporting.addEventListener('change', () => {
    const on = reporting.checked;
    void save(
      switches,
      on ? 'Error reports will be sent when a sync fails unexpectedly.' : 'No error reports will be sent.',
      () => (reporting.checked = !on),
    );
  });
  exportsOff.addEventListener('change', () => void switchExports(switches));
  replaceChildren(
    body,
    h(
      'div',
      { class: 'panel' },
      choice(
        reporting,
        'Send error reports to the Calendar Sync team',
        'Sent only when something fails unexpectedly; no issue content, names or email addresses.',
        reportPreview(settings.errorReportPreview),
      ),
      choice(
        exportsOff,
        'Disable all feed exports for this site',
        'An emergency stop: every calendar URL answers “not found” while this is on. Syncs and settings are kept.',
      ),
    ),
    ...(settings.personalDataReporting ? [personalDataPanel(settings.personalDataReporting)] : []),
  );
  resizeFrame();
}

/**
 * When the site last told Atlassian which accounts the app holds, and what came of it.
 * @param {PersonalDataReportingView} status
 */
function personalDataPanel(status) {
  /** @type {Node[]} */
  const lines = [
    h(
      'p',
      { 'data-testid': 'personal-data-last-reported' },
      'Last reported to Atlassian: ',
      timeElement(status.lastReportedAt),
      ` · ${count(status.accountsHeld, 'account')} held`,
    ),
    h('p', {
      'data-testid': 'personal-data-outcomes',
      text:
        `${count(status.accountsErased, 'closed account')} erased, ` +
        `${count(status.accountsRefreshed, 'changed account')} refreshed from Jira.`,
    }),
  ];
  if (status.throttledUntil) {
    lines.push(
      h(
        'p',
        { class: 'section-message section-message--warning', 'data-testid': 'personal-data-waiting' },
        'Atlassian asked to wait: reporting resumes ',
        timeElement(status.throttledUntil),
        '.',
      ),
    );
  }
  if (status.failing) {
    const { failures, status: code, message } = status.failing;
    const answer = code
      ? `Atlassian answered ${code}${message ? `: ${message}` : ''}`
      : 'Atlassian could not be reached';
    lines.push(
      h('p', {
        class: 'section-message section-message--error',
        'data-testid': 'personal-data-failing',
        text: `Reporting is failing (${count(failures, 'attempt')} in a row; ${answer}). It is retried automatically.`,
      }),
    );
  }
  return h(
    'div',
    { class: 'panel', 'data-testid': 'personal-data-reporting' },
    h('h3', { text: 'Personal data reporting' }),
    h('div', {
      class: 'help',
      text: 'Calendar Sync asks Atlassian about every account it holds once a cycle, erases closed accounts and re-reads changed ones.',
    }),
    ...lines,
  );
}

/**
 * @param {number} n
 * @param {string} noun
 */
function count(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** @typedef {{ reporting: HTMLInputElement, exportsOff: HTMLInputElement }} Switches */

/**
 * Turning exports off stops every calendar on the site, so it is confirmed first; turning them on is not.
 * @param {Switches} switches
 */
async function switchExports(switches) {
  const { exportsOff } = switches;
  const off = exportsOff.checked;
  if (off) {
    const confirmed = await confirmDialog({
      title: 'Disable all feed exports?',
      body: [
        'Every feed URL on this site, shared and personal, answers “not found” until you turn exports back on. Feeds and URLs are kept.',
      ],
      confirmLabel: 'Disable exports',
      danger: true,
    });
    if (!confirmed) {
      exportsOff.checked = false;
      return;
    }
  }
  void save(
    switches,
    off ? 'Feed exports are off: calendar apps get “not found”.' : 'Feed exports are back on.',
    () => (exportsOff.checked = !off),
  );
}

/**
 * Saves both switches as they stand; neither can change again until the server has answered.
 * @param {Switches} switches
 * @param {string} changed what the flag says once saved
 * @param {() => void} revert puts the checkbox back when saving failed
 */
async function save({ reporting, exportsOff }, changed, revert) {
  // Disabling the focused switch sends the focus to the body; it is handed back unless it has moved on since.
  const focused = [reporting, exportsOff].find((input) => input === document.activeElement);
  reporting.disabled = true;
  exportsOff.disabled = true;
  try {
    await api('PUT', 'settings', {
      errorReportingEnabled: reporting.checked,
      exportsEnabled: !exportsOff.checked,
    });
    showFlag({ type: 'success', title: 'Settings saved', body: changed });
  } catch (error) {
    revert();
    showErrorFlag('save the settings', error);
  } finally {
    reporting.disabled = false;
    exportsOff.disabled = false;
    if (focused && document.activeElement === document.body) focused.focus();
  }
}

/**
 * A checkbox with its label and help text.
 * @param {HTMLInputElement} input
 * @param {string} label
 * @param {string} help
 * @param {...Node} more shown under the help text
 */
function choice(input, label, help, ...more) {
  return h(
    'div',
    { class: 'choice' },
    input,
    h(
      'div',
      {},
      h('label', { for: input.id, text: label }),
      h('div', { class: 'help', text: help }),
      ...more,
    ),
  );
}

/**
 * The server's example of an error report, as JSON.
 * @param {unknown} preview
 */
function reportPreview(preview) {
  return h(
    'details',
    {},
    h('summary', { text: 'What a report contains' }),
    h('pre', {
      class: 'json',
      'data-testid': 'error-report-preview',
      text: JSON.stringify(preview, null, 2),
    }),
  );
}
