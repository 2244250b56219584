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
import { readIssues } from './read-issues.js';
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
    const status = await this.deps.syncs.find(clientKey, feed.id);
    const basis = await this.deps.syncs.findBasis(clientKey, feed.id);
    const existing = await this.deps.renders.findMeta(clientKey, feed.id, ALL_CALENDAR);

    let read: Read | null = null;
    if (incrementalAllowed(basis, basisHash, status, now) && basis && status) {
      const items = await this.deps.items.list(clientKey, feed.id);
      // What the budget cut must all be ranked again, so a sync from before cuts were kept reads in full.
      const complete = cutCount(items) === (status.omitted?.byReason[SIZE_BUDGET_REASON] ?? 0);
      const incremental =
        complete && (items.length > 0 || status.issueCount === 0)
          ? await readIncrementally(client, {
              jql,
              fields,
              config: feed.config,
              items,
              watermarkAt: basis.watermarkAt,
              now,
              cap: feed.config.issueCap,
              ...(signal ? { signal } : {}),
            })
          : null;
      if (incremental && !incremental.changed && status.dataHash && existing?.dataHash === status.dataHash) {
        return this.finishUnchanged(
          clientKey,
          feed,
          started,
          status,
          { ...basis, watermarkAt: started },
          requests.count,
        );
      }
      if (incremental) {
        const stored = await this.deps.events.list(clientKey, feed.id);
        const kept = incremental.keep(stored);
        const built = await this.build(feed, incremental.fetched, ctx);
        const next = [...kept.items, ...itemsOf(feed.config, incremental.fetched, built.omissions)];
        read = {
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
    }
    read ??= await this.readFull(client, clientKey, feed, jql, fields, ctx, started, signal);
    const settle = (of: Read) =>
      this.settle(client, feed, of, status, existing?.dataHash ?? null, fields, ctx, signal);
    let settled = await settle(read);
    if (!settled) {
      // The fit wants an event of a sprint or version the budget cut: only a full read rebuilds it with certainty.
      read = await this.readFull(client, clientKey, feed, jql, fields, ctx, started, signal);
      settled = await settle(read);
      if (!settled) throw new Error('a full read left events the size budget cut unread');
    }
    const { changed, dataHash, events, omitted, rendered } = settled;
    read = { ...read, items: settled.items, issuesFetched: read.issuesFetched + settled.issuesFetched };

    const finished = this.deps.now();
    await this.deps.knex.transaction(async (trx) => {
      if (changed.length > 0) await this.deps.revisions.save(clientKey, feed.id, changed, trx);
      const stored = read.stored;
      if (rendered) {
        if (stored)
          await this.deps.events.replaceSome(clientKey, feed.id, eventChange(stored.events, events), trx);
        else await this.deps.events.replaceAll(clientKey, feed.id, events, trx);
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
          nextSyncAt: new Date(started.getTime() + feed.config.syncIntervalMinutes * 60_000),
          kind: read.kind,
          jiraRequests: requests.count,
          issuesFetched: read.issuesFetched,
          basis: {
            hash: basisHash,
            watermarkAt: started,
            lastFullAt: read.lastFullAt,
            windowChangeAt: read.windowChangeAt,
          },
        },
        trx,
      );
    });
    // Personal URLs show parts of the new event set; their bytes were dropped with the old set.
    if (rendered) {
      await this.deps.access.recomputeFeed(installation, feed).catch((error: unknown) => {
        // The sync itself stands; personal URLs render lazily and the next access refresh retries.
        this.deps.logger.warn(
          { clientKey, feedId: feed.id, err: error },
          'could not refresh personal feed URLs',
        );
      });
    }
    return {
      status: 'ok',
      kind: read.kind,
      issueCount: read.issueCount,
      eventCount: events.length,
      omitted: omitted.count,
      capReached: read.capReached,
      rendered: rendered !== null,
      jiraRequests: requests.count,
      issuesFetched: read.issuesFetched,
    };
  }

  /**
   * The revised event set of `read`, what of it the size budget keeps, and the rendered bytes when anything
   * the feed shows changed. The budget's cuts are ranked with the events read; when the fit wants an event it
   * only knows the rank of, that issue is read again (100 a request). Null when such an event is a sprint's or
   * a version's: those are rebuilt from all their issues, so the caller reads in full.
   */
  private async settle(
    client: JiraReader,
    feed: Feed,
    read: Read,
    status: FeedSyncStatus | null,
    servedHash: string | null,
    fields: string[],
    ctx: BuildContext,
    signal: AbortSignal | undefined,
  ): Promise<Settled | null> {
    const clientKey = feed.clientKey;
    const previous = await this.deps.revisions.listByUid(clientKey, feed.id);
    const pause = timeSlices();
    const revised = await applyRevisionsSliced(read.events, previous, ctx.now, pause);
    const changed = [...revised.changed];
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

    if (status?.dataHash === dataHash && servedHash === dataHash) {
      // Unchanged data left the stored event set (and what the budget cut) as it was.
      const shown =
        read.shownUids ??
        ((status.omitted?.byReason[SIZE_BUDGET_REASON] ?? 0) > 0
          ? new Set((await this.deps.events.list(clientKey, feed.id)).map((event) => event.uid))
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
      const omitted = keptBudgetCut(read.omitted, status.omitted ?? null);
      return { changed, dataHash, events, rendered: null, items, issuesFetched: 0, omitted };
    }

    let full = revised.events;
    let cut = read.cut;
    let issuesFetched = 0;
    let fitted: { events: FeedEvent[]; dropped: FeedEvent[]; text: string };
    for (;;) {
      if (cut.length === 0) {
        fitted = await this.deps.publisher.fitToBudget(feed, full, ctx.now);
        break;
      }
      if (feed.config.sizeBudget.maxBytes === null) return null;
      const standIns = new Set(cut.map((entry) => entry.event));
      const ranked = nearestFirst([...full, ...standIns], ctx.now);
      const firstCut = ranked.findIndex((event) => standIns.has(event));
      // Every event ranked before the first cut one is at hand: fit those, counting the rest as left out.
      const candidates = ranked.slice(0, firstCut).sort(compareEvents);
      const fit = await this.fitAmong(feed, candidates, ranked.length - firstCut, ctx.now);
      if (fit.events.length < candidates.length) {
        fitted = { ...fit, dropped: [...fit.dropped, ...ranked.slice(firstCut)] };
        break;
      }
      // All of them fit, so the fit may want more: read again the issues of the nearest cut events, about as
      // many as the room left holds at the average size of an event.
      const textBytes = Buffer.byteLength(fit.text, 'utf8');
      const perEvent = candidates.length > 0 ? textBytes / candidates.length : textBytes;
      const room = Math.ceil((feed.config.sizeBudget.maxBytes - textBytes) / Math.max(1, perEvent)) + 1;
      const batch = Math.min(REREAD_BATCH, Math.max(1, room));
      const wanted = new Set<string>();
      for (const event of ranked.slice(firstCut)) {
        if (!standIns.has(event)) continue;
        if (event.kind !== 'issue' || event.issueId === null) return null;
        wanted.add(event.issueId);
        if (wanted.size >= batch) break;
      }
      const issues = await client.bulkFetch([...wanted], fields, signal);
      if (issues.length < wanted.size) return null;
      issuesFetched += issues.length;
      const built = await this.build(
        feed,
        issues.map((issue) => ({ id: issue.id, key: issue.key ?? issue.id, fields: issue.fields ?? {} })),
        ctx,
      );
      const own = built.shown.filter(
        (event) => event.kind === 'issue' && event.issueId !== null && wanted.has(event.issueId),
      );
      const reread = await applyRevisionsSliced(own, previous, ctx.now, pause);
      changed.push(...reread.changed);
      full = [
        ...full.filter(
          (event) => !(event.kind === 'issue' && event.issueId !== null && wanted.has(event.issueId)),
        ),
        ...reread.events,
      ].sort(compareEvents);
      cut = cut.filter((entry) => !(entry.event.issueId !== null && wanted.has(entry.event.issueId)));
    }
    const items = withCut(
      read.items,
      fitted.dropped.map((event) => cutOf(event, hashes)),
      fitted.dropped.map(ownerRef),
    );
    if (!items) return null;
    return {
      changed,
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
      issuesFetched,
      omitted: withBudgetCut(read.omitted, fitted.dropped),
    };
  }

  /**
   * Like `fitToBudget`, over the events at hand when `beyond` more (ranked after all of them) are not:
   * the note counts those as left out too.
   */
  private fitAmong(
    feed: Feed,
    events: FeedEvent[],
    beyond: number,
    now: Date,
  ): Promise<{ events: FeedEvent[]; dropped: FeedEvent[]; text: string }> {
    return this.deps.publisher.fitToBudget(feed, events, now, beyond);
  }

  /** Nothing the feed shows changed: the stored events, bytes and items stand; only the status moves on. */
  private async finishUnchanged(
    clientKey: string,
    feed: Feed,
    started: Date,
    status: FeedSyncStatus,
    basis: SyncBasis,
    jiraRequests: number,
  ): Promise<SyncOutcome & { status: 'ok' }> {
    const finished = this.deps.now();
    const omitted = status.omitted ?? { count: 0, byReason: {}, examples: [] };
    await this.deps.knex.transaction(async (trx) => {
      await this.deps.syncs.markSucceeded(
        clientKey,
        feed.id,
        {
          finishedAt: finished,
          durationMs: finished.getTime() - started.getTime(),
          issueCount: status.issueCount ?? 0,
          eventCount: status.eventCount ?? 0,
          omitted,
          capReached: status.capReached,
          dataHash: status.dataHash ?? '',
          nextSyncAt: new Date(started.getTime() + feed.config.syncIntervalMinutes * 60_000),
          kind: 'incremental',
          jiraRequests,
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
      jiraRequests,
      issuesFetched: 0,
    };
  }

  private async readFull(
    client: JiraReader,
    clientKey: string,
    feed: Feed,
    jql: string,
    fields: string[],
    ctx: BuildContext,
    started: Date,
    signal: AbortSignal | undefined,
  ): Promise<Read> {
    const fetched = await readIssues(client, {
      jql,
      fields,
      limit: issuesToRead(feed.config.issueCap),
      ...(signal ? { signal } : {}),
      onPage: (count) => this.deps.syncs.recordProgress(clientKey, feed.id, count),
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
      lastFullAt: started,
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
