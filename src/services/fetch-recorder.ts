import type { SubscriptionRepository } from '../db/subscription-repository.js';
import type { FeedSubscription } from '../domain/feed.js';
import type { Logger } from '../logger.js';

type Pending = { clientKey: string; count: number; lastAt: Date; userAgent: string | null };

/**
 * Counts feed fetches in memory and writes them in batches, so a popular URL costs one UPDATE per
 * flush instead of one per request (and requests never queue on that row's lock).
 */
export class FetchRecorder {
  private pending = new Map<string, Pending>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      subscriptions: SubscriptionRepository;
      logger: Logger;
      now: () => Date;
      flushIntervalMs: number;
    },
  ) {
    this.timer = setInterval(() => void this.flush(), deps.flushIntervalMs);
    this.timer.unref();
  }

  record(subscription: FeedSubscription, userAgent: string | null): void {
    const entry = this.pending.get(subscription.id);
    const now = this.deps.now();
    if (entry) {
      entry.count += 1;
      entry.lastAt = now;
      entry.userAgent = userAgent;
    } else {
      this.pending.set(subscription.id, {
        clientKey: subscription.clientKey,
        count: 1,
        lastAt: now,
        userAgent,
      });
    }
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    for (const [id, fetches] of batch) {
      try {
        await this.deps.subscriptions.recordFetches(fetches.clientKey, id, fetches);
      } catch (error) {
        // Kept for the next flush (a database outage must not lose the counts).
        const newer = this.pending.get(id);
        if (newer) {
          newer.count += fetches.count;
        } else {
          this.pending.set(id, fetches);
        }
        this.deps.logger.warn({ err: error }, 'could not record feed fetches');
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
