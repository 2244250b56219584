import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { SiteSettingsRepository } from '../db/site-settings-repository.js';
import type { FeedSubscription, RenderedFeed } from '../domain/feed.js';
import type { InstallationService } from './installation-service.js';
import type { SubscriptionService } from './subscription-service.js';

export type ServableFeed = { rendered: RenderedFeed; subscription: FeedSubscription };

/** Finds the stored bytes behind a feed URL. Never calls Jira and never renders. */
export class FeedServingService {
  constructor(
    private readonly deps: {
      subscriptions: SubscriptionService;
      installations: InstallationService;
      settings: SiteSettingsRepository;
      renders: FeedRenderRepository;
    },
  ) {}

  /** null for every reason a URL does not work: unknown, revoked, uninstalled site, exports off. */
  async find(token: string): Promise<ServableFeed | null> {
    const subscription = await this.deps.subscriptions.resolve(token);
    if (!subscription) return null;
    const { clientKey } = subscription;
    const [installation, settings] = await Promise.all([this.deps.installations.findActive(clientKey), this.deps.settings.get(clientKey)]);
    if (!installation || !settings.exportsEnabled) return null;
    const rendered = await this.deps.renders.find(clientKey, subscription.feedId, subscription.calendar);
    return rendered ? { rendered, subscription } : null;
  }

  recordFetch(subscription: FeedSubscription, userAgent: string | null): Promise<void> {
    return this.deps.subscriptions.recordFetch(subscription, userAgent);
  }
}
