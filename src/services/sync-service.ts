import type { Knex } from 'knex';
import type { FeedEventRepository } from '../db/feed-event-repository.js';
import type { FeedEventRevisionRepository } from '../db/feed-event-revision-repository.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { FeedSyncRepository } from '../db/feed-sync-repository.js';
import { createHash } from 'node:crypto';
import type { FeedSyncItemRepository } from '../db/feed-sync-item-repository.js';
import { compareEvents } from '../db/feed-event-repository.js';
import {
  ALL_CALENDAR,
  type Feed,
  type FeedSyncStatus,
  type OmittedIssues,
  type RenderedFeed,
  type SyncBasis,
  type SyncKind,
} from '../domain/feed.js';
import {
  cutCount,
  itemsOf,
  omittedOf,
  itemRef,
  ownerRef,
  splitByWindow,
  withCut,
  withLookahead,
  type CutEvent,
  type SyncItem,
} from '../domain/sync-items.js';
import type { FeedEvent } from '../domain/feed-event.js';
import { issuesToRead, keepNearestIssues } from '../domain/issue-cap.js';
import { nearestFirst, SIZE_BUDGET_REASON } from '../domain/size-budget.js';
import { buildFeedEventsSliced, type BuildContext, type JiraIssueLike } from '../domain/event-rules.js';
import { applyRevisionsSliced, type EventRevision } from '../domain/event-revisions.js';
import { mapSliced } from '../domain/pause.js';
import { eventUidDomain } from '../domain/event-uids.js';
import { requiredJiraFields } from '../domain/feed-config.js';
import type { ActiveInstallation } from '../domain/installation.js';
import { compare } from '../domain/ordering.js';
import { AppError } from '../errors.js';
import type { JiraReader } from '../jira/jira-reader.js';
import { isJiraError } from '../jira/jira-error.js';
import { sleepFor } from '../jira/retry.js';
import { upstreamError } from '../jira/upstream-errors.js';
import type { Logger } from '../logger.js';
import type { AccessService } from './access-service.js';
import type { ErrorReporter } from './error-reporter.js';
import { FeedPublisher } from './feed-publisher.js';
import type { InstallationService } from './installation-service.js';
import type { JiraClients } from './jira-clients.js';
import { readIncrementally } from './incremental-read.js';
import { issueLike, readIssues } from './read-issues.js';
import { timeSlices } from './time-slices.js';

export type SyncOutcome =
  | { status: 'skipped'; reason: 'not-installed' | 'feed-gone' }
  | { status: 'deferred'; reason: 'site-busy' }
  | {
      status: 'ok';
      kind: SyncKind;
      issueCount: number;
      eventCount: number;
      omitted: number;
      capReached: boolean;
      rendered: boolean;
      jiraRequests: number;
      /** Issues read with every field the feed needs (an unchanged incremental sync reads none). */
      issuesFetched: number;
    }
  | { status: 'failed'; code: string; message: string; retryable: boolean; retryAfterMs?: number };

/**
 * One sync of one feed: run its JQL as the app user, keep only what the feed shows, and swap the
 * event set and its rendered bytes in a single transaction. A failure leaves the last good feed served.
 */
export class SyncService {
  constructor(
    private readonly deps: {
      knex: Knex;
      installations: InstallationService;
      feeds: FeedRepository;
      syncs: FeedSyncRepository;
      items: FeedSyncItemRepository;
      events: FeedEventRepository;
      revisions: FeedEventRevisionRepository;
      renders: FeedRenderRepository;
      publisher: FeedPublisher;
      jira: JiraClients;
      /** A sync "running" longer than this is taken to belong to a dead process. */
      /** A running sync beats every quarter of this; one silent this long is taken over. */
      heartbeatStaleMs: number;
      logger: Logger;
      reporter: ErrorReporter;
      access: AccessService;
      now: () => Date;
    },
  ) {}

  async syncFeed(clientKey: string, feedId: string, signal?: AbortSignal): Promise<SyncOutcome> {
    const installation = await this.deps.installations.findActive(clientKey);
    if (!installation) return { status: 'skipped', reason: 'not-installed' };
    const feed = await this.deps.feeds.findById(clientKey, feedId);
    if (!feed) return { status: 'skipped', reason: 'feed-gone' };

    const started = this.deps.now();
    const log = this.deps.logger.child({ clientKey, feedId });
    if (!(await this.deps.syncs.tryMarkRunning(clientKey, feedId, started, this.deps.heartbeatStaleMs))) {
      return { status: 'deferred', reason: 'site-busy' };
    }
    const heartbeat = setInterval(
      () => {
        this.deps.syncs.heartbeat(clientKey, feedId, started, this.deps.now()).catch((error: unknown) => {
          // A missed beat is harmless; a minute of them hands the sync to another process.
          log.warn({ err: error }, 'could not record the sync heartbeat');
        });
      },
      Math.max(500, this.deps.heartbeatStaleMs / 4),
    );
    heartbeat.unref();
    const requests = { count: 0 };
    try {
      const outcome = await this.run(installation, feed, started, requests, signal);
      log.info({ ...outcome, ms: this.deps.now().getTime() - started.getTime() }, 'feed synced');
      return outcome;
    } catch (error) {
      const failure = describeFailure(error);
      const finished = this.deps.now();
      // The database may be what failed: keep trying for a few seconds rather than leave the row "running".
      await retrying(() =>
        this.deps.syncs.markFailed(clientKey, feedId, {
          finishedAt: finished,
          durationMs: finished.getTime() - started.getTime(),
          code: failure.code,
          message: failure.message,
          // Quick retries of transient failures are the job queue's; the schedule itself moves on.
          nextSyncAt: new Date(started.getTime() + feed.config.syncIntervalMinutes * 60_000),
          jiraRequests: requests.count,
        }),
      );
      log[failure.retryable ? 'warn' : 'info'](
        { code: failure.code, err: error },
        'feed sync failed; last good feed kept',
      );
      if (failure.code === 'internal') await this.deps.reporter.report(clientKey, error, 'sync');
      return { status: 'failed', ...failure };
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async run(
    installation: ActiveInstallation,
    feed: Feed,
    started: Date,
    requests: { count: number },
    signal?: AbortSignal,
  ): Promise<SyncOutcome & { status: 'ok' }> {
    const run = await this.prepare(installation, feed, started, requests, signal);
    const incremental = await this.readIncremental(run);
    if (incremental && 'unchanged' in incremental)
      return this.finishUnchanged(run, incremental.unchanged, incremental.basis);
    let read = incremental ?? (await this.readFull(run));
    let settled = await this.settle(run, read);
    if (!settled) {
      // The fit wants an event of a sprint or version the budget cut: only a full read rebuilds it with certainty.
      read = await this.readFull(run);
      settled = await this.settle(run, read);
      if (!settled) throw new Error('a full read left events the size budget cut unread');
    }
    read = { ...read, items: settled.items, issuesFetched: read.issuesFetched + settled.issuesFetched };
    await this.store(run, read, settled);
    // Personal URLs show parts of the new event set; their bytes were dropped with the old set.
    if (settled.rendered) {
      await this.deps.access.recomputeFeed(installation, feed).catch((error: unknown) => {
        // The sync itself stands; personal URLs render lazily and the next access refresh retries.
        this.deps.logger.warn(
          { clientKey: feed.clientKey, feedId: feed.id, err: error },
          'could not refresh personal feed URLs',
        );
      });
    }
    return {
      status: 'ok',
      kind: read.kind,
      issueCount: read.issueCount,
      eventCount: settled.events.length,
      omitted: settled.omitted.count,
      capReached: read.capReached,
      rendered: settled.rendered !== null,
      jiraRequests: requests.count,
      issuesFetched: read.issuesFetched,
    };
  }

  /** What the sync works from: the query, the fields, and what the last sync left. */
  private async prepare(
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
    const jql = await this.resolveJql(client, feed);
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
  private async readIncremental(
    run: SyncRun,
  ): Promise<Read | { unchanged: FeedSyncStatus; basis: SyncBasis } | null> {
    const { feed, basis, status, ctx } = run;
    if (!basis || !status || !incrementalAllowed(basis, run.basisHash, status, ctx.now)) return null;
    const items = await this.deps.items.list(feed.clientKey, feed.id);
    // What the budget cut must all be ranked again, so a sync from before cuts were kept reads in full.
    const complete = cutCount(items) === (status.omitted?.byReason[SIZE_BUDGET_REASON] ?? 0);
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
    const built = await this.build(feed, incremental.fetched, ctx);
    const next = [...kept.items, ...itemsOf(feed.config, incremental.fetched, built.omissions)];
    return {
      kind: 'incremental',
      issueCount: incremental.memberCount,
      issuesFetched: incremental.fetched.length,
      events: [...kept.events, ...built.shown].sort(compareEvents),
      cut: kept.items.flatMap((item) => item.cut.map((event) => standIn(event, item))),
      shownUids: new Set(stored.map((event) => event.uid)),
      stored: { events: stored, items },
      omitted: omittedOf(next),
      capReached: false,
      items: next,
      windowChangeAt: new Date(Math.min(basis.windowChangeAt.getTime(), built.changesAt.getTime())),
      lastFullAt: basis.lastFullAt,
    };
  }

  /** Writes what changed (revisions, events, bytes, items) and the sync's status, in one transaction. */
  private async store(run: SyncRun, read: Read, settled: Settled): Promise<void> {
    const { feed, started } = run;
    const { clientKey } = feed;
    const { changed, dataHash, events, omitted, rendered } = settled;
    const finished = this.deps.now();
    await this.deps.knex.transaction(async (trx) => {
      if (changed.length > 0) await this.deps.revisions.save(clientKey, feed.id, changed, trx);
      const stored = read.stored;
      if (rendered) {
        if (stored)
          await this.deps.events.replaceSome(
            clientKey,
            feed.id,
            eventChange(stored.events, events),
            started,
            trx,
          );
        else await this.deps.events.replaceAll(clientKey, feed.id, events, started, trx);
        await this.deps.renders.save(clientKey, rendered, trx);
        await this.deps.renders.deleteVariantsExcept(clientKey, feed.id, ALL_CALENDAR, trx);
      }
      if (stored)
        await this.deps.items.replaceSome(clientKey, feed.id, itemChange(stored.items, read.items), trx);
      else await this.deps.items.replaceAll(clientKey, feed.id, read.items, trx);
      await this.deps.syncs.markSucceeded(
        clientKey,
        feed.id,
        {
          finishedAt: finished,
          durationMs: finished.getTime() - started.getTime(),
          issueCount: read.issueCount,
          eventCount: events.length,
          omitted,
          capReached: read.capReached,
          dataHash,
          nextSyncAt: nextSyncAt(run),
          kind: read.kind,
          jiraRequests: run.requests.count,
          issuesFetched: read.issuesFetched,
          basis: {
            hash: run.basisHash,
            watermarkAt: started,
            lastFullAt: read.lastFullAt,
            windowChangeAt: read.windowChangeAt,
          },
        },
        trx,
      );
    });
  }

  /**
   * The revised event set of `read`, what of it the size budget keeps, and the rendered bytes when anything
   * the feed shows changed. Null when the fit wants an event of a sprint or a version the budget cut (see
   * `fitWithRereads`): the caller reads in full.
   */
  private async settle(run: SyncRun, read: Read): Promise<Settled | null> {
    const { feed, ctx } = run;
    const previous = await this.deps.revisions.listByUid(feed.clientKey, feed.id);
    const pause = timeSlices();
    const revised = await applyRevisionsSliced(read.events, previous, ctx.now, pause);
    // Each event's hash, computed once: the data hash and what the budget cuts both need it.
    const hashes = new Map(read.cut.map((entry) => [entry.event, entry.hash]));
    const everything = [...revised.events, ...read.cut.map((entry) => entry.event)].sort(compareEvents);
    const dataHash = FeedPublisher.dataHashOf(
      feed,
      await mapSliced(everything, pause, (event) => {
        let hash = hashes.get(event);
        if (hash === undefined) hashes.set(event, (hash = FeedPublisher.eventHash(event)));
        return hash;
      }),
    );
    if (run.status?.dataHash === dataHash && run.servedHash === dataHash)
      return this.settleUnchanged(run, read, revised, hashes, dataHash);

    const fitted = await this.fitWithRereads(run, read, revised.events, previous);
    if (!fitted) return null;
    const items = withCut(
      read.items,
      fitted.dropped.map((event) => cutOf(event, hashes)),
      fitted.dropped.map(ownerRef),
    );
    if (!items) return null;
    return {
      changed: [...revised.changed, ...fitted.changed],
      dataHash,
      events: fitted.events,
      rendered: await this.deps.publisher.fromText(
        feed,
        ALL_CALENDAR,
        fitted.text,
        fitted.events.length,
        dataHash,
      ),
      items,
      issuesFetched: fitted.issuesFetched,
      omitted: withBudgetCut(read.omitted, fitted.dropped),
    };
  }

  /** Unchanged data leaves the stored event set (and what the budget cut) as it was: nothing is rendered. */
  private async settleUnchanged(
    run: SyncRun,
    read: Read,
    revised: { events: FeedEvent[]; changed: EventRevision[] },
    hashes: ReadonlyMap<FeedEvent, string>,
    dataHash: string,
  ): Promise<Settled | null> {
    const { feed, status } = run;
    const shown =
      read.shownUids ??
      ((status?.omitted?.byReason[SIZE_BUDGET_REASON] ?? 0) > 0
        ? new Set((await this.deps.events.list(feed.clientKey, feed.id)).map((event) => event.uid))
        : null);
    const events = shown ? revised.events.filter((event) => shown.has(event.uid)) : revised.events;
    const dropped = [
      ...(shown ? revised.events.filter((event) => !shown.has(event.uid)) : []),
      ...read.cut.map((entry) => entry.event),
    ];
    const items = withCut(
      read.items,
      dropped.map((event) => cutOf(event, hashes)),
      dropped.map(ownerRef),
    );
    if (!items) return null;
    const omitted = keptBudgetCut(read.omitted, status?.omitted ?? null);
    return { changed: revised.changed, dataHash, events, rendered: null, items, issuesFetched: 0, omitted };
  }

  /**
   * The size budget's fit of `events` and of the events it cut last time, which are known by rank only:
   * when the fit wants one of those, its issue is read again (up to 100 a request) and the fit runs again.
   * Null when such an event is a sprint's or a version's (rebuilt only from all their issues) or its issue
   * is gone.
   */
  private async fitWithRereads(
    run: SyncRun,
    read: Read,
    events: FeedEvent[],
    previous: ReadonlyMap<string, EventRevision>,
  ): Promise<(Fitted & { changed: EventRevision[]; issuesFetched: number }) | null> {
    const { feed, ctx } = run;
    const { maxBytes } = feed.config.sizeBudget;
    let full = events;
    let cut = read.cut;
    const changed: EventRevision[] = [];
    let issuesFetched = 0;
    for (;;) {
      if (cut.length === 0) {
        const fitted = await this.deps.publisher.fitToBudget(feed, full, ctx.now);
        return { ...fitted, changed, issuesFetched };
      }
      if (maxBytes === null) return null;
      const standIns = new Set(cut.map((entry) => entry.event));
      const ranked = nearestFirst([...full, ...standIns], ctx.now);
      const firstCut = ranked.findIndex((event) => standIns.has(event));
      // Every event ranked before the first cut one is at hand: fit those, counting the rest as left out.
      const candidates = ranked.slice(0, firstCut).sort(compareEvents);
      const fit = await this.deps.publisher.fitToBudget(feed, candidates, ctx.now, ranked.length - firstCut);
      if (fit.events.length < candidates.length)
        return { ...fit, dropped: [...fit.dropped, ...ranked.slice(firstCut)], changed, issuesFetched };
      // All of them fit, so the fit may want more: read again the issues of the nearest cut events, about as
      // many as the room left holds at the average size of an event.
      const textBytes = Buffer.byteLength(fit.text, 'utf8');
      const perEvent = candidates.length > 0 ? textBytes / candidates.length : textBytes;
      const room = Math.ceil((maxBytes - textBytes) / Math.max(1, perEvent)) + 1;
      const wanted = nearestCutIssues(ranked.slice(firstCut), standIns, Math.min(REREAD_BATCH, room));
      if (!wanted) return null;
      const reread = await this.reread(run, wanted, previous);
      if (!reread) return null;
      issuesFetched += reread.fetched;
      changed.push(...reread.changed);
      const isWanted = (event: FeedEvent) => event.issueId !== null && wanted.has(event.issueId);
      full = [...full.filter((event) => !(event.kind === 'issue' && isWanted(event))), ...reread.events].sort(
        compareEvents,
      );
      cut = cut.filter((entry) => !isWanted(entry.event));
    }
  }

  /** The issues' events built again from Jira, revised; null when Jira no longer shows one of them. */
  private async reread(
    run: SyncRun,
    wanted: ReadonlySet<string>,
    previous: ReadonlyMap<string, EventRevision>,
  ): Promise<{ events: FeedEvent[]; changed: EventRevision[]; fetched: number } | null> {
    const issues = await run.client.bulkFetch([...wanted], run.fields, run.signal);
    if (issues.length < wanted.size) return null;
    const built = await this.build(run.feed, issues.map(issueLike), run.ctx);
    const own = built.shown.filter(
      (event) => event.kind === 'issue' && event.issueId !== null && wanted.has(event.issueId),
    );
    const revised = await applyRevisionsSliced(own, previous, run.ctx.now, timeSlices());
    return { ...revised, fetched: issues.length };
  }

  /** Nothing the feed shows changed: the stored events, bytes and items stand; only the status moves on. */
  private async finishUnchanged(
    run: SyncRun,
    status: FeedSyncStatus,
    basis: SyncBasis,
  ): Promise<SyncOutcome & { status: 'ok' }> {
    const { feed, started } = run;
    const finished = this.deps.now();
    const omitted = status.omitted ?? { count: 0, byReason: {}, examples: [] };
    await this.deps.knex.transaction(async (trx) => {
      await this.deps.syncs.markSucceeded(
        feed.clientKey,
        feed.id,
        {
          finishedAt: finished,
          durationMs: finished.getTime() - started.getTime(),
          issueCount: status.issueCount ?? 0,
          eventCount: status.eventCount ?? 0,
          omitted,
          capReached: status.capReached,
          dataHash: status.dataHash ?? '',
          nextSyncAt: nextSyncAt(run),
          kind: 'incremental',
          jiraRequests: run.requests.count,
          issuesFetched: 0,
          basis,
        },
        trx,
      );
    });
    return {
      status: 'ok',
      kind: 'incremental',
      issueCount: status.issueCount ?? 0,
      eventCount: status.eventCount ?? 0,
      omitted: omitted.count,
      capReached: status.capReached,
      rendered: false,
      jiraRequests: run.requests.count,
      issuesFetched: 0,
    };
  }

  private async readFull(run: SyncRun): Promise<Read> {
    const { feed, ctx } = run;
    const fetched = await readIssues(run.client, {
      jql: run.jql,
      fields: run.fields,
      limit: issuesToRead(feed.config.issueCap),
      ...(run.signal ? { signal: run.signal } : {}),
      onPage: (count) => this.deps.syncs.recordProgress(feed.clientKey, feed.id, count),
    });
    let issues = fetched.issues;
    let built = await this.build(feed, issues, ctx);
    if (issues.length > feed.config.issueCap) {
      // Over the cap, the issues kept are those whose events are nearest to today, not Jira's first ones.
      issues = keepNearestIssues(issues, built.shown, feed.config.issueCap, ctx.now);
      built = await this.build(feed, issues, ctx);
    }
    return {
      kind: 'full',
      cut: [],
      shownUids: null,
      stored: null,
      issueCount: issues.length,
      issuesFetched: fetched.issues.length,
      events: built.shown,
      omitted: built.omitted,
      capReached: fetched.more || fetched.issues.length > feed.config.issueCap,
      items: itemsOf(feed.config, issues, built.omissions),
      windowChangeAt: built.changesAt,
      lastFullAt: run.started,
    };
  }

  /**
   * The feed's events from `issues`, built a little further ahead than the window so the sync knows when
   * the window next changes what it shows; the build yields to the event loop between chunks of issues.
   */
  private async build(feed: Feed, issues: JiraIssueLike[], ctx: BuildContext) {
    const built = await buildFeedEventsSliced(withLookahead(feed.config), issues, ctx, timeSlices());
    const split = splitByWindow(built.events, feed.config.window, feed.config.timeZone, ctx.now);
    return { ...built, ...split };
  }

  private async resolveJql(client: JiraReader, feed: Feed): Promise<string> {
    if (feed.config.source.type === 'jql') return feed.config.source.jql;
    const filter = await client.getFilter(feed.config.source.filterId);
    return filter.jql;
  }
}

const DAY_MS = 86_400_000;

/** One sync's inputs: the feed, its Jira client and query, and what the last sync left. */
type SyncRun = {
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

type Fitted = { events: FeedEvent[]; dropped: FeedEvent[]; text: string };

function nextSyncAt(run: SyncRun): Date {
  return new Date(run.started.getTime() + run.feed.config.syncIntervalMinutes * 60_000);
}

/**
 * The issues of the cut events nearest to today (`ranked` is nearest first), at most `batch` of them; null
 * when one of those events is a sprint's or a version's, which only a full read rebuilds.
 */
function nearestCutIssues(
  ranked: readonly FeedEvent[],
  standIns: ReadonlySet<FeedEvent>,
  batch: number,
): Set<string> | null {
  const wanted = new Set<string>();
  for (const event of ranked) {
    if (!standIns.has(event)) continue;
    if (event.kind !== 'issue' || event.issueId === null) return null;
    wanted.add(event.issueId);
    if (wanted.size >= Math.max(1, batch)) break;
  }
  return wanted;
}

type Read = {
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

type Settled = {
  changed: EventRevision[];
  dataHash: string;
  events: FeedEvent[];
  rendered: RenderedFeed | null;
  items: SyncItem[];
  /** Issues read again because the fit wanted one of their cut events. */
  issuesFetched: number;
  omitted: OmittedIssues;
};

/** Issues read again in one request when the fit wants events it only knows the rank of. */
const REREAD_BATCH = 100;

/**
 * A cut event as the fit ranks it and the status names it: its UID and dates, the rest empty. Never
 * rendered: the fit reads its issue again before keeping it.
 */
function standIn(cut: CutEvent, owner: SyncItem): { event: FeedEvent; hash: string } {
  const event: FeedEvent = {
    uid: cut.uid,
    kind: owner.kind,
    ruleId: '',
    issueId: owner.kind === 'issue' ? owner.id : null,
    issueKey: owner.kind === 'issue' ? owner.key : null,
    projectIds: [],
    allDay: cut.allDay,
    start: cut.start,
    end: cut.end,
    summary: owner.kind === 'issue' ? owner.key : `${owner.kind} ${owner.id}`,
    description: '',
    url: null,
    categories: [],
    transparent: false,
    alarmMinutesBefore: null,
    resolved: false,
    stamp: '',
    sequence: 0,
    userAccountIds: [],
  };
  return { event, hash: cut.hash };
}

/** What turns the stored events `before` into `after`: the UIDs to delete (gone or changed) and the events to add. */
function eventChange(before: readonly FeedEvent[], after: readonly FeedEvent[]) {
  const was = new Map(before.map((event) => [event.uid, FeedPublisher.eventHash(event)]));
  const events = after.filter((event) => was.get(event.uid) !== FeedPublisher.eventHash(event));
  const staying = new Set(after.map((event) => event.uid));
  const removeUids = [
    ...before.filter((event) => !staying.has(event.uid)).map((event) => event.uid),
    ...events.filter((event) => was.has(event.uid)).map((event) => event.uid),
  ];
  return { removeUids, events };
}

/** What turns the stored items `before` into `after`: the items to delete (gone or changed) and those to add. */
function itemChange(before: readonly SyncItem[], after: readonly SyncItem[]) {
  const was = new Map(before.map((item) => [itemRef(item), canonical(item)]));
  const items = after.filter((item) => was.get(itemRef(item)) !== canonical(item));
  const staying = new Set(after.map(itemRef));
  const remove = [
    ...before.filter((item) => !staying.has(itemRef(item))),
    ...items.filter((item) => was.has(itemRef(item))),
  ];
  return { remove, items };
}

/** JSON with every object's keys in order (jsonb keeps its own order). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => compare(a, b)))
      : inner,
  );
}

function cutOf(event: FeedEvent, known: ReadonlyMap<FeedEvent, string>): CutEvent {
  const hash = known.get(event) ?? FeedPublisher.eventHash(event);
  return { uid: event.uid, allDay: event.allDay, start: event.start, end: event.end, hash };
}

/**
 * Whether the items the last good sync left can be trusted: read with this configuration, a full read
 * within a day (the safety pass), the window not yet due to change, and nothing cut by the cap (what the
 * size budget cut is kept by rank, see `CutEvent`).
 */
function incrementalAllowed(
  basis: SyncBasis | null,
  hash: string,
  status: FeedSyncStatus | null,
  now: Date,
): boolean {
  if (!basis || !status || basis.hash !== hash) return false;
  if (now.getTime() - basis.lastFullAt.getTime() >= DAY_MS || now >= basis.windowChangeAt) return false;
  return !status.capReached;
}

const MAX_BUDGET_EXAMPLES = 20;

/** The omissions of a sync plus the events the size budget left out, farthest from today last. */
function withBudgetCut(omitted: OmittedIssues, dropped: FeedEvent[]): OmittedIssues {
  if (dropped.length === 0) return omitted;
  const examples = [...omitted.examples];
  for (const event of dropped.slice(0, MAX_BUDGET_EXAMPLES)) {
    examples.push({ issueKey: event.issueKey ?? event.summary, reason: SIZE_BUDGET_REASON });
  }
  return {
    count: omitted.count + dropped.length,
    byReason: {
      ...omitted.byReason,
      [SIZE_BUDGET_REASON]: (omitted.byReason[SIZE_BUDGET_REASON] ?? 0) + dropped.length,
    },
    examples,
  };
}

/** An unchanged sync still reports what the size budget left out at the last render. */
function keptBudgetCut(omitted: OmittedIssues, before: OmittedIssues | null): OmittedIssues {
  const dropped = before?.byReason[SIZE_BUDGET_REASON] ?? 0;
  if (!before || dropped === 0) return omitted;
  return {
    count: omitted.count + dropped,
    byReason: { ...omitted.byReason, [SIZE_BUDGET_REASON]: dropped },
    examples: [
      ...omitted.examples,
      ...before.examples.filter((example) => example.reason === SIZE_BUDGET_REASON),
    ],
  };
}

/** Runs `work` up to five times over about 8 s (0.5, 1, 2, 4 s apart), rethrowing the last failure. */
async function retrying<T>(work: () => Promise<T>, attempts = 5, firstDelayMs = 500): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleepFor(firstDelayMs * 2 ** (attempt - 1));
    }
  }
}

function describeFailure(error: unknown): {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
} {
  if (isJiraError(error)) error = upstreamError(error);
  if (error instanceof AppError) {
    const failure = { code: error.code, message: error.message, retryable: error.retryable };
    return error.retryAfterSeconds === undefined
      ? failure
      : { ...failure, retryAfterMs: error.retryAfterSeconds * 1000 };
  }
  return {
    code: 'internal',
    message: 'The sync failed on our side; it has been logged and will be retried',
    retryable: true,
  };
}
