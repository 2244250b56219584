// @ts-check
// The admin page's feeds grid: a row per feed with its actions. A feed whose sync is under way is asked about
// until the sync settles, and its row redrawn each time.
import { api, ApiError } from './api-client.js';
import { h, replaceChildren } from './dom.js';
import { confirmDialog, showErrorFlag, showFlag } from './feedback.js';
import { plural, timeElement } from './formats.js';
import { copyText, resizeFrame } from './page-host.js';
import {
  ACTIVE_STATES,
  costCell,
  errorHint,
  eventsCell,
  liveCell,
  statusCell,
  urlUseCell,
} from './admin-status.js';

/** @typedef {import('../types/api.js').FeedView} FeedView */

const POLL_MS = [1000, 1000, 2000, 2000, 3000, 5000];

/** @typedef {{ timer: ReturnType<typeof setTimeout> | undefined }} Watch */

/**
 * The feeds drawn, the watch on each feed being polled, and the feeds deleted from this page.
 * @type {{ feeds: FeedView[], polling: Map<string, Watch>, deleted: Set<string> }}
 */
const state = { feeds: [], polling: new Map(), deleted: new Set() };

/**
 * The grid's feeds from now on; drawn by the next `redrawFeeds()`.
 * @param {FeedView[]} feeds
 */
export function setFeeds(feeds) {
  state.feeds = feeds;
}

/**
 * Follows every feed whose sync is under way. The feed just saved in the editor has its outcome announced
 * with a flag, at once when its sync has already settled.
 * @param {string | null} justSaved
 */
export function followFeeds(justSaved) {
  for (const feed of state.feeds) {
    if (feed.id === justSaved && !ACTIVE_STATES.has(feed.status.state)) announceOutcome(feed);
    else watch(feed, feed.id === justSaved);
  }
}

/** @param {FeedView} feed */
function rowActions(feed) {
  const busy = ACTIVE_STATES.has(feed.status.state);
  const sharedUrl = feed.url;
  return h(
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
      'aria-label': `Sync now: ${feed.name}`,
      text: 'Sync now',
      on: { click: () => void syncNow(feed) },
    }),
    sharedUrl
      ? h('button', {
          type: 'button',
          class: 'button button--compact',
          'aria-label': `Copy URL of ${feed.name} (the shared one)`,
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
}

/** @param {FeedView} feed */
function feedRow(feed) {
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
    urlUseCell(feed),
    liveCell(feed),
    h('td', { 'data-label': 'Actions' }, rowActions(feed)),
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
  const headers = [
    'Name',
    'Last edit',
    'Status',
    'Last export',
    'Time to export',
    'Events',
    'URLs in use (7 days)',
    'Live calendars',
    'Actions',
  ];
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

export function redrawFeeds() {
  const container = document.getElementById('feeds');
  if (!container) return;
  replaceChildren(container, feedsTable());
  resizeFrame();
}

/**
 * Draws `feed` as an answer gave it; a feed deleted here stays deleted, whichever late answer names it.
 * @param {FeedView} feed
 */
function upsertFeed(feed) {
  if (state.deleted.has(feed.id)) return;
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
  /** @type {Watch} */
  const watching = { timer: undefined };
  // The feed was deleted or the view left while a poll was out: its answer is older than that.
  const stopped = () => state.polling.get(feed.id) !== watching;
  let attempt = 0;
  const poll = async () => {
    try {
      /** @type {FeedView} */
      const latest = await api('GET', `feeds/${encodeURIComponent(feed.id)}`);
      if (stopped()) return;
      upsertFeed(latest);
      if (ACTIVE_STATES.has(latest.status.state)) {
        watching.timer = setTimeout(poll, POLL_MS[Math.min(++attempt, POLL_MS.length - 1)]);
        return;
      }
      state.polling.delete(feed.id);
      if (announce) announceOutcome(latest);
    } catch (error) {
      if (stopped()) return;
      state.polling.delete(feed.id);
      if (error instanceof ApiError && error.status === 404) {
        state.feeds = state.feeds.filter((candidate) => candidate.id !== feed.id);
        redrawFeeds();
        return;
      }
      showErrorFlag(`check on “${feed.name}”`, error);
    }
  };
  watching.timer = setTimeout(poll, POLL_MS[0]);
  state.polling.set(feed.id, watching);
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
    clearTimeout(state.polling.get(feed.id)?.timer);
    state.polling.delete(feed.id);
    state.deleted.add(feed.id);
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

export function stopPolling() {
  for (const { timer } of state.polling.values()) clearTimeout(timer);
  state.polling.clear();
}
