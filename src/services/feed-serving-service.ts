import type { AccessRepository } from '../db/access-repository.js';
import type { Database } from '../db/database.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { StopListening } from '../db/notifications.js';
import type { FeedSubscription } from '../domain/feed.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AccessService } from './access-service.js';
import { FeedTokens } from './feed-tokens.js';
import type { FetchRecorder } from './fetch-recorder.js';
import type { RenderCache } from './render-cache.js';
import { parseServingChange, type ServedFeed, type ServedFeeds } from './served-feeds.js';
import type { SubscriptionService } from './subscription-service.js';

export type ServableFeed = ServedFeed;

/** The channel the `notify_feed_serving_changes` migration's triggers notify. */
export const SERVING_CHANNEL = 'calendar_sync_serving';
const OUTAGE_LOG_INTERVAL_MS = 30_000;
/**
 * After this process writes a table that decides what URLs serve, memory is bypassed this long: the write's
 * notification comes back from the database a moment after its commit, and an API call that revoked a URL
 * must not see it served by the same process in between.
 */
const LOCAL_WRITE_BYPASS_MS = 250;
const SERVED_TABLE_WRITE =
  /^\s*(?:insert into|update|delete from)\s+"(?:feed_renders|feed_subscriptions|subscription_access|installations|site_settings)"/i;
/** Batched fetch statistics change nothing served. */
const FETCH_STATISTICS = /"fetch_count" = fetch_count \+/;

/** A feed URL this process cannot answer from memory while the database is unreachable. */
export class FeedLookupUnavailable extends AppError {
  constructor() {
    super(503, 'database_unavailable', 'The feed cannot be looked up right now', { retryable: true });
  }
}

/**
 * Finds the stored bytes behind a feed URL. Never calls Jira. A URL served before is answered from memory
 * with no query, for as long as database notifications keep that memory current; while the database is
 * unreachable, what is in memory is served and anything else gets 503.
 */
export class FeedServingService {
  private listening = false;
  private unlisten: StopListening | null = null;
  private outageSince: number | null = null;
  private lastOutageLog = 0;
  private outageCounts = { fromMemory: 0, unavailable: 0 };
  private localWriteAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: {
      subscriptions: SubscriptionService;
      renders: FeedRenderRepository;
      feeds: FeedRepository;
      access: AccessRepository;
      accessService: AccessService;
      cache: RenderCache;
      served: ServedFeeds;
      fetches: FetchRecorder;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  /** Keeps this process's memory of served URLs current from the database's change notifications. */
  async startListening(db: Pick<Database, 'listen' | 'knex'>): Promise<void> {
    const { served, logger } = this.deps;
    db.knex.on('query-response', (_response: unknown, query: { sql?: unknown }) => {
      const sql = typeof query.sql === 'string' ? query.sql : '';
      if (SERVED_TABLE_WRITE.test(sql) && !FETCH_STATISTICS.test(sql)) this.localWriteAt = Date.now();
    });
    this.unlisten = await db.listen(SERVING_CHANNEL, {
      message: (payload) => {
        const change = parseServingChange(payload);
        if (change) served.apply(change);
        else served.clear();
      },
      up: () => {
        served.clear();
        this.listening = true;
        // Served from memory again, no lookup may follow for a while: the listener is what saw it recover.
        this.noteRecovery();
      },
      down: () => {
        this.listening = false;
        logger.warn(
          'feed change notifications interrupted; feed URLs are looked up in the database until they resume',
        );
      },
    });
  }

  async stopListening(): Promise<void> {
    this.listening = false;
    await this.unlisten?.();
    this.unlisten = null;
  }

  /**
   * The validators of what a URL serves, or null for every reason it does not work: unknown, revoked,
   * uninstalled site, exports off, access lost. Throws `FeedLookupUnavailable` when it cannot tell.
   */
  async find(token: string): Promise<ServableFeed | null> {
    if (!FeedTokens.looksValid(token)) return null;
    const tokenHash = FeedTokens.hash(token);
    const { served } = this.deps;
    if (this.listening && Date.now() - this.localWriteAt > LOCAL_WRITE_BYPASS_MS) {
      const known = served.get(tokenHash);
      if (known) return known;
    }
    const generation = served.generation();
    let found: ServableFeed | null;
    try {
      found = await this.lookUp(token);
    } catch (error) {
      const kept = served.get(tokenHash);
      this.noteOutage(error, kept !== undefined);
      if (kept) return kept;
      throw new FeedLookupUnavailable();
    }
    this.noteRecovery();
    if (found && this.listening) served.put(tokenHash, found, generation);
    return found;
  }

  /** The bytes for validators `find` returned, from memory when this process served them before. */
  async bytes({ meta, subscription }: ServableFeed): Promise<{ body: Buffer; bodyGzip: Buffer } | null> {
    const cached = this.deps.cache.get(meta.feedId, meta.variant, meta.etag);
    if (cached) return cached;
    let rendered;
    try {
      rendered = await this.deps.renders.find(subscription.clientKey, meta.feedId, meta.variant);
    } catch (error) {
      this.noteOutage(error, false);
      throw new FeedLookupUnavailable();
    }
    if (!rendered) return null;
    this.deps.cache.set(meta.feedId, meta.variant, rendered.etag, rendered);
    return rendered;
  }

  recordFetch(subscription: FeedSubscription, userAgent: string | null): void {
    this.deps.fetches.record(subscription, userAgent);
  }

  private async lookUp(token: string): Promise<ServableFeed | null> {
    const subscription = await this.deps.subscriptions.resolve(token);
    if (!subscription) return null;
    const { clientKey, feedId } = subscription;
    if (subscription.accountId === null) {
      const meta = await this.deps.renders.findMeta(clientKey, feedId, subscription.calendar);
      return meta ? { meta, subscription } : null;
    }
    const access = await this.deps.access.findSubscriptionAccess(clientKey, subscription.id);
    if (!access?.allowed || access.variant === null) return null;
    const meta = await this.deps.renders.findMeta(clientKey, feedId, access.variant);
    if (meta) return { meta, subscription };
    // A sync dropped this variant's bytes since they were last rendered: render them from the stored events.
    const feed = await this.deps.feeds.findById(clientKey, feedId);
    const rendered = feed
      ? await this.deps.accessService.renderVariant(clientKey, feed, subscription, access)
      : null;
    if (!rendered) return null;
    this.deps.cache.set(feedId, rendered.variant, rendered.etag, rendered);
    const { body: _body, bodyGzip: _gzip, ...renderedMeta } = rendered;
    return { meta: renderedMeta, subscription };
  }

  private noteOutage(error: unknown, fromMemory: boolean): void {
    const now = this.deps.now().getTime();
    this.outageSince ??= now;
    this.outageCounts[fromMemory ? 'fromMemory' : 'unavailable'] += 1;
    if (now - this.lastOutageLog < OUTAGE_LOG_INTERVAL_MS && this.lastOutageLog !== 0) return;
    this.lastOutageLog = now;
    this.deps.logger.error(
      { err: error, ...this.outageCounts, since: new Date(this.outageSince).toISOString() },
      'database unreachable: serving feeds from memory, 503 for URLs this process has not served',
    );
  }

  private noteRecovery(): void {
    if (this.outageSince === null) return;
    this.deps.logger.warn(
      { ...this.outageCounts, downMs: this.deps.now().getTime() - this.outageSince },
      'database reachable again: feed lookups back to normal',
    );
    this.outageSince = null;
    this.lastOutageLog = 0;
    this.outageCounts = { fromMemory: 0, unavailable: 0 };
  }
}
