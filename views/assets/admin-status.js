// @ts-check
// The feeds grid's cells about a feed's last sync: its status (a failed one says why, a click away), how long
// the export took and what it cost in Jira requests, and the events it produced.
import { h } from './dom.js';
import { formatDuration, formatNumber, plural, timeElement } from './formats.js';
import { resizeFrame } from './page-host.js';

/** @typedef {import('../types/api.js').FeedView} FeedView */
/** @typedef {import('../types/api.js').FeedStatus} FeedStatus */

/**
 * The states of a sync still under way: the grid keeps asking about such a feed until it settles.
 * @type {ReadonlySet<FeedStatus['state']>}
 */
export const ACTIVE_STATES = new Set(['queued', 'running']);

/**
 * What a feed creator can do about each kind of sync failure.
 * @type {Record<string, string>}
 */
const ERROR_HINTS = {
  jql_rejected:
    'Edit the feed and correct its query or saved filter. The Calendar Sync app user must be able to see every project it names.',
  jira_forbidden:
    'Check in Jira that the Calendar Sync app user may still browse the feed’s projects (project permissions), then sync again.',
  jira_unauthorized:
    'Jira no longer accepts the app’s credentials. Check under Jira settings → Apps that Calendar Sync is installed and enabled.',
  jira_unavailable:
    'Jira did not answer in time. The next scheduled sync tries again on its own; Sync now tries at once.',
  jira_rate_limited: 'Jira asked the app to slow down. The next scheduled sync tries again on its own.',
  jira_bad_response:
    'Jira answered with something unexpected. The next scheduled sync tries again on its own.',
  jira_error: 'The next scheduled sync tries again on its own; Sync now tries at once.',
};

/**
 * @param {string | undefined} code
 * @returns {string | null}
 */
export function errorHint(code) {
  return (code !== undefined && ERROR_HINTS[code]) || null;
}

/**
 * @param {FeedView} feed
 * @param {(feed: FeedView) => void} onTakeOver the feed's owner can no longer sign in and the user takes it over
 */
export function statusCell(feed, onTakeOver) {
  const status = feed.status;
  const cell = h('td', { 'data-label': 'Status', 'data-testid': 'feed-status' });
  if (ACTIVE_STATES.has(status.state)) cell.append(...syncingStatus(status));
  else if (status.state === 'ok') cell.append(h('span', { class: 'lozenge lozenge--success', text: 'OK' }));
  else if (status.state === 'error') cell.append(...errorStatus(feed, onTakeOver));
  else
    cell.append(
      h('span', { class: 'lozenge', text: 'Pending' }),
      h('div', { class: 'subtlest', text: 'Waiting for the first sync' }),
    );
  for (const warning of status.warnings ?? [])
    cell.append(h('div', { class: 'status-detail subtle', text: `⚠ ${warning}` }));
  return cell;
}

/**
 * @param {FeedStatus} status
 * @returns {(Node | string)[]}
 */
function syncingStatus(status) {
  const progress = status.progressIssues ? ` · ${plural(status.progressIssues, 'issue')} read` : '';
  return [
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    ' ',
    h('span', {
      class: 'lozenge lozenge--inprogress',
      text: status.state === 'queued' ? 'Queued' : 'Syncing',
    }),
    h('span', { class: 'subtlest', text: progress }),
  ];
}

/**
 * The Error lozenge, a button that shows and hides why the sync failed.
 * @param {FeedView} feed
 * @param {(feed: FeedView) => void} onTakeOver
 * @returns {HTMLElement[]}
 */
function errorStatus(feed, onTakeOver) {
  const detail = errorDetail(feed, `error-${feed.id}`, onTakeOver);
  const toggle = h('button', {
    type: 'button',
    class: 'lozenge lozenge--removed',
    'aria-expanded': 'false',
    'aria-controls': detail.id,
    title: 'Show why the sync failed',
    text: 'Error',
    on: {
      click: () => {
        const open = toggle.getAttribute('aria-expanded') !== 'true';
        toggle.setAttribute('aria-expanded', String(open));
        detail.hidden = !open;
        resizeFrame();
      },
    },
  });
  return [toggle, detail];
}

/**
 * @param {FeedView} feed
 * @param {string} id
 * @param {(feed: FeedView) => void} onTakeOver
 */
function errorDetail(feed, id, onTakeOver) {
  const status = feed.status;
  const code = status.error?.code;
  const hint = errorHint(code);
  return h(
    'div',
    { class: 'status-detail', id, hidden: true },
    h('p', {
      class: 'field-error',
      text: status.error?.message || 'The last sync failed without a message.',
    }),
    hint ? h('p', { text: hint }) : null,
    code ? h('p', { class: 'subtlest', text: `Code: ${code}` }) : null,
    code === 'owner_sign_in_needed'
      ? h('button', {
          type: 'button',
          class: 'button button--compact',
          'data-testid': 'take-over',
          text: 'Take this feed over',
          title: 'From now on the feed runs with your Jira permissions',
          on: { click: () => onTakeOver(feed) },
        })
      : null,
    status.lastAttemptAt
      ? h('p', { class: 'subtlest' }, 'Last attempt ', timeElement(status.lastAttemptAt))
      : null,
    status.lastExportAt
      ? h('p', {
          class: 'subtlest',
          text: 'Calendars keep getting the last good export until the next sync succeeds.',
        })
      : null,
  );
}

/** @param {FeedView} feed */
export function eventsCell(feed) {
  const status = feed.status;
  const cell = h('td', { 'data-label': 'Events', 'data-testid': 'feed-events' });
  if (status.eventCount === null || status.eventCount === undefined) {
    cell.append(h('span', { class: 'subtle', text: '—' }));
    return cell;
  }
  cell.append(h('strong', { text: formatNumber(status.eventCount) }));
  if (status.issueCount !== null && status.issueCount !== undefined)
    cell.append(h('div', { class: 'subtlest', text: `from ${plural(status.issueCount, 'issue')}` }));
  if (status.omittedCount)
    cell.append(h('div', { class: 'subtlest', text: `${plural(status.omittedCount, 'event')} left out` }));
  const reasons = omissionSummary(status);
  if (reasons.length > 0)
    cell.append(h('div', { class: 'subtlest', 'data-testid': 'omission-reasons', text: reasons.join('; ') }));
  if (status.capReached)
    cell.append(
      h('div', { class: 'subtlest', text: `Over the issue cap (${feed.config.issueCap} issues kept)` }),
    );
  if (reasons.length > 0 || status.capReached)
    cell.append(
      h('a', {
        href: `#explain/${encodeURIComponent(feed.id)}`,
        'aria-label': `Why? Ask the explainer about ${feed.name}`,
        text: 'Why? Ask the explainer',
      }),
    );
  return cell;
}

/**
 * The omission reasons a sync counts, grouped the way a feed creator acts on them.
 * @param {string} reason
 */
function omissionGroup(reason) {
  if (reason === 'size-budget') return 'cut by the size budget';
  if (reason.startsWith('empty') || reason.startsWith('invalid')) return 'missing dates';
  if (reason === 'end-before-start' || reason === 'zero-length') return 'end not after start';
  return 'other reasons';
}

/**
 * The biggest reasons events were left out, with counts, biggest first (at most three). The date window
 * and the issue cap are counted apart from the omissions (the cap in issues, not events).
 * @param {FeedStatus} status
 * @returns {string[]}
 */
export function omissionSummary(status) {
  /** @type {Map<string, number>} */
  const groups = new Map();
  for (const [reason, count] of Object.entries(status.omitted?.byReason ?? {})) {
    const group = omissionGroup(reason);
    groups.set(group, (groups.get(group) ?? 0) + count);
  }
  if (status.omitted?.outsideWindow) groups.set('outside the date window', status.omitted.outsideWindow);
  if (status.omitted?.overCap)
    groups.set(
      status.omitted.overCap === 1 ? 'issue over the cap' : 'issues over the cap',
      status.omitted.overCap,
    );
  return [...groups]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([group, count]) => `${formatNumber(count)} ${group}`);
}

const FAMILY_NAMES = { google: 'Google', outlook: 'Outlook', apple: 'Apple', other: 'other apps' };

/**
 * How many of the feed's URLs each calendar-app family fetched in the last 7 days.
 * @param {FeedView} feed
 */
export function urlUseCell(feed) {
  const cell = h('td', { 'data-label': 'URLs in use (7 days)', 'data-testid': 'feed-url-use' });
  const use = feed.urlUse ?? { google: 0, outlook: 0, apple: 0, other: 0 };
  const families = /** @type {(keyof typeof FAMILY_NAMES)[]} */ (Object.keys(FAMILY_NAMES)).filter(
    (family) => use[family] > 0,
  );
  if (families.length === 0) {
    cell.append(h('span', { class: 'subtle', text: 'None fetched' }));
    return cell;
  }
  for (const family of families) cell.append(h('div', { text: `${FAMILY_NAMES[family]}: ${use[family]}` }));
  return cell;
}

const PROVIDER_NAMES = { google: 'Google Calendar', microsoft: 'Outlook' };

/**
 * The live calendars people keep from the feed, per provider.
 * @param {FeedView} feed
 */
export function liveCell(feed) {
  const cell = h('td', { 'data-label': 'Live calendars', 'data-testid': 'feed-live' });
  const live = feed.liveConnections ?? {};
  const providers = /** @type {(keyof typeof PROVIDER_NAMES)[]} */ (Object.keys(PROVIDER_NAMES)).filter(
    (provider) => (live[provider] ?? 0) > 0,
  );
  if (providers.length === 0) {
    cell.append(h('span', { class: 'subtle', text: 'None' }));
    return cell;
  }
  for (const provider of providers)
    cell.append(h('div', { text: `${PROVIDER_NAMES[provider]}: ${live[provider] ?? 0}` }));
  return cell;
}

/**
 * How long the last export took and what it cost the site's Jira quota (Jira meters apps per site).
 * @param {FeedView} feed
 */
export function costCell(feed) {
  const status = feed.status;
  const cell = h(
    'td',
    { 'data-label': 'Time to export', 'data-testid': 'feed-cost' },
    formatDuration(status.durationMs),
  );
  if (status.lastSync) {
    const kind = status.lastSync.kind === 'incremental' ? 'Changes only' : 'Full read';
    const cost = `${kind}: ${plural(status.lastSync.jiraRequests, 'Jira request')}, ${plural(status.lastSync.issuesFetched, 'issue')} read`;
    cell.append(h('div', { class: 'subtlest', text: cost }));
  }
  if (status.jiraRequestsToday)
    cell.append(
      h('div', {
        class: 'subtlest',
        title:
          "Requests this feed's syncs made to Jira since midnight UTC; they count against the site's Jira rate limit",
        text: `${plural(status.jiraRequestsToday, 'Jira request')} today`,
      }),
    );
  return cell;
}
