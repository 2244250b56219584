// @ts-check
// The admin page (also the Configure page): the feeds list, with the grid (admin-feeds.js) and the site
// settings (admin-settings.js) under it, or the feed editor, opened with Jira's fields and roles for its pickers.
// The hash says which.
import { api, ApiError } from './api-client.js';
import { h, replaceChildren } from './dom.js';
import { explainError, loadErrorMessage, showFlag } from './feedback.js';
import { pageRoot, requireHost, resizeFrame } from './page-host.js';
import { followFeeds, redrawFeeds, setFeeds, stopPolling } from './admin-feeds.js';
import { settingsSection } from './admin-settings.js';
import { FeedEditor } from './feed-editor.js';

/** @typedef {import('../types/api.js').FeedView} FeedView */
/** @typedef {import('../types/api.js').Site} Site */
/** @typedef {import('../types/api.js').EditorLookups} EditorLookups */

const root = pageRoot();

/**
 * @type {{
 *   site: Site | null,
 *   lookups: EditorLookups | null,
 *   visit: number,
 *   justSaved: string | null,
 *   editor: FeedEditor | null,
 * }}
 */
const state = {
  site: null,
  lookups: null,
  /** Counts the views shown: a load that answers after the user moved on to another view draws nothing. */
  visit: 0,
  /** The feed just saved in the editor: its first sync is announced with a flag. */
  justSaved: null,
  /** The editor on screen, closed when the admin moves on. */
  editor: null,
};

/** Stops what the view being left still has scheduled: the grid's polls, the editor's checks. */
function leaveView() {
  stopPolling();
  state.editor?.close();
  state.editor = null;
}

async function showList() {
  leaveView();
  const visit = ++state.visit;
  const configure = new URLSearchParams(window.location.search).get('configure') === 'true';
  const feedsBox = h(
    'div',
    { id: 'feeds', 'aria-busy': 'true' },
    h('p', { class: 'subtle' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' Loading feeds…'),
  );
  const createButton = h('a', { class: 'button button--primary', href: '#new', text: 'Create feed' });
  replaceChildren(root, pageHeader(configure, createButton), feedsBox);
  /** @type {FeedView[]} */
  let feeds;
  try {
    ({ feeds } = await api('GET', 'feeds'));
  } catch (error) {
    if (visit !== state.visit) return;
    feedsBox.removeAttribute('aria-busy');
    createButton.remove();
    if (error instanceof ApiError && error.status === 403) replaceChildren(feedsBox, listForbidden());
    else replaceChildren(feedsBox, loadErrorMessage('Feeds could not be loaded', error, showList));
    resizeFrame();
    return;
  }
  if (visit !== state.visit) return;
  setFeeds(feeds);
  feedsBox.removeAttribute('aria-busy');
  redrawFeeds();
  root.append(settingsSection());
  followFeeds(state.justSaved);
  state.justSaved = null;
  resizeFrame();
}

/**
 * @param {boolean} configure opened as the app's Configure page
 * @param {HTMLElement} createButton
 */
function pageHeader(configure, createButton) {
  return h(
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
  );
}

function listForbidden() {
  return h(
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
  );
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
  const lookups = {
    fields,
    roles,
    siteBaseUrl: site?.baseUrl ?? '',
    viewer: site?.accountId && site.door ? { accountId: site.accountId, door: site.door } : null,
  };
  if (fields && roles) state.lookups = lookups;
  return lookups;
}

/**
 * @param {string | null} feedId
 * @param {'first' | 'explain'} focus the first control, or the explainer's issue key (from the grid's "Why?")
 */
async function showEditor(feedId, focus = 'first') {
  leaveView();
  const visit = ++state.visit;
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
    if (visit !== state.visit) return;
    replaceChildren(root, editorUnavailable(error));
    resizeFrame();
    return;
  }
  if (visit !== state.visit) return;
  if (!lookups.fields) {
    showFlag({
      type: 'warning',
      title: 'Jira fields could not be loaded',
      body: 'Type field ids (such as duedate or customfield_10042) by hand; they are checked when you save.',
    });
  }
  const editorRoot = h('div', {});
  replaceChildren(root, editorRoot);
  state.editor = new FeedEditor({
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
  const firstControl = editorRoot.querySelector(
    focus === 'explain' ? '.explainer input' : 'input, select, textarea',
  );
  if (firstControl instanceof HTMLElement) {
    firstControl.focus();
    if (focus === 'explain') firstControl.scrollIntoView({ block: 'center' });
  }
}

/**
 * Shown instead of the editor when the feed or Jira's answers it needs could not be loaded.
 * @param {unknown} error
 */
function editorUnavailable(error) {
  const forbidden = error instanceof ApiError && error.status === 403;
  return h(
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
  );
}

function route() {
  const hash = decodeURIComponent(window.location.hash.replace(/^#/, ''));
  if (hash === 'new') void showEditor(null);
  else if (hash.startsWith('edit/')) void showEditor(hash.slice('edit/'.length));
  else if (hash.startsWith('explain/')) void showEditor(hash.slice('explain/'.length), 'explain');
  else void showList();
}

if (requireHost(root)) {
  window.addEventListener('hashchange', route);
  route();
}
