// @ts-check
// "Keep it live in Google Calendar / Outlook": a personal calendar written into the person's own calendar.
import { api } from './api-client.js';
import { h } from './dom.js';
import { showErrorFlag, showFlag } from './feedback.js';
import { formatNumber, timeElement } from './formats.js';

/** @typedef {import('../types/api.js').LiveCalendars} LiveCalendars */
/** @typedef {import('../types/api.js').LiveConnection} LiveConnection */
/** @typedef {import('../types/api.js').PersonalCalendar} PersonalCalendar */

/**
 * What each provider's consent page will ask for, said before the person goes there.
 * @type {Record<string, string>}
 */
const CONSENT = {
  google:
    'Google will ask to let the app manage the calendars it creates (calendar.app.created): it cannot see your other calendars.',
  microsoft:
    'Microsoft will ask for access to all your calendars (Calendars.ReadWrite): Microsoft Graph has no narrower permission. The app reads and writes only the calendar it creates, and deletes it when you disconnect.',
};

/** @returns {Promise<LiveCalendars>} what is connected; nothing when the server offers no provider */
export async function loadLiveCalendars() {
  try {
    return await api('GET', 'me/live-calendars');
  } catch {
    return { providers: [], connections: [] };
  }
}

/**
 * Opens the provider's consent page in a new top-level window: providers refuse to be framed, and the
 * page may be inside Jira's iframe.
 * @param {PersonalCalendar} calendar
 * @param {string} provider
 */
async function connect(calendar, provider) {
  const opened = window.open('', '_blank');
  try {
    /** @type {{ authorizationUrl: string }} */
    const { authorizationUrl } = await api('POST', 'me/live-calendars', {
      feedId: calendar.feedId,
      calendar: calendar.calendar,
      provider,
    });
    if (opened) opened.location.href = authorizationUrl;
    else window.open(authorizationUrl, '_blank');
    showFlag({ title: 'Finish in the new window', body: 'Then come back here and reload this page.' });
  } catch (error) {
    opened?.close();
    showErrorFlag('start the connection', error);
  }
}

/**
 * @param {LiveConnection} connection
 * @param {() => void} onChange
 */
async function disconnect(connection, onChange) {
  try {
    await api('DELETE', `me/live-calendars/${encodeURIComponent(connection.id)}`);
    showFlag({ title: 'Disconnected', body: 'The calendar was removed from your account.' });
    onChange();
  } catch (error) {
    showErrorFlag('disconnect the calendar', error);
  }
}

/** @param {LiveConnection} connection */
function statusFacts(connection) {
  const state =
    connection.state === 'live'
      ? 'Connected'
      : connection.state === 'broken'
        ? 'Broken: access was withdrawn'
        : `Stopped: ${connection.stateReason ?? 'no longer shared with you'}`;
  return h(
    'dl',
    { class: 'facts live-calendar-facts' },
    h('dt', { text: 'Status' }),
    h('dd', { text: state }),
    h('dt', { text: 'Last update' }),
    h('dd', {}, timeElement(connection.lastPushAt)),
    h('dt', { text: 'Events' }),
    h('dd', { text: formatNumber(connection.eventCount) }),
    ...(connection.lastError
      ? [h('dt', { text: 'Last error' }), h('dd', { text: connection.lastError })]
      : []),
  );
}

/**
 * The live-calendar part of one card: a button per provider, or the connection's status.
 * @param {PersonalCalendar} calendar
 * @param {LiveCalendars} live
 * @param {() => void} onChange
 */
export function liveCalendarSection(calendar, live, onChange) {
  const section = h('section', { class: 'live-calendars' });
  for (const provider of live.providers) {
    const connection = live.connections.find(
      (item) =>
        item.feedId === calendar.feedId &&
        item.calendar === calendar.calendar &&
        item.provider === provider.key,
    );
    if (!connection || connection.state !== 'live') {
      const label = connection ? `Reconnect ${provider.label}` : `Keep it live in ${provider.label}`;
      section.append(
        h('button', {
          type: 'button',
          class: 'button',
          'data-live-provider': provider.key,
          text: label,
          on: { click: () => void connect(calendar, provider.key) },
        }),
        ...(CONSENT[provider.key]
          ? [h('p', { class: 'subtle', 'data-live-consent': provider.key, text: CONSENT[provider.key] })]
          : []),
      );
    }
    if (connection) {
      section.append(
        statusFacts(connection),
        h('button', {
          type: 'button',
          class: 'button subtle',
          text: `Disconnect ${provider.label}`,
          on: { click: () => void disconnect(connection, onChange) },
        }),
      );
    }
  }
  return section;
}
