import type { AccessRepository } from '../db/access-repository.js';
import type { FeedRenderRepository, RenderedFeedMeta } from '../db/feed-render-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { FeedSubscription } from '../domain/feed.js';
import type { AccessService } from './access-service.js';
import type { FetchRecorder } from './fetch-recorder.js';
import type { RenderCache } from './render-cache.js';
import type { SubscriptionService } from './subscription-service.js';

export type ServableFeed = { meta: RenderedFeedMeta; subscription: FeedSubscription };

/** Finds the stored bytes behind a feed URL. Never calls Jira. */
export class FeedServingService {
  constructor(
    private readonly deps: {
      subscriptions: SubscriptionService;
      renders: FeedRenderRepository;
      feeds: FeedRepository;
      access: AccessRepository;
      accessService: AccessService;
      cache: RenderCache;
      fetches: FetchRecorder;
    },
  ) {}

  /**
   * The validators of what a URL serves, or null for every reason it does not work: unknown, revoked,
   * uninstalled site, exports off, access lost.
   */
  async find(token: string): Promise<ServableFeed | null> {
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
    const rendered = feed ? await this.deps.accessService.renderVariant(clientKey, feed, subscription, access) : null;
    if (!rendered) return null;
    this.deps.cache.set(feedId, rendered.variant, rendered.etag, rendered);
    const { body: _body, bodyGzip: _gzip, ...renderedMeta } = rendered;
    return { meta: renderedMeta, subscription };
  }

  /** The bytes for validators `find` returned, from memory when this process served them before. */
  async bytes({ meta, subscription }: ServableFeed): Promise<{ body: Buffer; bodyGzip: Buffer } | null> {
    const cached = this.deps.cache.get(meta.feedId, meta.variant, meta.etag);
    if (cached) return cached;
    const rendered = await this.deps.renders.find(subscription.clientKey, meta.feedId, meta.variant);
    if (!rendered) return null;
    this.deps.cache.set(meta.feedId, meta.variant, rendered.etag, rendered);
    return rendered;
  }

  recordFetch(subscription: FeedSubscription, userAgent: string | null): void {
    this.deps.fetches.record(subscription, userAgent);
  }
}
