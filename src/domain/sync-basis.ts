import type { FeedConfig } from './feed-config.js';
import type { FeedSyncStatus, SyncBasis } from './feed.js';

const DAY_MS = 86_400_000;

/**
 * Whether the items the last good sync left can be trusted: read with this configuration (`hash`), a full
 * read within a day (the safety pass), the window not yet due to change, and nothing cut by the cap (what
 * the size budget cut is kept by rank, see `CutEvent`).
 */
export function incrementalAllowed(
  basis: SyncBasis | null,
  hash: string,
  status: FeedSyncStatus | null,
  now: Date,
): boolean {
  if (!basis || !status || basis.hash !== hash) return false;
  if (now.getTime() - basis.lastFullAt.getTime() >= DAY_MS || now >= basis.windowChangeAt) return false;
  return !status.capReached;
}

/** When the schedule next syncs a feed whose sync started at `started`, whatever that sync's result. */
export function nextSyncAt(started: Date, config: Pick<FeedConfig, 'syncIntervalMinutes'>): Date {
  return new Date(started.getTime() + config.syncIntervalMinutes * 60_000);
}
