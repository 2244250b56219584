// @ts-check
// The admin page (also the Configure page): feeds grid, feed editor and site settings.
import {
  loadErrorMessage,
  pageRoot,
  ApiError,
  api,
  confirmDialog,
  copyText,
  explainError,
  h,
  plural,
  replaceChildren,
  requireHost,
  resizeFrame,
  showErrorFlag,
  showFlag,
  timeElement,
} from './common.js';
import { ACTIVE_STATES, costCell, errorHint, eventsCell, statusCell } from './admin-status.js';
import { FeedEditor } from './feed-editor.js';

/** @typedef {import('../types/api.js').FeedView} FeedView */
/** @typedef {import('../types/api.js').Site} Site */
/** @typedef {import('../types/api.js').SiteSettingsView} SiteSettingsView */
/** @typedef {import('../types/api.js').EditorLookups} EditorLookups */

const root = pageRoot();
const POLL_MS = [1000, 1000, 2000, 2000, 3000, 5000];

/**
 * @type {{
 *   site: Site | null,
 *   feeds: FeedView[],
 *   lookups: EditorLookups | null,
 *   polling: Map<string, ReturnType<typeof setTimeout>>,
 *   view: 'list' | 'editor' | null,
 *   justSaved: string | null,
 * }}
 */
const state = {
  site: null,
  feeds: [],
  lookups: null,
  polling: new Map(),
  view: null,
  /** The feed just saved in the editor: its first sync is announced with a flag. */
  justSaved: null,
};

/** @param {FeedView} feed */
function feedRow(feed) {
  const busy = ACTIVE_STATES.has(feed.status.state);
  const sharedUrl = feed.url;
  const actions = h(
    'div',
    { class: 'cell-actions' },
    h('a', {
      class: 'button button--compact',
      href: `#edit/${encodeURIComponent(feed.id)}`,
      'aria-label': `Edit ${feed.name}`,
      text: 'Edit',
    }),
    h('button', {
      type: 'button',
      class: 'button button--compact',
      disabled: busy,
      'aria-label': `Sync ${feed.name} now`,
      text: 'Sync now',
      on: { click: () => void syncNow(feed) },
    }),
    sharedUrl
      ? h('button', {
          type: 'button',
          class: 'button button--compact',
          'aria-label': `Copy the shared URL of ${feed.name}`,
          text: 'Copy URL',
          on: { click: () => void copyFeedUrl(sharedUrl) },
        })
      : null,
    h('button', {
      type: 'button',
      class: 'button button--compact',
      'aria-label': `Duplicate ${feed.name}`,
      text: 'Duplicate',
      on: { click: () => void duplicate(feed) },
    }),
    h('button', {
      type: 'button',
      class: 'button button--compact button--subtle',
      'aria-label': `Delete ${feed.name}`,
      text: 'Delete',
      on: { click: () => void remove(feed) },
    }),
  );
  return h(
    'tr',
    { 'data-feed-id': feed.id },
    h(
      'td',
      { 'data-label': 'Name' },
      h('a', { href: `#edit/${encodeURIComponent(feed.id)}`, text: feed.name }),
    ),
    h('td', { 'data-label': 'Last edit' }, timeElement(feed.updatedAt)),
    statusCell(feed, (owned) => void takeOver(owned)),
    h('td', { 'data-label': 'Last export' }, timeElement(feed.status.lastExportAt)),
    costCell(feed),
    eventsCell(feed),
    h('td', { 'data-label': 'Actions' }, actions),
  );
}

function feedsTable() {
  if (state.feeds.length === 0) {
    return h(
      'div',
      { class: 'empty-state panel' },
      h('h3', { text: 'No feeds yet' }),
      h('p', {
        text: 'A feed turns the issues of a JQL query into a calendar that Google Calendar, Outlook and Apple Calendar can subscribe to. Create one to get started.',
      }),
      h('a', { class: 'button button--primary', href: '#new', text: 'Create feed' }),
    );
  }
  const headers = ['Name', 'Last edit', 'Status', 'Last export', 'Time to export', 'Events', 'Actions'];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'grid', 'aria-label': 'Feeds' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((header) => h('th', { scope: 'col', text: header })),
        ),
      ),
      h('tbody', {}, state.feeds.map(feedRow)),
    ),
  );
}

function redrawFeeds() {
  const container = document.getElementById('feeds');
  if (!container) return;
  replaceChildren(container, feedsTable());
  resizeFrame();
}

/** @param {FeedView} feed */
function upsertFeed(feed) {
  const index = state.feeds.findIndex((candidate) => candidate.id === feed.id);
  if (index === -1) state.feeds.push(feed);
  else state.feeds[index] = feed;
  redrawFeeds();
}

/** @param {string} url */
async function copyFeedUrl(url) {
  const copied = await copyText(url);
  if (copied)
    showFlag({
      type: 'success',
      title: 'Feed URL copied',
      body: 'Anyone with this URL can read the calendar; share it with care.',
    });
  else
    showFlag({
      type: 'warning',
      title: 'Could not copy automatically',
      body: `Copy the URL by hand: ${url}`,
    });
}

/** Data Center: the feed's owner can no longer sign in to Jira; an administrator's rights carry it on. */
/** @param {FeedView} feed */
async function takeOver(feed) {
  try {
    /** @type {FeedView} */
    const taken = await api('POST', `feeds/${encodeURIComponent(feed.id)}/take-over`);
    upsertFeed(taken);
    showFlag({
      type: 'success',
      title: `You took “${feed.name}” over`,
      body: 'It now syncs with your Jira permissions.',
    });
    watch(taken, true);
  } catch (error) {
    showErrorFlag(`take “${feed.name}” over`, error);
  }
}

/** @param {FeedView} feed */
async function syncNow(feed) {
  try {
    /** @type {FeedView} */
    const queued = await api('POST', `feeds/${encodeURIComponent(feed.id)}/sync`);
    upsertFeed(queued);
    if (ACTIVE_STATES.has(queued.status.state)) watch(queued, true);
    else announceOutcome(queued);
  } catch (error) {
    showErrorFlag(`sync “${feed.name}”`, error);
  }
}

/** @param {FeedView} feed */
function announceOutcome(feed) {
  if (feed.status.state === 'ok') {
    showFlag({
      type: 'success',
      title: `“${feed.name}” is up to date`,
      body: `${plural(feed.status.eventCount ?? 0, 'event')} from ${plural(feed.status.issueCount ?? 0, 'issue')}.`,
    });
  } else if (feed.status.state === 'error') {
    const hint = errorHint(feed.status.error?.code);
    const cause = feed.status.error?.message ?? 'The sync failed without a message.';
    showFlag({
      type: 'error',
      title: `“${feed.name}” could not sync`,
      body: hint ? `${cause} ${hint}` : cause,
    });
  }
}

/**
 * Polls a feed until its sync is no longer queued or running; `announce` reports the outcome as a flag.
 * @param {FeedView} feed
 * @param {boolean} announce
 */
function watch(feed, announce) {
  if (!ACTIVE_STATES.has(feed.status.state) || state.polling.has(feed.id)) return;
  let attempt = 0;
  const poll = async () => {
    try {
      /** @type {FeedView} */
      const latest = await api('GET', `feeds/${encodeURIComponent(feed.id)}`);
      upsertFeed(latest);
      if (ACTIVE_STATES.has(latest.status.state)) {
        state.polling.set(feed.id, setTimeout(poll, POLL_MS[Math.min(++attempt, POLL_MS.length - 1)]));
        return;
      }
      state.polling.delete(feed.id);
      if (announce) announceOutcome(latest);
    } catch (error) {
      state.polling.delete(feed.id);
      if (error instanceof ApiError && error.status === 404) {
        state.feeds = state.feeds.filter((candidate) => candidate.id !== feed.id);
        redrawFeeds();
        return;
      }
      showErrorFlag(`check on “${feed.name}”`, error);
    }
  };
  state.polling.set(feed.id, setTimeout(poll, POLL_MS[0]));
}

/** @param {FeedView} feed */
async function duplicate(feed) {
  try {
    /** @type {FeedView} */
    const copy = await api('POST', `feeds/${encodeURIComponent(feed.id)}/duplicate`);
    upsertFeed(copy);
    watch(copy, false);
    showFlag({
      type: 'success',
      title: 'Feed duplicated',
      body: `Created “${copy.name}”. Edit it to change what it shows.`,
    });
  } catch (error) {
    showErrorFlag(`duplicate “${feed.name}”`, error);
  }
}

/** @param {FeedView} feed */
async function remove(feed) {
  const confirmed = await confirmDialog({
    title: `Delete “${feed.name}”?`,
    body: [
      'Every calendar URL of this feed stops working at once, including personal ones; subscribed calendars stop updating and may show an error.',
      'This cannot be undone.',
    ],
    confirmLabel: 'Delete',
    danger: true,
  });
  if (!confirmed) return;
  try {
    await api('DELETE', `feeds/${encodeURIComponent(feed.id)}`);
    clearTimeout(state.polling.get(feed.id));
    state.polling.delete(feed.id);
    state.feeds = state.feeds.filter((candidate) => candidate.id !== feed.id);
    redrawFeeds();
    showFlag({
      type: 'success',
      title: 'Feed deleted',
      body: `“${feed.name}” and its calendar URLs are gone.`,
    });
  } catch (error) {
    showErrorFlag(`delete “${feed.name}”`, error);
  }
}

// --- Settings --------------------------------------------------------------------------------------

function settingsSection() {
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
  /**
   * @param {string} changed what the flag says once saved
   * @param {() => void} revert puts the checkbox back when saving failed
   */
  const save = async (changed, revert) => {
    reporting.disabled = true;
    exportsOff.disabled = true;
    try {
      settings = await api('PUT', 'settings', {
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
    }
  };
  reporting.addEventListener('change', () => {
    const on = reporting.checked;
    void save(
      on ? 'Error reports will be sent when a sync fails unexpectedly.' : 'No error reports will be sent.',
      () => (reporting.checked = !on),
    );
  });
  exportsOff.addEventListener('change', async () => {
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
      off ? 'Feed exports are off: calendar apps get “not found”.' : 'Feed exports are back on.',
      () => (exportsOff.checked = !off),
    );
  });
  replaceChildren(
    body,
    h(
      'div',
      { class: 'panel' },
      h(
        'div',
        { class: 'choice' },
        reporting,
        h(
          'div',
          {},
          h('label', { for: reporting.id, text: 'Send error reports to the Calendar Sync team' }),
          h('div', {
            class: 'help',
            text: 'Sent only when something fails unexpectedly; no issue content, names or email addresses.',
          }),
          h(
            'details',
            {},
            h('summary', { text: 'What a report contains' }),
            h('pre', {
              class: 'json',
              'data-testid': 'error-report-preview',
              text: JSON.stringify(settings.errorReportPreview, null, 2),
            }),
          ),
        ),
      ),
      h(
        'div',
        { class: 'choice' },
        exportsOff,
        h(
          'div',
          {},
          h('label', { for: exportsOff.id, text: 'Disable all feed exports for this site' }),
          h('div', {
            class: 'help',
            text: 'An emergency stop: every calendar URL answers “not found” while this is on. Syncs and settings are kept.',
          }),
        ),
      ),
    ),
  );
  resizeFrame();
}

// --- Views -----------------------------------------------------------------------------------------

function stopPolling() {
  for (const timer of state.polling.values()) clearTimeout(timer);
  state.polling.clear();
}

async function showList() {
  stopPolling();
  state.view = 'list';
  const configure = new URLSearchParams(window.location.search).get('configure') === 'true';
  const feedsBox = h(
    'div',
    { id: 'feeds', 'aria-busy': 'true' },
    h('p', { class: 'subtle' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' Loading feeds…'),
  );
  const createButton = h('a', { class: 'button button--primary', href: '#new', text: 'Create feed' });
  replaceChildren(
    root,
    h(
      'header',
      { class: 'page-header' },
      h(
        'div',
        {},
        h('h1', { text: configure ? 'Configure Calendar Sync' : 'Calendar Sync feeds' }),
        h('p', {
          text: 'Feeds publish Jira issues as calendars that Google Calendar, Outlook and Apple Calendar subscribe to. Each feed syncs with Jira on a schedule; people find their calendars under Apps → My calendars.',
        }),
      ),
      createButton,
    ),
    feedsBox,
  );
  try {
    /** @type {{ feeds: FeedView[] }} */
    const { feeds } = await api('GET', 'feeds');
    state.feeds = feeds;
  } catch (error) {
    feedsBox.removeAttribute('aria-busy');
    createButton.remove();
    if (error instanceof ApiError && error.status === 403) {
      replaceChildren(
        feedsBox,
        h(
          'div',
          { class: 'section-message section-message--warning', role: 'alert', 'data-testid': 'forbidden' },
          h(
            'div',
            {},
            h('h3', { text: 'Only Jira administrators can manage feeds' }),
            h('p', {
              text: 'Ask a Jira administrator to create a feed for you. Calendars shared with you are under Apps → My calendars.',
            }),
          ),
        ),
      );
    } else {
      replaceChildren(feedsBox, loadErrorMessage('Feeds could not be loaded', error, showList));
    }
    resizeFrame();
    return;
  }
  feedsBox.removeAttribute('aria-busy');
  redrawFeeds();
  root.append(settingsSection());
  for (const feed of state.feeds) {
    if (feed.id === state.justSaved && !ACTIVE_STATES.has(feed.status.state)) announceOutcome(feed);
    else watch(feed, feed.id === state.justSaved);
  }
  state.justSaved = null;
  resizeFrame();
}

/** @returns {Promise<import('../types/api.js').JiraField[]>} */
async function fetchFields() {
  /** @type {{ fields: import('../types/api.js').JiraField[] }} */
  const body = await api('GET', 'jira/fields');
  return body.fields;
}

/** @returns {Promise<import('../types/api.js').ProjectRole[]>} */
async function fetchRoles() {
  /** @type {{ roles: import('../types/api.js').ProjectRole[] }} */
  const body = await api('GET', 'jira/roles');
  return body.roles;
}

/** @returns {Promise<Site>} */
async function fetchSite() {
  return api('GET', 'site');
}

/**
 * @param {string} id
 * @returns {Promise<FeedView>}
 */
async function fetchFeed(id) {
  return api('GET', `feeds/${encodeURIComponent(id)}`);
}

/** @returns {Promise<EditorLookups>} */
async function loadLookups() {
  if (state.lookups) return state.lookups;
  // Forbidden is the answer for the whole editor; other failures only cost the pickers.
  /** @param {unknown} error */
  const optional = (error) => {
    if (error instanceof ApiError && (error.status === 403 || error.status === 401)) throw error;
    return null;
  };
  const [fields, roles, site] = await Promise.all([
    fetchFields().catch(optional),
    fetchRoles().catch(optional),
    state.site ? Promise.resolve(state.site) : fetchSite().catch(() => null),
  ]);
  state.site = site;
  /** @type {EditorLookups} */
  const lookups = { fields, roles, siteBaseUrl: site?.baseUrl ?? '' };
  if (fields && roles) state.lookups = lookups;
  return lookups;
}

/** @param {string | null} feedId */
async function showEditor(feedId) {
  stopPolling();
  state.view = 'editor';
  replaceChildren(
    root,
    h(
      'p',
      { class: 'subtle', 'aria-busy': 'true' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      ' Loading the editor…',
    ),
  );
  /** @type {FeedView | null} */
  let feed;
  /** @type {EditorLookups} */
  let lookups;
  try {
    [feed, lookups] = await Promise.all([feedId ? fetchFeed(feedId) : Promise.resolve(null), loadLookups()]);
  } catch (error) {
    const forbidden = error instanceof ApiError && error.status === 403;
    replaceChildren(
      root,
      h(
        'div',
        {
          class: ['section-message', forbidden ? 'section-message--warning' : 'section-message--error'],
          role: 'alert',
          'data-testid': forbidden ? 'forbidden' : null,
        },
        h(
          'div',
          {},
          h('h3', {
            text: forbidden ? 'Only Jira administrators can manage feeds' : 'The feed could not be opened',
          }),
          h('p', { text: forbidden ? 'Ask a Jira administrator to change this feed.' : explainError(error) }),
          h('a', { href: '#', text: '← All feeds' }),
        ),
      ),
    );
    resizeFrame();
    return;
  }
  if (!lookups.fields) {
    showFlag({
      type: 'warning',
      title: 'Jira fields could not be loaded',
      body: 'Type field ids (such as duedate or customfield_10042) by hand; they are checked when you save.',
    });
  }
  const editorRoot = h('div', {});
  replaceChildren(root, editorRoot);
  new FeedEditor({
    root: editorRoot,
    feed,
    lookups,
    onSaved: (/** @type {FeedView} */ saved) => {
      state.justSaved = saved.id;
      window.location.hash = '';
    },
    onCancel: () => {
      window.location.hash = '';
    },
  });
  const firstControl = editorRoot.querySelector('input, select, textarea');
  if (firstControl instanceof HTMLElement) firstControl.focus();
}

function route() {
  const hash = decodeURIComponent(window.location.hash.replace(/^#/, ''));
  if (hash === 'new') void showEditor(null);
  else if (hash.startsWith('edit/')) void showEditor(hash.slice('edit/'.length));
  else void showList();
}

if (requireHost(root)) {
  window.addEventListener('hashchange', route);
  route();
}
