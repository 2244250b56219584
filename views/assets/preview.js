// @ts-check
// The editor's preview: what a not yet saved feed would contain.
import { h, replaceChildren } from './dom.js';
import { formatBytes, plural } from './formats.js';
import { OMISSION_PHRASES } from './omission-reasons.js';

/** @typedef {import('../types/api.js').Preview} Preview */
/** @typedef {{ start: string, end: string, allDay: boolean, summary: string }} DayEvent */
/** @typedef {(id: string) => string | null} FieldName */

/**
 * Words for the omission reasons the sync reports ('empty:duedate', 'end-before-start', ...).
 * @param {string} reason
 * @param {FieldName} [fieldName]
 */
export function reasonText(reason, fieldName = (id) => id) {
  const colon = reason.indexOf(':');
  const field = colon === -1 ? '' : reason.slice(colon + 1);
  const phrase = OMISSION_PHRASES[reason] ?? OMISSION_PHRASES[colon === -1 ? reason : reason.slice(0, colon)];
  return phrase ? phrase.replace('{field}', field ? `“${fieldName(field) ?? field}”` : 'a field') : reason;
}

/**
 * @param {Date} date
 * @param {string} timeZone
 */
function isoDay(date, timeZone) {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(date);
}

/**
 * @param {string} day
 * @param {number} days
 */
function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/**
 * The days ('YYYY-MM-DD') an event covers, as the feed's time zone sees it.
 * @param {DayEvent} event
 * @param {string} timeZone
 * @returns {[string, ...string[]]}
 */
function eventDays(event, timeZone) {
  if (event.allDay) {
    const days = [];
    for (let day = event.start; day < event.end && days.length < 62; day = addDays(day, 1)) days.push(day);
    const [first = event.start, ...rest] = days;
    return [first, ...rest];
  }
  return [isoDay(new Date(event.start), timeZone)];
}

/**
 * @param {DayEvent} event
 * @param {string} timeZone
 */
export function formatEventWhen(event, timeZone) {
  if (event.allDay) {
    const dateFormat = new Intl.DateTimeFormat(undefined, {
      timeZone: 'UTC',
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
    });
    const first = dateFormat.format(new Date(`${event.start}T00:00:00Z`));
    const lastDay = addDays(event.end, -1);
    return lastDay > event.start
      ? `${first} – ${dateFormat.format(new Date(`${lastDay}T00:00:00Z`))} (all day)`
      : `${first} (all day)`;
  }
  const format = new Intl.DateTimeFormat(undefined, {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  const timeOnly = new Intl.DateTimeFormat(undefined, { timeZone, hour: '2-digit', minute: '2-digit' });
  const start = new Date(event.start);
  const end = new Date(event.end);
  const sameDay = isoDay(start, timeZone) === isoDay(end, timeZone);
  return `${format.format(start)} – ${sameDay ? timeOnly.format(end) : format.format(end)}`;
}

/** @param {Preview} preview */
function sizeSection(preview) {
  const ratio = preview.sizeLimitBytes > 0 ? preview.sizeBytes / preview.sizeLimitBytes : 0;
  const level = ratio > 1 ? 'danger' : ratio > 0.8 ? 'warning' : 'ok';
  const about = preview.sizeEstimated ? 'about ' : '';
  return h(
    'div',
    { class: 'field' },
    h('div', { class: 'label', text: 'Feed size' }),
    h(
      'div',
      {
        class: 'meter',
        role: 'meter',
        'aria-label': 'Feed size against Google Calendar’s limit',
        'aria-valuemin': 0,
        'aria-valuemax': preview.sizeLimitBytes,
        'aria-valuenow': Math.min(preview.sizeBytes, preview.sizeLimitBytes),
      },
      h('div', {
        class: ['meter__bar', level !== 'ok' && `meter__bar--${level}`],
        style: `width:${Math.min(100, Math.round(ratio * 100))}%`,
      }),
    ),
    h('p', {
      'data-testid': 'preview-size',
      text: `${about}${formatBytes(preview.sizeBytes)} of Google Calendar’s ~${formatBytes(preview.sizeLimitBytes)} limit (${Math.round(ratio * 100)}%)`,
    }),
    preview.budgetCut && preview.budgetCut.events > 0
      ? h('p', {
          class: 'section-message section-message--warning',
          'data-testid': 'preview-budget-cut',
          text: `To stay under ${formatBytes(preview.budgetCut.maxBytes)}, ${preview.budgetCut.estimated ? 'about ' : ''}${plural(preview.budgetCut.events, 'event')} farthest from today will be left out${preview.budgetCut.examples.length > 0 ? `, such as ${preview.budgetCut.examples.map((example) => `“${example.summary}” (${example.start.slice(0, 10)})`).join(', ')}` : ''}.`,
        })
      : null,
    level === 'danger'
      ? h('p', {
          class: 'field-error',
          text: 'Google Calendar stops reading feeds this large. Shorten the date window, hide resolved issues or narrow the query.',
        })
      : level === 'warning'
        ? h('p', {
            class: 'help',
            text: 'Close to the limit: shorten the date window or narrow the query to leave room to grow.',
          })
        : null,
  );
}

/**
 * @param {Preview['omitted'] | null} omitted
 * @param {FieldName} fieldName
 */
function omittedSection(omitted, fieldName) {
  if (!omitted || omitted.count === 0) return h('p', { class: 'subtle', text: 'No issues were left out.' });
  const reasons = Object.entries(omitted.byReason ?? {}).sort((a, b) => b[1] - a[1]);
  return h(
    'div',
    { 'data-testid': 'preview-omitted' },
    h('h4', { text: `${plural(omitted.count, 'event')} left out` }),
    h('p', {
      class: 'subtlest',
      text: 'Counted per issue and rule: each rule an issue does not fit leaves out one event.',
    }),
    h(
      'ul',
      {},
      reasons.map(([reason, count]) =>
        h('li', { text: `${formatCount(count)}: ${reasonText(reason, fieldName)}` }),
      ),
    ),
    omitted.examples?.length
      ? h('p', {
          class: 'subtlest',
          text: `For example: ${omitted.examples
            .slice(0, 5)
            .map((example) => `${example.issueKey} (${reasonText(example.reason, fieldName)})`)
            .join(', ')}`,
        })
      : null,
  );
}

/** @param {number} count */
function formatCount(count) {
  return new Intl.NumberFormat().format(count);
}

/**
 * @param {Preview['events']} events
 * @param {string} timeZone
 */
function eventList(events, timeZone) {
  if (events.length === 0) {
    return h('p', {
      class: 'subtle',
      text: 'No upcoming events. Check that the rules use fields these issues fill in, or widen the future window.',
    });
  }
  return h(
    'ul',
    { class: 'event-list', 'aria-label': 'Next events' },
    events.map((event) =>
      h(
        'li',
        {},
        h('time', { dateTime: event.start, text: formatEventWhen(event, timeZone) }),
        event.cancelled ? h('span', { class: 'lozenge', text: 'Cancelled' }) : null,
        event.url
          ? h('a', { href: event.url, target: '_blank', rel: 'noopener noreferrer', text: event.summary })
          : h('span', { text: event.summary }),
      ),
    ),
  );
}

/**
 * The events under each day ('YYYY-MM-DD') they cover.
 * @param {Preview['events']} events
 * @param {string} timeZone
 */
function eventsByDay(events, timeZone) {
  /** @type {Map<string, Preview['events']>} */
  const byDay = new Map();
  for (const event of events) {
    for (const day of eventDays(event, timeZone)) {
      const dayEvents = byDay.get(day) ?? [];
      dayEvents.push(event);
      byDay.set(day, dayEvents);
    }
  }
  return byDay;
}

/**
 * @param {string} month 'YYYY-MM'
 * @param {number} delta
 */
function addMonths(month, delta) {
  const date = new Date(`${month}-01T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + delta);
  return date.toISOString().slice(0, 7);
}

/**
 * A day of the grid: its number and up to two of its events; a day of the months around is greyed.
 * @param {string} day
 * @param {string} month
 * @param {Preview['events']} dayEvents
 */
function dayCell(day, month, dayEvents) {
  return h(
    'td',
    { class: day.slice(0, 7) === month ? '' : 'other' },
    h('span', { class: 'day-number', text: String(Number(day.slice(8))) }),
    dayEvents
      .slice(0, 2)
      .map((event) => h('span', { class: 'day-event', title: event.summary, text: event.summary })),
    dayEvents.length > 2 ? h('span', { class: 'subtlest', text: `+${dayEvents.length - 2} more` }) : null,
  );
}

/**
 * The weeks (Monday first) that hold a day of `month`.
 * @param {string} month 'YYYY-MM'
 * @param {Map<string, Preview['events']>} byDay
 */
function weekRows(month, byDay) {
  const start = `${month}-01`;
  const offset = (new Date(`${start}T00:00:00Z`).getUTCDay() + 6) % 7;
  const gridStart = addDays(start, -offset);
  const rows = [];
  for (let week = 0; week < 6; week++) {
    const cells = [];
    for (let weekday = 0; weekday < 7; weekday++) {
      const day = addDays(gridStart, week * 7 + weekday);
      cells.push(dayCell(day, month, byDay.get(day) ?? []));
    }
    rows.push(h('tr', {}, cells));
    if (addDays(gridStart, (week + 1) * 7).slice(0, 7) > month) break;
  }
  return rows;
}

const monthTitle = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', month: 'long', year: 'numeric' });
const weekdayFormat = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', weekday: 'short' });

/** Monday to Sunday, in the browser's language (1 January 2024 was a Monday). */
function weekdayHeaders() {
  const headers = [];
  for (let i = 0; i < 7; i++)
    headers.push(h('th', { scope: 'col', text: weekdayFormat.format(new Date(Date.UTC(2024, 0, 1 + i))) }));
  return headers;
}

/**
 * The month's name between the buttons to the previous and the next month.
 * @param {string} month
 * @param {string} headingId
 * @param {(delta: number) => void} shift
 */
function monthToolbar(month, headingId, shift) {
  /**
   * @param {string} label
   * @param {string} text
   * @param {number} delta
   */
  const step = (label, text, delta) =>
    h('button', {
      type: 'button',
      class: 'button button--subtle button--compact',
      'aria-label': label,
      text,
      on: { click: () => shift(delta) },
    });
  return h(
    'div',
    { class: 'toolbar', style: 'justify-content:space-between;margin-bottom:4px' },
    step('Previous month', '‹', -1),
    h('h4', {
      id: headingId,
      'aria-live': 'polite',
      style: 'margin:0',
      text: monthTitle.format(new Date(`${month}-01T00:00:00Z`)),
    }),
    step('Next month', '›', 1),
  );
}

/**
 * A month grid (Monday first) with prev/next buttons; starts at the first event's month.
 * @param {Preview['events']} events
 * @param {string} timeZone
 */
function monthGrid(events, timeZone) {
  const byDay = eventsByDay(events, timeZone);
  const first = events[0] ? eventDays(events[0], timeZone)[0] : isoDay(new Date(), timeZone);
  let month = first.slice(0, 7);
  const container = h('div', { class: 'month' });
  const draw = () => {
    const headingId = `month-${month}`;
    replaceChildren(
      container,
      monthToolbar(month, headingId, shift),
      h(
        'table',
        { 'aria-labelledby': headingId },
        h('thead', {}, h('tr', {}, weekdayHeaders())),
        h('tbody', {}, weekRows(month, byDay)),
      ),
    );
  };
  /** @param {number} delta */
  const shift = (delta) => {
    month = addMonths(month, delta);
    draw();
  };
  draw();
  return container;
}

/**
 * @param {HTMLElement} container
 * @param {Preview} preview
 * @param {{ timeZone: string, fieldName: FieldName }} options
 */
export function renderPreview(container, preview, { timeZone, fieldName }) {
  const zone = timeZone || 'UTC';
  replaceChildren(
    container,
    h(
      'p',
      { 'data-testid': 'preview-summary' },
      h('strong', {
        text: `${plural(preview.eventCount, 'event')} from ${plural(preview.issueCount, 'issue')}`,
      }),
      preview.events.length > 0 ? ` · next ${preview.events.length} shown (times in ${zone})` : null,
    ),
    preview.zoneNote
      ? h('p', { class: 'help', 'data-testid': 'preview-zone-note', text: preview.zoneNote })
      : null,
    preview.capReached
      ? h(
          'div',
          { class: 'section-message section-message--warning' },
          h('p', {
            text: 'The issue cap was reached: the feed will hold the issues whose events are nearest to today. Narrow the query or raise the cap.',
          }),
        )
      : null,
    sizeSection(preview),
    omittedSection(preview.omitted, fieldName),
    h('h4', { text: 'Next events' }),
    eventList(preview.events, zone),
    h('h4', { text: 'Month view', style: 'margin-top:16px' }),
    monthGrid(preview.events, zone),
  );
}
