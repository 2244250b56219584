import { runsAs } from '../domain/feed.js';
import { SIZE_BUDGET_REASON } from '../domain/size-budget.js';
import { FEED_SIZE_WARNING_BYTES } from '../services/feed-publisher.js';
import type { FeedWithStatus } from '../services/feed-service.js';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** The JSON shape of a feed in the admin API. */
export function presentFeed({ feed, status, url, sizeBytes, urlUse, liveConnections }: FeedWithStatus) {
  const warnings: string[] = [];
  if (status.capReached) {
    warnings.push(
      `Only the ${feed.config.issueCap} issues with events nearest to today are in the feed. Narrow the JQL or raise the issue cap to include the rest.`,
    );
  }
  const cut = status.omitted?.byReason[SIZE_BUDGET_REASON] ?? 0;
  if (cut > 0 && feed.config.sizeBudget.maxBytes !== null) {
    warnings.push(
      `${cut} events farthest from today were left out to keep the feed under ${Math.round(feed.config.sizeBudget.maxBytes / 1000)} KB. Shorten the date window or narrow the JQL to choose what goes.`,
    );
  }
  if (sizeBytes !== null && sizeBytes >= FEED_SIZE_WARNING_BYTES) {
    warnings.push(
      `The feed is ${Math.round(sizeBytes / 1000)} KB; Google Calendar stops refreshing feeds over about 1 MB. Shorten the date window or narrow the JQL.`,
    );
  }
  return {
    id: feed.id,
    name: feed.name,
    config: feed.config,
    createdAt: feed.createdAt.toISOString(),
    updatedAt: feed.updatedAt.toISOString(),
    createdBy: feed.createdByAccountId,
    updatedBy: feed.updatedByAccountId,
    /** Whose Jira rights the sync uses where the edition has no app user (Data Center). */
    runsAs: runsAs(feed),
    url,
    /** URLs of this feed that each calendar-app family fetched in the last 7 days. */
    urlUse,
    /** Live calendars people keep from this feed, per provider. */
    liveConnections,
    status: {
      state: status.state,
      lastExportAt: iso(status.lastSuccessAt),
      lastAttemptAt: iso(status.finishedAt),
      nextSyncAt: iso(status.nextSyncAt),
      durationMs: status.durationMs,
      issueCount: status.issueCount,
      eventCount: status.eventCount,
      omittedCount: status.omittedCount,
      omitted: status.omitted,
      capReached: status.capReached,
      lastSync: status.lastSync,
      jiraRequestsToday: status.jiraRequestsToday,
      progressIssues: status.progressIssues,
      error: status.errorCode ? { code: status.errorCode, message: status.errorMessage ?? '' } : null,
      accessError: status.accessError,
      sizeBytes,
      warnings,
    },
  };
}
