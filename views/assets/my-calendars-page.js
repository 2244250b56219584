// @ts-check
// My calendars: the personal feed URLs of the signed-in user, with one-click subscribe links.
import { api } from './api-client.js';
import { h, replaceChildren, uniqueId } from './dom.js';
import { confirmDialog, loadErrorMessage, showErrorFlag, showFlag } from './feedback.js';
import { formatNumber, timeElement } from './formats.js';
import { copyText, pageRoot, requireHost, resizeFrame } from './page-host.js';
import { liveCalendarSection, loadLiveCalendars } from './live-calendars.js';

/** @typedef {import('../types/api.js').PersonalCalendar} PersonalCalendar */
/** @typedef {(previous: PersonalCalendar, next: PersonalCalendar) => void} OnChange */

const root = pageRoot();
/** @type {import('../types/api.js').LiveCalendars} */
let live = { providers: [], connections: [] };

/** @param {string} url */
export function webcalUrl(url) {
  return url.replace(/^https?:/i, 'webcal:');
}

/** @param {PersonalCalendar & { url: string }} calendar */
export function subscribeLinks(calendar) {
  const name = calendarTitle(calendar);
  const https = calendar.url;
  const webcal = webcalUrl(https);
  return [
    {
      client: 'Google Calendar',
      href: `https://calendar.google.com/calendar/r?cid=${encodeURIComponent(webcal)}`,
      expect:
        'Google refreshes subscribed calendars every 8 to 24 hours; changes in Jira show up with that delay. Subscribe on a computer: the Google Calendar phone app cannot add URLs.',
    },
    {
      client: 'Outlook on the web',
      href: `https://outlook.office.com/calendar/0/addfromweb?url=${encodeURIComponent(https)}&name=${encodeURIComponent(name)}`,
      expect:
        'Outlook refreshes about every 3 hours. Outlook for Windows and Mac picks up calendars added on the web.',
    },
    {
      client: 'Apple Calendar',
      href: webcal,
      expect:
        'Opens Calendar on Mac, iPhone or iPad. It refreshes as often as you set under “Auto-refresh” (every 15 minutes at best).',
    },
  ];
}

/** The calendar-app families the server tells apart by User-Agent. */
export const CLIENT_NAMES = { google: 'Google', outlook: 'Outlook', apple: 'Apple', other: 'Another app' };

/**
 * @param {string} family
 */
export function clientName(family) {
  return CLIENT_NAMES[/** @type {keyof typeof CLIENT_NAMES} */ (family)] ?? CLIENT_NAMES.other;
}

/** How to subscribe by URL in each app, for whoever imported a one-off copy instead. */
const SUBSCRIBE_STEPS = [
  'Google Calendar (on a computer): Other calendars → + → From URL, paste the URL, Add calendar.',
  'Outlook: Add calendar → Subscribe from web, paste the URL, Import.',
  'Apple Calendar: on a Mac, File → New Calendar Subscription; on iPhone, Settings → Calendar → Accounts → Add Account → Other → Add Subscribed Calendar.',
];

/**
 * The warning for a URL handed out over 48 hours ago that no calendar app has fetched.
 * @param {PersonalCalendar} calendar
 * @returns {HTMLElement[]}
 */
function neverFetchedWarning(calendar) {
  if (!calendar.neverFetched) return [];
  const warning = h(
    'div',
    { class: 'section-message section-message--warning', 'data-testid': 'never-fetched' },
    h(
      'div',
      {},
      h('p', {
        text: 'Calendar apps have not fetched this yet; if you imported a file, subscribe by URL instead.',
      }),
      h(
        'ul',
        {},
        SUBSCRIBE_STEPS.map((step) => h('li', { text: step })),
      ),
    ),
  );
  return [warning];
}

/**
 * What the app calls this calendar: the feed's name, or e.g. "Release dates — my items".
 * @param {Pick<PersonalCalendar, 'label' | 'feedName'>} calendar
 */
export function calendarTitle(calendar) {
  return calendar.label || calendar.feedName;
}

/** @param {PersonalCalendar} calendar */
function calendarKey(calendar) {
  return `${calendar.feedId}/${calendar.calendar}`;
}

/**
 * A calendar's card: its URL with the ways to subscribe, or, when it has none, a way to get one.
 * @param {PersonalCalendar} calendar
 * @param {OnChange} onChange
 */
function calendarCard(calendar, onChange) {
  const titleId = uniqueId('calendar');
  const card = h('article', {
    class: 'panel calendar-card',
    'aria-labelledby': titleId,
    'data-calendar': calendarKey(calendar),
  });
  const title = h('h3', { id: titleId, text: calendarTitle(calendar) });
  const url = calendar.url;
  if (!url) {
    card.append(title, ...revokedParts(calendar, onChange));
    return card;
  }
  card.append(
    title,
    urlField(calendar, url),
    h('p', {
      class: 'help',
      text: 'This URL is yours alone: anyone who has it can read these events, so do not share it. Regenerate it if it leaked.',
    }),
    ...neverFetchedWarning(calendar),
    subscribeList({ ...calendar, url }),
    fetchFacts(calendar),
    urlActions(calendar, onChange),
    liveCalendarSection(calendar, live, () => void load()),
  );
  return card;
}

/**
 * What a card says when its URL was revoked.
 * @param {PersonalCalendar} calendar
 * @param {OnChange} onChange
 */
function revokedParts(calendar, onChange) {
  return [
    h('p', {
      class: 'subtle',
      text: 'You have no URL for this calendar (it was revoked). Get a new one to subscribe again.',
    }),
    h('button', {
      type: 'button',
      class: 'button button--primary',
      text: 'Get a URL',
      on: { click: () => void regenerate(calendar, onChange, false) },
    }),
  ];
}

/**
 * The personal URL, selected on focus, with its Copy button.
 * @param {PersonalCalendar} calendar
 * @param {string} url
 */
function urlField(calendar, url) {
  const urlId = uniqueId('url');
  const urlInput = h('input', {
    type: 'text',
    id: urlId,
    readOnly: true,
    value: url,
    'data-testid': 'calendar-url',
    on: { focus: () => urlInput.select() },
  });
  const copyButton = h('button', {
    type: 'button',
    class: 'button',
    text: 'Copy',
    'aria-label': `Copy the URL of ${calendarTitle(calendar)}`,
    on: { click: () => void copyUrl(url, urlInput) },
  });
  return h(
    'div',
    { class: 'field', style: 'max-width:none' },
    h('label', { for: urlId, text: 'Your personal calendar URL' }),
    h('div', { class: 'url-box' }, urlInput, copyButton),
  );
}

/**
 * One-click subscribe links per calendar app, with what to expect of each, and a word for the others.
 * @param {PersonalCalendar & { url: string }} calendar
 */
function subscribeList(calendar) {
  return h(
    'ul',
    { class: 'subscribe-list', 'aria-label': `Subscribe to ${calendarTitle(calendar)}` },
    subscribeLinks(calendar).map((link) =>
      h(
        'li',
        {},
        h('a', {
          class: 'button',
          href: link.href,
          target: '_blank',
          rel: 'noopener noreferrer',
          text: `Add to ${link.client}`,
        }),
        h('p', { text: link.expect }),
      ),
    ),
    h(
      'li',
      {},
      h('strong', { text: 'Other calendar apps' }),
      h('p', {
        text: 'Copy the URL above and use the app’s “subscribe to calendar” or “add calendar from URL” option.',
      }),
    ),
  );
}

/**
 * When the URL was last fetched and by which app, and how often.
 * @param {PersonalCalendar} calendar
 */
function fetchFacts(calendar) {
  const latest = calendar.clients?.[0];
  const last = latest
    ? [`${clientName(latest.family)}, last fetched `, timeElement(latest.lastFetchedAt)]
    : ['Not yet: subscribe with one of the options above.'];
  return h(
    'dl',
    { class: 'facts' },
    h('dt', { text: 'Last fetched' }),
    h('dd', { 'data-testid': 'last-fetched' }, ...last),
    h('dt', { text: 'Fetches' }),
    h('dd', { text: formatNumber(calendar.fetchCount ?? 0) }),
  );
}

/**
 * @param {PersonalCalendar} calendar
 * @param {OnChange} onChange
 */
function urlActions(calendar, onChange) {
  return h(
    'div',
    { class: 'toolbar', style: 'margin-top:16px' },
    h('button', {
      type: 'button',
      class: 'button',
      text: 'Regenerate URL',
      'aria-label': `Regenerate URL of ${calendarTitle(calendar)}`,
      on: { click: () => void regenerate(calendar, onChange, true) },
    }),
    h('button', {
      type: 'button',
      class: 'button button--subtle',
      text: 'Revoke',
      'aria-label': `Revoke the URL of ${calendarTitle(calendar)}`,
      on: { click: () => void revoke(calendar, onChange) },
    }),
  );
}

/**
 * @param {string} url
 * @param {HTMLInputElement} urlInput selected when the clipboard refuses, for a manual copy
 */
async function copyUrl(url, urlInput) {
  const copied = await copyText(url, urlInput);
  if (copied)
    showFlag({
      type: 'success',
      title: 'URL copied',
      body: 'Paste it into your calendar app’s “subscribe”, “add by URL” or “from internet” option.',
    });
  else
    showFlag({
      type: 'warning',
      title: 'Could not copy automatically',
      body: 'The URL is selected: press Ctrl+C (⌘C on a Mac) to copy it.',
    });
}

/** @param {PersonalCalendar} calendar */
function calendarPath(calendar) {
  return `me/calendars/${encodeURIComponent(calendar.feedId)}/${encodeURIComponent(calendar.calendar)}`;
}

/**
 * @param {PersonalCalendar} calendar
 * @param {OnChange} onChange
 * @param {boolean} confirmFirst
 */
async function regenerate(calendar, onChange, confirmFirst) {
  if (confirmFirst) {
    const confirmed = await confirmDialog({
      title: 'Regenerate this URL?',
      body: [
        'The current URL stops working at once. Calendars subscribed with it stop updating until you subscribe again with the new URL.',
      ],
      confirmLabel: 'Regenerate',
    });
    if (!confirmed) return;
  }
  try {
    /** @type {{ calendar: PersonalCalendar }} */
    const result = await api('POST', `${calendarPath(calendar)}/regenerate`);
    onChange(calendar, result.calendar);
    showFlag({
      type: 'success',
      title: 'New URL ready',
      body: 'Subscribe again with the new URL; remove the old calendar from your apps.',
    });
  } catch (error) {
    showErrorFlag('create a new URL', error);
  }
}

/**
 * @param {PersonalCalendar} calendar
 * @param {OnChange} onChange
 */
async function revoke(calendar, onChange) {
  const confirmed = await confirmDialog({
    title: 'Revoke this URL?',
    body: [
      'The URL stops working at once and calendar apps stop getting updates. You can get a new URL later.',
    ],
    confirmLabel: 'Revoke',
    danger: true,
  });
  if (!confirmed) return;
  try {
    await api('DELETE', calendarPath(calendar));
    onChange(calendar, {
      ...calendar,
      url: null,
      lastFetchedAt: null,
      fetchCount: 0,
      clients: [],
      neverFetched: false,
    });
    showFlag({
      type: 'success',
      title: 'URL revoked',
      body: 'Remove the calendar from your calendar apps too.',
    });
  } catch (error) {
    showErrorFlag('revoke the URL', error);
  }
}

function pageHeader() {
  return h(
    'header',
    { class: 'page-header' },
    h(
      'div',
      {},
      h('h1', { text: 'My calendars' }),
      h('p', {
        text: 'Jira issues as calendars in Google Calendar, Outlook or Apple Calendar. Subscribe once; events update as the issues change.',
      }),
    ),
  );
}

function noCalendars() {
  return h(
    'div',
    { class: 'empty-state panel' },
    h('h3', { text: 'No calendars shared with you yet' }),
    h('p', {
      text: 'A Jira administrator decides which calendar feeds you can subscribe to. Ask them to give you access to a feed in Calendar Sync; it then appears here.',
    }),
  );
}

async function load() {
  const list = h(
    'div',
    { id: 'calendars', 'aria-busy': 'true' },
    h(
      'p',
      { class: 'subtle' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      ' Loading your calendars…',
    ),
  );
  replaceChildren(root, pageHeader(), list);
  /** @type {PersonalCalendar[]} */
  let calendars;
  try {
    const [mine, connected] = await Promise.all([
      /** @type {Promise<{ calendars: PersonalCalendar[] }>} */ (api('GET', 'me/calendars')),
      loadLiveCalendars(),
    ]);
    calendars = mine.calendars;
    live = connected;
  } catch (error) {
    list.removeAttribute('aria-busy');
    replaceChildren(list, loadErrorMessage('Your calendars could not be loaded', error, load));
    resizeFrame();
    return;
  }
  list.removeAttribute('aria-busy');
  const draw = () => {
    replaceChildren(
      list,
      calendars.length === 0 ? noCalendars() : calendars.map((calendar) => calendarCard(calendar, onChange)),
    );
    resizeFrame();
  };
  /** @type {OnChange} */
  const onChange = (previous, next) => {
    calendars = calendars.map((candidate) =>
      calendarKey(candidate) === calendarKey(previous) ? { ...candidate, ...next } : candidate,
    );
    draw();
    const card = list.querySelector(`[data-calendar="${CSS.escape(calendarKey(previous))}"]`);
    const control = card?.querySelector('input, button');
    if (control instanceof HTMLElement) control.focus();
  };
  draw();
}

if (requireHost(root)) void load();
