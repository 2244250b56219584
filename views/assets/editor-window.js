// @ts-check
// The feed editor's "Date window and limits" section: days back and ahead, overdue issues, issue cap,
// sync interval, and what becomes of a removed issue's events.
import { h } from './dom.js';
import { DEFAULT_CONFIG } from './feed-defaults.js';
import { checkbox, makeField, numberInput, readNumber, selectInput } from './form-fields.js';

/** @typedef {import('../types/api.js').FeedConfig} FeedConfig */
/** @typedef {import('./form-fields.js').Register} Register */

const SYNC_INTERVALS = [15, 30, 60, 120, 240, 360, 720, 1440];

/**
 * The section's controls; `read()` gives `window`, `issueCap`, `syncIntervalMinutes` and `removedIssues` as
 * the API expects them.
 */
export class WindowSection {
  /**
   * @param {Pick<FeedConfig, 'window' | 'issueCap' | 'syncIntervalMinutes'> & Partial<Pick<FeedConfig, 'removedIssues'>>} config
   * @param {Register} register
   */
  constructor(config, register) {
    const dateWindow = config.window ?? DEFAULT_CONFIG.window;
    this.pastInput = numberInput(dateWindow.pastDays, { min: 0, max: 3650 });
    this.futureInput = numberInput(dateWindow.futureDays, { min: 1, max: 3650 });
    const past = register(
      'window.pastDays',
      makeField({ label: 'Days in the past', control: this.pastInput }),
    );
    const future = register(
      'window.futureDays',
      makeField({ label: 'Days ahead', control: this.futureInput }),
    );
    this.overdue = checkbox(
      'Keep unresolved overdue issues',
      dateWindow.keepUnresolvedOverdue ?? true,
      'Unresolved issues stay in the feed even when their date is older than the window.',
    );
    const overdue = register(
      'window.keepUnresolvedOverdue',
      makeField({
        label: 'Overdue issues',
        control: this.overdue.element,
        group: true,
        focusTarget: this.overdue.input,
      }),
    );
    this.capInput = numberInput(config.issueCap, { min: 1, max: 20000 });
    const cap = register(
      'issueCap',
      makeField({
        label: 'Issue cap',
        control: this.capInput,
        help: 'The most issues one sync reads (1–20,000).',
      }),
    );
    this.intervalSelect = intervalSelect(config.syncIntervalMinutes ?? 60);
    const syncInterval = register(
      'syncIntervalMinutes',
      makeField({
        label: 'Sync with Jira',
        control: this.intervalSelect,
        help: 'Calendar apps fetch on their own schedule; Google Calendar every 8–24 hours.',
      }),
    );
    this.removed = removedIssuesFields(config.removedIssues ?? DEFAULT_CONFIG.removedIssues, register);
    this.element = h(
      'section',
      { class: 'section', 'aria-labelledby': 'sec-window' },
      h('h3', { id: 'sec-window', text: 'Date window and limits' }),
      h('div', { class: 'row' }, past.element, future.element),
      overdue.element,
      h('div', { class: 'row' }, cap.element, syncInterval.element),
      this.removed.element,
    );
  }

  read() {
    return {
      window: {
        pastDays: readNumber(this.pastInput),
        futureDays: readNumber(this.futureInput),
        keepUnresolvedOverdue: this.overdue.input.checked,
      },
      issueCap: readNumber(this.capInput),
      syncIntervalMinutes: Number(this.intervalSelect.value),
      removedIssues: this.removed.read(),
    };
  }
}

/**
 * "When an issue leaves the feed": drop its events, or keep them cancelled for 1-30 days.
 * @param {FeedConfig['removedIssues']} removed
 * @param {Register} register
 */
function removedIssuesFields(removed, register) {
  const modeSelect = selectInput(
    [
      ['drop', 'Drop its events at once'],
      ['cancel', 'Keep its events as cancelled for a few days'],
    ],
    removed.mode,
  );
  const mode = register(
    'removedIssues.mode',
    makeField({
      label: 'When an issue leaves the feed',
      control: modeSelect,
      help: 'Outlook and Apple Calendar strike cancelled events through; Google Calendar hides them.',
    }),
  );
  const daysInput = numberInput(removed.keepDays, { min: 1, max: 30 });
  const days = register(
    'removedIssues.keepDays',
    makeField({ label: 'Days to keep them', control: daysInput, help: '1 to 30 days.' }),
  );
  const showDays = () => {
    days.element.hidden = modeSelect.value !== 'cancel';
  };
  modeSelect.addEventListener('change', showDays);
  showDays();
  return {
    element: h('div', { class: 'row' }, mode.element, days.element),
    read: () => ({
      mode: /** @type {'drop' | 'cancel'} */ (modeSelect.value),
      keepDays: readNumber(daysInput),
    }),
  };
}

/**
 * The usual intervals, plus the feed's own when it is none of them (set through the API).
 * @param {number} interval minutes
 */
function intervalSelect(interval) {
  const intervals = SYNC_INTERVALS.includes(interval)
    ? SYNC_INTERVALS
    : [...SYNC_INTERVALS, interval].sort((a, b) => a - b);
  return selectInput(
    intervals.map((minutes) => [
      String(minutes),
      minutes < 60
        ? `Every ${minutes} minutes`
        : minutes === 60
          ? 'Every hour'
          : `Every ${minutes / 60} hours`,
    ]),
    String(interval),
  );
}
