import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { FeedSyncRepository } from '../db/feed-sync-repository.js';

export const SITE_CHANGED_TASK = 'site_changed';
/** Events that arrive together (a bulk edit, Forge's retries) collapse into one job per site per window. */
export const SITE_CHANGED_DEBOUNCE_MS = 5_000;

const payloadSchema = z.object({
  clientKey: z.string().min(1),
  /** Only feeds whose last sync failed with this code (a token arrived for feeds that were waiting for one). */
  failedWith: z.string().min(1).optional(),
});
export type SiteChangedPayload = z.infer<typeof payloadSchema>;

export const siteChangedJobKey = (payload: SiteChangedPayload): string =>
  `${SITE_CHANGED_TASK}:${payload.clientKey}:${payload.failedWith ?? '*'}`;

/** Jira said something changed on a site: its feeds are due now, and the tick hands them to the sync. */
export function siteChangedTask(deps: {
  syncs: FeedSyncRepository;
  requestTick: () => Promise<void>;
  now: () => Date;
}): Task {
  return async (rawPayload, helpers) => {
    const payload = payloadSchema.parse(rawPayload);
    const moved = await deps.syncs.bringForward(payload.clientKey, deps.now(), payload.failedWith);
    if (moved > 0) {
      helpers.logger.info(`${moved} feeds of a changed site are due now`);
      await deps.requestTick();
    }
  };
}
