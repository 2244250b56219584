import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { SyncService } from '../services/sync-service.js';

export const SYNC_FEED_TASK = 'sync_feed';

const payloadSchema = z.object({ clientKey: z.string().min(1), feedId: z.uuid() });
export type SyncFeedPayload = z.infer<typeof payloadSchema>;

/** Idempotent: syncing a feed twice gives the same stored result. Throwing hands the retry (with backoff) to the queue. */
export function syncFeedTask(sync: SyncService): Task {
  return async (rawPayload, helpers) => {
    const payload = payloadSchema.parse(rawPayload);
    const outcome = await sync.syncFeed(payload.clientKey, payload.feedId, helpers.abortSignal);
    if (outcome.status === 'failed' && outcome.retryable) {
      throw new Error(`sync failed (${outcome.code}); the job will be retried`);
    }
  };
}
