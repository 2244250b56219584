import type { FeedConfig } from './feed-config.js';
import type { FeedEvent } from './feed-event.js';

const MS_PER_DAY = 86_400_000;

export type Tombstones = {
  /** The cancelled events the feed shows now. */
  events: FeedEvent[];
  /** When the first of them is due to drop out; null when there are none. */
  expiresAt: Date | null;
};

/**
 * The events of issues that left the feed, kept as cancelled for the feed's `removedIssues.keepDays`.
 * `stored` is what the feed showed before this sync (tombstones included), `memberIssueIds` the issues it
 * holds now. Only an issue leaving makes a tombstone: an event that ages out of the date window, or whose
 * date was cleared, drops out as before. A tombstone whose issue came back is gone: the live event replaces it.
 */
export function tombstonesOf(
  config: Pick<FeedConfig, 'removedIssues'>,
  stored: readonly FeedEvent[],
  memberIssueIds: ReadonlySet<string>,
  now: Date,
): Tombstones {
  const { mode, keepDays } = config.removedIssues;
  if (mode === 'drop') return { events: [], expiresAt: null };
  const keepMs = keepDays * MS_PER_DAY;
  const events: FeedEvent[] = [];
  let expiresAt: number | null = null;
  for (const event of stored) {
    if (event.kind !== 'issue' || event.issueId === null || memberIssueIds.has(event.issueId)) continue;
    const cancelledAt = event.cancelledAt ?? now.toISOString();
    const expiry = Date.parse(cancelledAt) + keepMs;
    if (expiry <= now.getTime()) continue;
    events.push({ ...event, cancelledAt });
    expiresAt = expiresAt === null ? expiry : Math.min(expiresAt, expiry);
  }
  return { events, expiresAt: expiresAt === null ? null : new Date(expiresAt) };
}

export const isTombstone = (event: FeedEvent): boolean => event.cancelledAt !== undefined;
