import { createHash } from 'node:crypto';
import type { FeedEventRepository } from '../db/feed-event-repository.js';
import { compareEvents } from '../db/feed-event-repository.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { FeedSyncItemRepository } from '../db/feed-sync-item-repository.js';
import type { FeedSyncRepository } from '../db/feed-sync-repository.js';
import { buildFeedEventsSliced, type BuildContext, type JiraIssueLike } from '../domain/event-rules.js';
import { eventUidDomain } from '../domain/event-uids.js';
import { requiredJiraFields } from '../domain/feed-config.js';
import type { FeedEvent } from '../domain/feed-event.js';
import {
  ALL_CALENDAR,
  type Feed,
  type FeedSyncStatus,
  type OmittedIssues,
  type SyncBasis,
  type SyncKind,
} from '../domain/feed.js';
import type { ActiveInstallation } from '../domain/installation.js';
import { issuesToRead, keepNearestIssues } from '../domain/issue-cap.js';
import { SIZE_BUDGET_REASON } from '../domain/size-budget.js';
import { incrementalAllowed } from '../domain/sync-basis.js';
import {
  cutCount,
  itemsOf,
  omittedOf,
  OUTSIDE_WINDOW_REASON,
  splitByWindow,
  standIn,
  withLookahead,
  type SyncItem,
} from '../domain/sync-items.js';
import type { JiraReader } from '../jira/jira-reader.js';
import type { JiraClients } from './jira-clients.js';
import { readIncrementally } from './incremental-read.js';
import { readIssues } from './read-issues.js';
import { timeSlices } from './time-slices.js';

/** One sync's inputs: the feed, its Jira client and query, and what the last sync left. */
export type SyncRun = {
  feed: Feed;
  client: JiraReader;
  jql: string;
  fields: string[];
  ctx: BuildContext;
  started: Date;
  /** Jira requests made so far, counted by the client. */
  requests: { count: number };
  signal: AbortSignal | undefined;
  /** What the items of this sync are valid for (the query, fields and configuration). */
  basisHash: string;
  status: FeedSyncStatus | null;
  basis: SyncBasis | null;
  /** The data hash of the bytes served now. */
  servedHash: string | null;
};

/** What a read found: the feed's events before revisions and the size budget, and the items to keep. */
export type Read = {
  kind: SyncKind;
  issueCount: number;
  issuesFetched: number;
  events: FeedEvent[];
  /** Events the size budget cut at the last sync, known by rank only (see `standIn`). */
  cut: { event: FeedEvent; hash: string }[];
  /** The UIDs the feed served before this sync, when read. */
  shownUids: Set<string> | null;
  /** The stored events and items, when read: only what changed in them is written. */
  stored: { events: FeedEvent[]; items: SyncItem[] } | null;
  omitted: OmittedIssues;
  capReached: boolean;
  items: SyncItem[];
  windowChangeAt: Date;
  lastFullAt: Date;
};

/** Jira reported nothing the feed shows moved: the last status stands, with the watermark moved on. */
export type Unchanged = { unchanged: FeedSyncStatus; basis: SyncBasis };

/**
 * Plans a sync's read and does it: only what changed since the last sync when its items can be trusted,
 * otherwise every issue of the query, kept to the feed's cap.
 */
export class SyncReader {
  constructor(
    private readonly deps: {
      jira: JiraClients;
      syncs: FeedSyncRepository;
      items: FeedSyncItemRepository;
      events: FeedEventRepository;
      renders: FeedRenderRepository;
      now: () => Date;
    },
  ) {}

  /** What the sync works from: the query, the fields, and what the last sync left. */
  async plan(
    installation: ActiveInstallation,
    feed: Feed,
    started: Date,
    requests: { count: number },
    signal: AbortSignal | undefined,
  ): Promise<SyncRun> {
    const { clientKey } = installation;
    const client = this.deps.jira.forFeed(installation, feed, () => {
      requests.count += 1;
    });
    const jql = await resolveJql(client, feed);
    const fields = requiredJiraFields(feed.config);
    const now = this.deps.now();
    const ctx = { jiraBaseUrl: installation.baseUrl, uidDomain: eventUidDomain(clientKey, feed.id), now };
    const basisHash = createHash('sha256')
      .update(JSON.stringify({ jql, fields, config: feed.config, ...ctx, now: undefined }))
      .digest('base64url');
    const served = await this.deps.renders.findMeta(clientKey, feed.id, ALL_CALENDAR);
    return {
      feed,
      client,
      jql,
      fields,
      ctx,
      started,
      requests,
      signal,
      basisHash,
      status: await this.deps.syncs.find(clientKey, feed.id),
      basis: await this.deps.syncs.findBasis(clientKey, feed.id),
      servedHash: served?.dataHash ?? null,
    };
  }

  /**
   * The incremental read, when the last sync's items can be trusted: what changed since, merged with the
   * stored events; the status to keep when Jira reports nothing the feed shows moved; null to read in full.
   */
  async readIncremental(run: SyncRun): Promise<Read | Unchanged | null> {
    const { feed, basis, status, ctx } = run;
    if (!basis || !status || !incrementalAllowed(basis, run.basisHash, status, ctx.now)) return null;
    const items = await this.deps.items.list(feed.clientKey, feed.id);
    // What the budget cut must all be ranked again, so a sync from before cuts were kept reads in full.
    // So must events outside the window be counted per issue, which syncs before `outsideWindow` did not.
    const complete =
      cutCount(items) === (status.omitted?.byReason[SIZE_BUDGET_REASON] ?? 0) &&
      status.omitted?.outsideWindow !== undefined;
    if (!complete || (items.length === 0 && status.issueCount !== 0)) return null;
    const incremental = await readIncrementally(run.client, {
      jql: run.jql,
      fields: run.fields,
      config: feed.config,
      items,
      watermarkAt: basis.watermarkAt,
      now: ctx.now,
      cap: feed.config.issueCap,
      ...(run.signal ? { signal: run.signal } : {}),
    });
    if (!incremental) return null;
    if (!incremental.changed && status.dataHash && run.servedHash === status.dataHash)
      return { unchanged: status, basis: { ...basis, watermarkAt: run.started } };
    const stored = await this.deps.events.list(feed.clientKey, feed.id);
    const kept = incremental.keep(stored);
    const built = await buildEvents(feed, incremental.fetched, ctx);
    const next = [...kept.items, ...itemsOf(feed.config, incremental.fetched, built.itemOmissions)];
    return {
      kind: 'incremental',
      issueCount: incremental.memberCount,
      issuesFetched: incremental.fetched.length,
      events: [...kept.events, ...built.shown].sort(compareEvents),
      cut: kept.items.flatMap((item) => item.cut.map((event) => standIn(event, item))),
      shownUids: new Set(stored.map((event) => event.uid)),
      stored: { events: stored, items },
      // Past the cap the read is a full one: an incremental read kept every issue the query matched.
      omitted: { ...omittedOf(next), overCap: 0 },
      capReached: false,
      items: next,
      windowChangeAt: new Date(Math.min(basis.windowChangeAt.getTime(), built.changesAt.getTime())),
      lastFullAt: basis.lastFullAt,
    };
  }

  /** Every issue of the query; over the cap, those whose events are nearest to today. */
  async readFull(run: SyncRun): Promise<Read> {
    const { feed, ctx } = run;
    const fetched = await readIssues(run.client, {
      jql: run.jql,
      fields: run.fields,
      limit: issuesToRead(feed.config.issueCap),
      ...(run.signal ? { signal: run.signal } : {}),
      onPage: (count) => this.deps.syncs.recordProgress(feed.clientKey, feed.id, count),
    });
    let issues = fetched.issues;
    let built = await buildEvents(feed, issues, ctx);
    if (issues.length > feed.config.issueCap) {
      // Over the cap, the issues kept are those whose events are nearest to today, not Jira's first ones.
      issues = keepNearestIssues(issues, built.shown, feed.config.issueCap, ctx.now);
      built = await buildEvents(feed, issues, ctx);
    }
    return {
      kind: 'full',
      cut: [],
      shownUids: null,
      stored: null,
      issueCount: issues.length,
      issuesFetched: fetched.issues.length,
      events: built.shown,
      omitted: {
        ...built.omitted,
        outsideWindow: built.outsideWindow,
        overCap: (await matchedCount(run, fetched)) - issues.length,
      },
      capReached: fetched.more || fetched.issues.length > feed.config.issueCap,
      items: itemsOf(feed.config, issues, built.itemOmissions),
      windowChangeAt: built.changesAt,
      lastFullAt: run.started,
    };
  }
}

/**
 * The feed's events from `issues`, built a little further ahead than the window so the sync knows when
 * the window next changes what it shows; the build yields to the event loop between chunks of issues.
 */
export async function buildEvents(feed: Feed, issues: JiraIssueLike[], ctx: BuildContext) {
  const built = await buildFeedEventsSliced(withLookahead(feed.config), issues, ctx, timeSlices());
  const split = splitByWindow(built.events, feed.config.window, feed.config.timeZone, ctx.now);
  const outside = [
    ...built.outsideWindow,
    ...split.later.map((event) => built.countedAgainst.get(event.uid) ?? event.issueKey ?? ''),
  ];
  return {
    ...built,
    ...split,
    outsideWindow: outside.length,
    /** The omissions with the events outside the window, as the items record them. */
    itemOmissions: [
      ...built.omissions,
      ...outside.map((issueKey) => ({ issueKey, reason: OUTSIDE_WINDOW_REASON })),
    ],
  };
}

/**
 * How many issues the query matched: those read, or Jira's estimate when there were more than were read
 * (one more request, made only over the cap).
 */
async function matchedCount(run: SyncRun, fetched: { issues: unknown[]; more: boolean }): Promise<number> {
  if (!fetched.more) return fetched.issues.length;
  // The count only words the status: without Jira's estimate, those read are the least it matched.
  const estimate = await run.client.approximateCount(run.jql).catch((error: unknown) => {
    if (run.signal?.aborted) throw error;
    return 0;
  });
  return Math.max(estimate, fetched.issues.length);
}

async function resolveJql(client: JiraReader, feed: Feed): Promise<string> {
  if (feed.config.source.type === 'jql') return feed.config.source.jql;
  const filter = await client.getFilter(feed.config.source.filterId);
  return filter.jql;
}
