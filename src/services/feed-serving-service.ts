import type { AccessRepository } from '../db/access-repository.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { SiteSettingsRepository } from '../db/site-settings-repository.js';
import type { FeedSubscription, RenderedFeed } from '../domain/feed.js';
import type { AccessService } from './access-service.js';
import type { InstallationService } from './installation-service.js';
import type { SubscriptionService } from './subscription-service.js';

export type ServableFeed = { rendered: RenderedFeed; subscription: FeedSubscription };

/** Finds the stored bytes behind a feed URL. Never calls Jira. */
export class FeedServingService {
  constructor(
    private readonly deps: {
      subscriptions: SubscriptionService;
      installations: InstallationService;
      settings: SiteSettingsRepository;
      renders: FeedRenderRepository;
      feeds: FeedRepository;
      access: AccessRepository;
      accessService: AccessService;
    },
  ) {}

  /** null for every reason a URL does not work: unknown, revoked, uninstalled site, exports off, access lost. */
  async find(token: string): Promise<ServableFeed | null> {
    const subscription = await this.deps.subscriptions.resolve(token);
    if (!subscription) return null;
    const { clientKey } = subscription;
    const [installation, settings] = await Promise.all([this.deps.installations.findActive(clientKey), this.deps.settings.get(clientKey)]);
    if (!installation || !settings.exportsEnabled) return null;
    if (subscription.accountId === null) {
      const rendered = await this.deps.renders.find(clientKey, subscription.feedId, subscription.calendar);
      return rendered ? { rendered, subscription } : null;
    }
    const access = await this.deps.access.findSubscriptionAccess(clientKey, subscription.id);
    if (!access?.allowed || access.variant === null) return null;
    const rendered =
      (await this.deps.renders.find(clientKey, subscription.feedId, access.variant)) ?? (await this.renderMissing(clientKey, subscription, access));
    return rendered ? { rendered, subscription } : null;
  }

  /** A sync dropped this variant's bytes since they were last rendered: render them from the stored events. */
  private async renderMissing(clientKey: string, subscription: FeedSubscription, access: Parameters<AccessService['renderVariant']>[3]) {
    const feed = await this.deps.feeds.findById(clientKey, subscription.feedId);
    return feed ? this.deps.accessService.renderVariant(clientKey, feed, subscription, access) : null;
  }

  recordFetch(subscription: FeedSubscription, userAgent: string | null): Promise<void> {
    return this.deps.subscriptions.recordFetch(subscription, userAgent);
  }
}
