import type { RenderedFeedMeta } from '../db/feed-render-repository.js';
import type { FeedSubscription } from '../domain/feed.js';

export type ServedFeed = { meta: RenderedFeedMeta; subscription: FeedSubscription };

/** What a database notification says changed (see the `notify_feed_serving_changes` migration). */
export type ServingChange = { clientKey: string; feedId?: string; subscriptionId?: string };

/**
 * What each known feed URL serves, by token hash, so a request for it needs no query. Entries go as soon as
 * a notification says their site, feed or subscription changed; a lookup that raced with such a change is
 * not stored (`generation` is read before the lookup and checked after it).
 */
export class ServedFeeds {
  private readonly entries = new Map<string, ServedFeed>();
  private readonly byFeed = new Map<string, Set<string>>();
  private readonly bySubscription = new Map<string, Set<string>>();
  private readonly bySite = new Map<string, Set<string>>();
  private changes = 0;

  constructor(private readonly maxEntries: number) {}

  get(tokenHash: string): ServedFeed | undefined {
    return this.entries.get(tokenHash);
  }

  /** Read before a lookup and hand to `put`: it moves with every change notified meanwhile. */
  generation(): number {
    return this.changes;
  }

  put(tokenHash: string, served: ServedFeed, generationBefore: number): void {
    if (generationBefore !== this.changes) return;
    const { clientKey, feedId, id } = served.subscription;
    this.remove(tokenHash);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.remove(oldest);
    }
    this.entries.set(tokenHash, served);
    index(this.byFeed, `${clientKey}\u0000${feedId}`, tokenHash);
    index(this.bySubscription, `${clientKey}\u0000${id}`, tokenHash);
    index(this.bySite, clientKey, tokenHash);
  }

  apply(change: ServingChange): void {
    this.changes += 1;
    const key =
      change.feedId !== undefined
        ? this.byFeed.get(`${change.clientKey}\u0000${change.feedId}`)
        : change.subscriptionId !== undefined
          ? this.bySubscription.get(`${change.clientKey}\u0000${change.subscriptionId}`)
          : this.bySite.get(change.clientKey);
    for (const tokenHash of [...(key ?? [])]) this.remove(tokenHash);
  }

  /** Forget everything: notifications may have been missed. */
  clear(): void {
    this.changes += 1;
    this.entries.clear();
    this.byFeed.clear();
    this.bySubscription.clear();
    this.bySite.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(tokenHash: string): void {
    const served = this.entries.get(tokenHash);
    if (!served) return;
    this.entries.delete(tokenHash);
    const { clientKey, feedId, id } = served.subscription;
    unindex(this.byFeed, `${clientKey}\u0000${feedId}`, tokenHash);
    unindex(this.bySubscription, `${clientKey}\u0000${id}`, tokenHash);
    unindex(this.bySite, clientKey, tokenHash);
  }
}

function index(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function unindex(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

/** Parses a notification payload; anything unreadable is reported as null (the caller then clears all). */
export function parseServingChange(payload: string): ServingChange | null {
  try {
    const value = JSON.parse(payload) as { c?: unknown; f?: unknown; s?: unknown };
    if (typeof value.c !== 'string') return null;
    return {
      clientKey: value.c,
      ...(typeof value.f === 'string' ? { feedId: value.f } : {}),
      ...(typeof value.s === 'string' ? { subscriptionId: value.s } : {}),
    };
  } catch {
    return null;
  }
}
