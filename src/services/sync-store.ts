import type { Knex } from 'knex';
import type { FeedEventRepository } from '../db/feed-event-repository.js';
import type { FeedEventRevisionRepository } from '../db/feed-event-revision-repository.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { FeedSyncDayRepository } from '../db/feed-sync-day-repository.js';
import type { FeedSyncItemRepository } from '../db/feed-sync-item-repository.js';
import type { FeedSyncRepository, SyncSuccess } from '../db/feed-sync-repository.js';
import { ALL_CALENDAR, type FeedSyncStatus, type SyncBasis } from '../domain/feed.js';
import { nextSyncAt } from '../domain/sync-basis.js';
import { eventChange, itemChange } from '../domain/sync-changes.js';
import { FeedPublisher } from './feed-publisher.js';
import type { Read, SyncRun } from './sync-reader.js';
import type { Settled } from './sync-settler.js';

/** What a good sync found: its status row and its outcome are both made from this. */
export type SyncFindings = Pick<
  SyncSuccess,
  'kind' | 'issueCount' | 'eventCount' | 'omitted' | 'capReached' | 'dataHash' | 'issuesFetched'
> & { basis: SyncBasis; rendered: boolean };

/** Stores a good sync: what changed of its events, bytes and items, and its status, in one transaction. */
export class SyncStore {
  constructor(
    private readonly deps: {
      knex: Knex;
      syncs: FeedSyncRepository;
      syncDays: FeedSyncDayRepository;
      items: FeedSyncItemRepository;
      events: FeedEventRepository;
      revisions: FeedEventRevisionRepository;
      renders: FeedRenderRepository;
      now: () => Date;
    },
  ) {}

  /** Writes what changed (revisions, events, bytes, items) and the sync's status. */
  async store(run: SyncRun, read: Read, settled: Settled): Promise<SyncFindings> {
    const { feed, started } = run;
    const { clientKey } = feed;
    const { changed, events, rendered } = settled;
    const finished = this.deps.now();
    const findings: SyncFindings = {
      kind: read.kind,
      issueCount: read.issueCount,
      eventCount: events.length,
      omitted: settled.omitted,
      capReached: read.capReached,
      dataHash: settled.dataHash,
      issuesFetched: read.issuesFetched,
      basis: {
        hash: run.basisHash,
        watermarkAt: started,
        lastFullAt: read.lastFullAt,
        // A tombstone due to expire ends the incremental reads like the window does: a full read drops it.
        windowChangeAt: new Date(
          Math.min(read.windowChangeAt.getTime(), settled.tombstonesExpireAt?.getTime() ?? Infinity),
        ),
      },
      rendered: rendered !== null,
    };
    await this.deps.knex.transaction(async (trx) => {
      if (changed.length > 0) await this.deps.revisions.save(clientKey, feed.id, changed, trx);
      const stored = read.stored;
      if (rendered) {
        if (stored) {
          const change = eventChange(stored.events, events, (event) => FeedPublisher.eventHash(event));
          await this.deps.events.replaceSome(clientKey, feed.id, change, started, trx);
        } else await this.deps.events.replaceAll(clientKey, feed.id, events, started, trx);
        await this.deps.renders.save(clientKey, rendered, trx);
        await this.deps.renders.deleteVariantsExcept(clientKey, feed.id, ALL_CALENDAR, trx);
      }
      if (stored)
        await this.deps.items.replaceSome(clientKey, feed.id, itemChange(stored.items, read.items), trx);
      else await this.deps.items.replaceAll(clientKey, feed.id, read.items, trx);
      await this.markSucceeded(run, findings, finished, trx);
    });
    return findings;
  }

  /** Nothing the feed shows changed: the stored events, bytes and items stand; only the status moves on. */
  async storeUnchanged(run: SyncRun, status: FeedSyncStatus, basis: SyncBasis): Promise<SyncFindings> {
    const finished = this.deps.now();
    const findings: SyncFindings = {
      kind: 'incremental',
      issueCount: status.issueCount ?? 0,
      eventCount: status.eventCount ?? 0,
      omitted: status.omitted ?? { count: 0, byReason: {}, examples: [] },
      capReached: status.capReached,
      dataHash: status.dataHash ?? '',
      issuesFetched: 0,
      basis,
      rendered: false,
    };
    await this.deps.knex.transaction((trx) => this.markSucceeded(run, findings, finished, trx));
    return findings;
  }

  /** The status row of a good sync, the one place it is made, and the requests it made that day. */
  private async markSucceeded(
    run: SyncRun,
    findings: SyncFindings,
    finished: Date,
    trx: Knex.Transaction,
  ): Promise<void> {
    await this.deps.syncs.markSucceeded(
      run.feed.clientKey,
      run.feed.id,
      {
        finishedAt: finished,
        durationMs: finished.getTime() - run.started.getTime(),
        issueCount: findings.issueCount,
        eventCount: findings.eventCount,
        omitted: findings.omitted,
        capReached: findings.capReached,
        dataHash: findings.dataHash,
        nextSyncAt: nextSyncAt(run.started, run.feed.config),
        kind: findings.kind,
        jiraRequests: run.requests.count,
        issuesFetched: findings.issuesFetched,
        basis: findings.basis,
      },
      trx,
    );
    await this.deps.syncDays.countRequests(
      run.feed.clientKey,
      run.feed.id,
      finished,
      run.requests.count,
      trx,
    );
  }
}
