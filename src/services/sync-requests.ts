import type { FeedSyncRepository } from '../db/feed-sync-repository.js';
import type { SyncQueue } from './feed-service.js';

/**
 * The one way a use case asks for a feed to sync now: queued unless a live sync is already on it (a
 * silent one is taken over), and enqueued once.
 */
export class SyncRequests {
  constructor(
    private readonly deps: {
      syncs: FeedSyncRepository;
      queue: SyncQueue;
      now: () => Date;
      heartbeatStaleMs: number;
    },
  ) {}

  /** True when a sync was queued; false when one is already queued or running. */
  async request(clientKey: string, feedId: string): Promise<boolean> {
    if (!(await this.deps.syncs.markQueued(clientKey, feedId, this.deps.now(), this.deps.heartbeatStaleMs)))
      return false;
    await this.deps.queue.enqueueSync(clientKey, feedId);
    return true;
  }

  /**
   * A sync that reads every issue again, for when what changed in Jira does not move an issue (a person
   * renamed or anonymised): an incremental read would keep the stored text.
   */
  async requestFull(clientKey: string, feedId: string): Promise<boolean> {
    await this.deps.syncs.forgetBasis(clientKey, feedId);
    return this.request(clientKey, feedId);
  }
}
