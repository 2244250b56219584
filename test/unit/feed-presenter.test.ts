import { noUrlUse } from '../../src/db/subscription-client-repository.js';
import { describe, expect, it } from 'vitest';
import type { FeedSyncStatus } from '../../src/domain/feed.js';
import { presentFeed } from '../../src/http/feed-presenter.js';
import { feedConfig } from '../support/factories.js';

const now = new Date('2026-01-01T00:00:00Z');
const feed = {
  id: 'f',
  clientKey: 'c',
  name: 'F',
  config: feedConfig({ issueCap: 100 }),
  createdByAccountId: 'a',
  runAsAccountId: null,
  updatedByAccountId: 'a',
  createdAt: now,
  updatedAt: now,
};
const status: FeedSyncStatus = {
  feedId: 'f',
  state: 'ok',
  nextSyncAt: now,
  requestedAt: null,
  startedAt: null,
  finishedAt: now,
  lastSuccessAt: now,
  durationMs: 10,
  issueCount: 100,
  eventCount: 90,
  omittedCount: 0,
  omitted: null,
  capReached: false,
  progressIssues: null,
  errorCode: null,
  errorMessage: null,
  consecutiveFailures: 0,
  dataHash: 'h',
  lastSync: { kind: 'incremental', jiraRequests: 3, issuesFetched: 0 },
  jiraRequestsToday: 12,
  accessError: null,
};

const urlUse = noUrlUse();
const liveConnections = {};

describe('presentFeed', () => {
  it("warns when the cap cut the feed short and when the feed nears Google's size limit", () => {
    expect(
      presentFeed({ feed, status, url: null, sizeBytes: 10_000, urlUse, liveConnections }).status.warnings,
    ).toEqual([]);
    const warnings = presentFeed({
      feed,
      status: { ...status, capReached: true },
      url: null,
      sizeBytes: 950_000,
      urlUse,
      liveConnections,
    }).status.warnings;
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/100 issues with events nearest to today/);
    expect(warnings[1]).toMatch(/950 KB.*1 MB/);
  });

  it("shows a failed sync's cause while keeping the last export time", () => {
    const presented = presentFeed({
      feed,
      status: {
        ...status,
        state: 'error',
        errorCode: 'jira_unavailable',
        errorMessage: 'Jira did not answer',
      },
      url: null,
      sizeBytes: null,
      urlUse,
      liveConnections,
    });
    expect(presented.status).toMatchObject({
      state: 'error',
      error: { code: 'jira_unavailable', message: 'Jira did not answer' },
      lastExportAt: now.toISOString(),
    });
  });
});
