import type { SubscriptionClientRepository } from '../db/subscription-client-repository.js';
import type { SubscriptionRepository } from '../db/subscription-repository.js';
import { type ClientFamily, clientFamilyOf } from '../domain/client-family.js';
import type { FeedSubscription } from '../domain/feed.js';
import type { Logger } from '../logger.js';

type Counted = { count: number; firstAt: Date; lastAt: Date };
type Pending = Counted & { clientKey: string; families: Map<ClientFamily, Counted> };

const merge = (into: Counted, from: Counted): void => {
  into.count += from.count;
  if (from.firstAt < into.firstAt) into.firstAt = from.firstAt;
  if (from.lastAt > into.lastAt) into.lastAt = from.lastAt;
};

/**
 * Counts feed fetches in memory and writes them in batches, so a popular URL costs one UPDATE per
 * flush instead of one per request (and requests never queue on that row's lock). Of the User-Agent
 * only the app family is kept.
 */
export class FetchRecorder {
  private pending = new Map<string, Pending>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      subscriptions: SubscriptionRepository;
      clients: SubscriptionClientRepository;
      logger: Logger;
      now: () => Date;
      flushIntervalMs: number;
    },
  ) {
    this.timer = setInterval(() => void this.flush(), deps.flushIntervalMs);
    this.timer.unref();
  }

  record(subscription: FeedSubscription, userAgent: string | null): void {
    const now = this.deps.now();
    const one = (): Counted => ({ count: 1, firstAt: now, lastAt: now });
    const family = clientFamilyOf(userAgent);
    const entry = this.pending.get(subscription.id);
    if (!entry) {
      const families = new Map([[family, one()]]);
      this.pending.set(subscription.id, { clientKey: subscription.clientKey, ...one(), families });
      return;
    }
    merge(entry, one());
    const counted = entry.families.get(family);
    if (counted) merge(counted, one());
    else entry.families.set(family, one());
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    for (const [id, fetches] of batch) {
      try {
        await this.write(id, fetches);
      } catch (error) {
        // Kept for the next flush (a database outage must not lose the counts).
        this.keep(id, fetches);
        this.deps.logger.warn({ err: error }, 'could not record feed fetches');
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(id: string, fetches: Pending): Promise<void> {
    if (fetches.count > 0) await this.deps.subscriptions.recordFetches(fetches.clientKey, id, fetches);
    fetches.count = 0;
    // Written family by family, so a failure part-way keeps only what is not yet written.
    for (const [family, counted] of [...fetches.families]) {
      await this.deps.clients.recordFetches(fetches.clientKey, id, family, counted);
      fetches.families.delete(family);
    }
  }

  private keep(id: string, fetches: Pending): void {
    const newer = this.pending.get(id);
    if (!newer) {
      this.pending.set(id, fetches);
      return;
    }
    merge(newer, fetches);
    for (const [family, counted] of fetches.families) {
      const known = newer.families.get(family);
      if (known) merge(known, counted);
      else newer.families.set(family, counted);
    }
  }
}
