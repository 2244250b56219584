import type { FeedConfig } from './feed-config.js';

export type Feed = {
  id: string;
  clientKey: string;
  name: string;
  config: FeedConfig;
  createdByAccountId: string;
  updatedByAccountId: string;
  /** Whose Jira rights the sync uses where there is no app user (Data Center); null: the creator's. */
  runAsAccountId: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export type SyncState = 'pending' | 'queued' | 'running' | 'ok' | 'error';

export type SyncKind = 'full' | 'incremental';

/** What an incremental sync needs to trust the items the last good sync left (see `feed_sync_items`). */
export type SyncBasis = {
  /** The configuration, JQL and site the items were read with. */
  hash: string;
  /** When the last good sync started: issues updated since then (less an overlap) are read again. */
  watermarkAt: Date;
  lastFullAt: Date;
  /** When the feed's window next takes in or drops an event. */
  windowChangeAt: Date;
};

export type OmittedIssues = {
  count: number;
  byReason: Record<string, number>;
  examples: { issueKey: string; reason: string }[];
  /** Events built but outside the date window (not in `count`); absent from statuses of older syncs. */
  outsideWindow?: number;
  /** Issues the query matched that the issue cap kept out of the feed; absent from statuses of older syncs. */
  overCap?: number;
};

export type FeedSyncStatus = {
  feedId: string;
  state: SyncState;
  nextSyncAt: Date;
  requestedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  lastSuccessAt: Date | null;
  durationMs: number | null;
  issueCount: number | null;
  eventCount: number | null;
  omittedCount: number | null;
  omitted: OmittedIssues | null;
  capReached: boolean;
  progressIssues: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  consecutiveFailures: number;
  dataHash: string | null;
  /** What the last finished sync was and cost: a full read or only what changed, Jira requests, issues read with all fields. */
  lastSync: { kind: SyncKind; jiraRequests: number; issuesFetched: number } | null;
  /** Jira requests the feed's syncs made today (UTC), all syncs counted, failed ones too. */
  jiraRequestsToday: number;
  /** Set when the feed's access rules could not be resolved (e.g. the app user lacks project admin). */
  accessError: { code: string; message: string } | null;
};

export type RenderedFeed = {
  feedId: string;
  variant: string;
  body: Buffer;
  bodyGzip: Buffer;
  etag: string;
  dataHash: string;
  lastModified: Date;
  eventCount: number;
};

export type FeedSubscription = {
  id: string;
  feedId: string;
  clientKey: string;
  accountId: string | null;
  calendar: string;
  tokenNonce: string;
  createdAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
  lastFetchedAt: Date | null;
  fetchCount: number;
  /** When the URL as it is now was first shown to or copied by its owner. */
  urlShownAt: Date | null;
};

/** The shared calendar every permitted subscriber of a feed gets; per-user calendars use other names. */
export const ALL_CALENDAR = 'all';

/** The user a feed's queries run as on an edition without an app user: whoever took it over, else its creator. */
export const runsAs = (feed: Feed): string => feed.runAsAccountId ?? feed.createdByAccountId;
