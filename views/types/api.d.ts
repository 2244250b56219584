// The JSON the pages receive from /api, as far as they read it.
import type { FeedConfig } from '../../src/domain/feed-config.js';
import type { Preview } from '../../src/services/preview-service.js';

export type { FeedConfig };
/** One event rule of a feed, and a timed rule's end, as the server's schema gives them. */
export type { EventRule, RuleEnd } from '../../src/domain/feed-config.js';

/** How a page reaches the server: Connect's (views/assets/platform.js) or Forge's (forge/src/platform-forge.js). */
export type Platform = {
  name: string;
  available: boolean;
  request(method: HttpMethod, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  flag: ((options: FlagOptions) => unknown) | null;
  resize(): void;
};

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type FieldProblem = { path: string; message: string };

/** A Jira field as /api/jira/fields lists it; `type` is the simplified type FITS speaks of. */
export type JiraField = { id: string; name: string; type: string; custom?: boolean };
export type ProjectRole = { id: string | number; name: string };
export type JiraGroup = { groupId?: string | null | undefined; name: string };

export type OmittedIssues = {
  count: number;
  byReason: Record<string, number>;
  examples: { issueKey: string; reason: string }[];
  /** Events outside the date window (not in `count`). */
  outsideWindow?: number | undefined;
  /** Issues the query matched that the issue cap kept out. */
  overCap?: number | undefined;
};

export type FeedStatus = {
  state: 'pending' | 'queued' | 'running' | 'ok' | 'error';
  lastExportAt: string | null;
  lastAttemptAt: string | null;
  nextSyncAt: string | null;
  durationMs: number | null;
  issueCount: number | null;
  eventCount: number | null;
  omittedCount: number | null;
  omitted: OmittedIssues | null;
  capReached: boolean;
  progressIssues: number | null;
  error: { code: string; message: string } | null;
  accessError: { code: string; message: string } | null;
  sizeBytes: number | null;
  warnings: string[];
  lastSync: { kind: 'full' | 'incremental'; jiraRequests: number; issuesFetched: number } | null;
  jiraRequestsToday: number;
};

export type FeedView = {
  id: string;
  name: string;
  config: FeedConfig;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
  updatedBy: string | null;
  /** Whose Jira rights the sync reads with (Data Center). */
  runsAs?: string;
  url: string | null;
  /** URLs of the feed each calendar-app family fetched in the last 7 days. */
  urlUse?: Record<ClientFamily, number>;
  /** Live calendars kept from the feed, per provider. */
  liveConnections?: Partial<Record<'google' | 'microsoft', number>>;
  status: FeedStatus;
};

/** The preview answer, as the server's preview service types it (one definition for both sides). */
export type { Preview } from '../../src/services/preview-service.js';
export type PreviewEvent = Preview['events'][number];

export type Explanation = { present: boolean; reason: string; message: string };
export type JqlCheck = { valid: boolean; count: number | null; errors: string[] };

/** What `h` and `replaceChildren` (views/assets/dom.js) accept as children: nothing-ish values are skipped. */
export type Child = Node | string | number | boolean | null | undefined | Child[];

/** What `h` (views/assets/dom.js) accepts as props: these keys, `aria-*`/`data-*` attributes, DOM properties. */
export type Props = {
  class?: string | (string | false | null | undefined)[] | null | false | undefined;
  text?: string | number | null | false | undefined;
  on?: { [E in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[E]) => void } | undefined;
  attrs?: Record<string, string | number | boolean> | undefined;
  [key: string]: unknown;
};

/** The values `h` writes as text (textContent, class names, attributes). */
export type PropText = string | number | boolean;

/** One of the signed-in user's calendars (src/http/subscription-presenter.ts presentPersonalCalendar). */
export type PersonalCalendar = {
  feedId: string;
  feedName: string;
  calendar: string;
  label: string;
  url: string | null;
  refreshIntervalMinutes: number;
  createdAt: string;
  lastFetchedAt: string | null;
  fetchCount: number;
  urlShownAt: string | null;
  /** The calendar-app families that fetched the URL, most recent first. */
  clients: UrlClient[];
  /** Shown over 48 hours ago and never fetched since. */
  neverFetched: boolean;
};

/** How one calendar-app family fetched a URL. */
export type UrlClient = {
  family: ClientFamily;
  firstFetchedAt: string;
  lastFetchedAt: string;
  fetchCount: number;
};

export type ClientFamily = 'google' | 'outlook' | 'apple' | 'other';

/** GET /api/site, as far as the pages read it. */
export type Site = { baseUrl: string; door?: string; accountId?: string };

/** GET and PUT /api/settings. */
export type SiteSettingsView = {
  errorReportingEnabled: boolean;
  exportsEnabled: boolean;
  errorReportPreview: unknown;
  /** Null on Data Center, which has no Personal Data Reporting API. */
  personalDataReporting: PersonalDataReportingView | null;
};

/** Where the site's Personal Data Reporting to Atlassian stands. */
export type PersonalDataReportingView = {
  accountsHeld: number;
  lastReportedAt: string | null;
  nextBatchAt: string | null;
  accountsReported: number;
  accountsErased: number;
  accountsRefreshed: number;
  throttledUntil: string | null;
  failing: { failures: number; status: number | null; message: string | null; at: string | null } | null;
};

/** What the feed editor's pickers offer; null where Jira could not be asked. */
export type EditorLookups = {
  fields: JiraField[] | null;
  roles: ProjectRole[] | null;
  siteBaseUrl: string;
  /** Who is editing, and through which door; null when the site could not be read. */
  viewer?: { accountId: string; door: string } | null;
};

/** A live calendar (src/http/live-calendar-router.ts presentConnection). */
export type LiveConnection = {
  id: string;
  feedId: string;
  calendar: string;
  provider: string;
  state: 'live' | 'broken' | 'ended';
  stateReason: string | null;
  lastPushAt: string | null;
  eventCount: number;
  pendingCount: number;
  lastError: string | null;
  lastErrorAt: string | null;
};

/** GET /api/me/live-calendars. */
export type LiveCalendars = { providers: { key: string; label: string }[]; connections: LiveConnection[] };
