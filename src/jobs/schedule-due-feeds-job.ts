import type { Task } from 'graphile-worker';
import type { FeedSyncRepository } from '../db/feed-sync-repository.js';
import type { SyncQueue } from '../services/feed-service.js';

export const SCHEDULE_DUE_FEEDS_TASK = 'schedule_due_feeds';
const CLAIM_BATCH = 500;
/** A sync still "running" this long after it started belongs to a process that died; claim it again. */
const STALE_AFTER_MS = 30 * 60_000;

/** The one recurring tick: claim every feed whose interval has passed and fan out one keyed job per feed. */
export function scheduleDueFeedsTask(deps: { syncs: FeedSyncRepository; queue: SyncQueue; now: () => Date }): Task {
  return async (_payload, helpers) => {
    for (;;) {
      const due = await deps.syncs.claimDue(deps.now(), CLAIM_BATCH, STALE_AFTER_MS);
      for (const feed of due) await deps.queue.enqueueSync(feed.clientKey, feed.feedId);
      if (due.length > 0) helpers.logger.info(`queued ${due.length} feed syncs`);
      if (due.length < CLAIM_BATCH) return;
    }
  };
}
