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

export type OmittedIssues = {
  count: number;
  byReason: Record<string, number>;
  examples: { issueKey: string; reason: string }[];
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
  lastUserAgent: string | null;
};

/** The shared calendar every permitted subscriber of a feed gets; per-user calendars use other names. */
export const ALL_CALENDAR = 'all';

/** The user a feed's queries run as on an edition without an app user: whoever took it over, else its creator. */
export const runsAs = (feed: Feed): string => feed.runAsAccountId ?? feed.createdByAccountId;
