import { compareEvents, type FeedEventRepository } from '../db/feed-event-repository.js';
import type { FeedEventRevisionRepository } from '../db/feed-event-revision-repository.js';
import { applyRevisionsSliced, type EventRevision } from '../domain/event-revisions.js';
import type { FeedEvent } from '../domain/feed-event.js';
import { ALL_CALENDAR, type OmittedIssues, type RenderedFeed } from '../domain/feed.js';
import { mapSliced } from '../domain/pause.js';
import {
  keptBudgetCut,
  nearestCutIssues,
  nearestFirst,
  SIZE_BUDGET_REASON,
  withBudgetCut,
} from '../domain/size-budget.js';
import { cutEventOf, ownerRef, withCut, type SyncItem } from '../domain/sync-items.js';
import { isTombstone, tombstonesOf, type Tombstones } from '../domain/tombstones.js';
import { FeedPublisher } from './feed-publisher.js';
import { issueLike } from './read-issues.js';
import { buildEvents, type Read, type SyncRun } from './sync-reader.js';
import { timeSlices } from './time-slices.js';

/** A read settled: revised, fitted to the size budget and, when anything the feed shows changed, rendered. */
export type Settled = {
  changed: EventRevision[];
  dataHash: string;
  events: FeedEvent[];
  rendered: RenderedFeed | null;
  items: SyncItem[];
  /** Issues read again because the fit wanted one of their cut events. */
  issuesFetched: number;
  omitted: OmittedIssues;
  /** When the first cancelled event of a removed issue is due to drop out. */
  tombstonesExpireAt: Date | null;
};

type Fitted = { events: FeedEvent[]; dropped: FeedEvent[]; text: string };
type Revised = { events: FeedEvent[]; changed: EventRevision[] };

/** Issues read again in one request when the fit wants events it only knows the rank of. */
const REREAD_BATCH = 100;

/** Settles what a sync read with the event revisions and the feed's size budget. */
export class SyncSettler {
  constructor(
    private readonly deps: {
      events: FeedEventRepository;
      revisions: FeedEventRevisionRepository;
      publisher: FeedPublisher;
    },
  ) {}

  /**
   * The revised event set of `read`, what of it the size budget keeps, and the rendered bytes when anything
   * the feed shows changed. Null when the fit wants an event of a sprint or a version the budget cut (see
   * `fitWithRereads`): the caller reads in full.
   */
  async settle(run: SyncRun, read: Read): Promise<Settled | null> {
    const { feed, ctx } = run;
    const previous = await this.deps.revisions.listByUid(feed.clientKey, feed.id);
    const pause = timeSlices();
    const tombstones = await this.tombstones(run, read);
    const shown = [...read.events.filter((event) => !isTombstone(event)), ...tombstones.events];
    const revised = await applyRevisionsSliced(shown.sort(compareEvents), previous, ctx.now, pause);
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
    if (run.status?.dataHash === dataHash && run.servedHash === dataHash) {
      const unchanged = await this.settleUnchanged(run, read, revised, hashes, dataHash);
      return unchanged && { ...unchanged, tombstonesExpireAt: tombstones.expiresAt };
    }

    const fitted = await this.fitWithRereads(run, read, revised.events, previous);
    if (!fitted) return null;
    const items = withCutEvents(read.items, fitted.dropped, hashes);
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
      omitted: withBudgetCut(
        read.omitted,
        fitted.dropped.filter((event) => !isTombstone(event)),
      ),
      tombstonesExpireAt: tombstones.expiresAt,
    };
  }

  /** The cancelled events of issues that left the feed, when the feed keeps them (`removedIssues`). */
  private async tombstones(run: SyncRun, read: Read): Promise<Tombstones> {
    const { feed, ctx } = run;
    if (feed.config.removedIssues.mode === 'drop') return { events: [], expiresAt: null };
    const stored = read.stored?.events ?? (await this.deps.events.list(feed.clientKey, feed.id));
    const members = new Set(read.items.filter((item) => item.kind === 'issue').map((item) => item.id));
    return tombstonesOf(feed.config, stored, members, ctx.now);
  }

  /** Unchanged data leaves the stored event set (and what the budget cut) as it was: nothing is rendered. */
  private async settleUnchanged(
    run: SyncRun,
    read: Read,
    revised: Revised,
    hashes: ReadonlyMap<FeedEvent, string>,
    dataHash: string,
  ): Promise<Omit<Settled, 'tombstonesExpireAt'> | null> {
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
    const items = withCutEvents(read.items, dropped, hashes);
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
  ): Promise<(Revised & { fetched: number }) | null> {
    const issues = await run.client.bulkFetch([...wanted], run.fields, run.signal);
    if (issues.length < wanted.size) return null;
    const built = await buildEvents(run.feed, issues.map(issueLike), run.ctx);
    const own = built.shown.filter(
      (event) => event.kind === 'issue' && event.issueId !== null && wanted.has(event.issueId),
    );
    const revised = await applyRevisionsSliced(own, previous, run.ctx.now, timeSlices());
    return { ...revised, fetched: issues.length };
  }
}

/** `items` with the `dropped` events recorded as cut by their owners; null when one belongs to no item. */
function withCutEvents(
  items: readonly SyncItem[],
  dropped: readonly FeedEvent[],
  hashes: ReadonlyMap<FeedEvent, string>,
): SyncItem[] | null {
  // A cancelled event the budget cuts is gone for good: its issue is no item the next sync could read again.
  const cut = dropped.filter((event) => !isTombstone(event));
  return withCut(
    items,
    cut.map((event) => cutEventOf(event, hashes.get(event) ?? FeedPublisher.eventHash(event))),
    cut.map(ownerRef),
  );
}
