import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { SyncOutcome, SyncService } from '../services/sync-service.js';

export const SYNC_FEED_TASK = 'sync_feed';
/** How long a sync waits when another sync of the same site is running. */
const SITE_BUSY_RETRY_MS = 2_000;

const payloadSchema = z.object({ clientKey: z.string().min(1), feedId: z.uuid() });
export type SyncFeedPayload = z.infer<typeof payloadSchema>;

export const syncFeedJobKey = (feedId: string): string => `sync_feed:${feedId}`;

/**
 * Idempotent: syncing a feed twice gives the same stored result. Throwing hands the retry (with backoff)
 * to the queue; a sync that finds its site busy queues itself again a little later.
 */
export function syncFeedTask(
  sync: SyncService,
  onOutcome?: (outcome: SyncOutcome, seconds: number) => void,
): Task {
  return async (rawPayload, helpers) => {
    const payload = payloadSchema.parse(rawPayload);
    const started = performance.now();
    const outcome = await sync.syncFeed(payload.clientKey, payload.feedId, helpers.abortSignal);
    onOutcome?.(outcome, (performance.now() - started) / 1000);
    if (outcome.status === 'deferred') {
      await helpers.addJob(SYNC_FEED_TASK, payload, {
        jobKey: syncFeedJobKey(payload.feedId),
        runAt: new Date(Date.now() + SITE_BUSY_RETRY_MS),
        priority: helpers.job.priority,
      });
      return;
    }
    if (outcome.status === 'failed' && outcome.retryable && outcome.retryAfterMs !== undefined) {
      // Jira named the wait: the job waits exactly that long in the queue, not the queue's own backoff.
      await helpers.addJob(SYNC_FEED_TASK, payload, {
        jobKey: syncFeedJobKey(payload.feedId),
        runAt: new Date(Date.now() + outcome.retryAfterMs),
        priority: helpers.job.priority,
      });
      return;
    }
    if (outcome.status === 'failed' && outcome.retryable) {
      throw new Error(`sync failed (${outcome.code}); the job will be retried`);
    }
  };
}
