import type { FeedRepository } from '../../db/feed-repository.js';
import { notFound } from '../../errors.js';
import type { Actor } from '../../services/actor.js';
import type { FeedService, FeedWithStatus } from '../../services/feed-service.js';
import type { SyncRequests } from '../../services/sync-requests.js';

/**
 * On Data Center a feed's queries run with its owner's Jira rights. When the owner's sign-in is gone,
 * an administrator takes the feed over: from now on it runs with theirs, and syncs at once.
 */
export class FeedTakeoverService {
  constructor(
    private readonly deps: {
      feeds: FeedRepository;
      feedService: FeedService;
      syncRequests: SyncRequests;
      now: () => Date;
    },
  ) {}

  async takeOver(actor: Actor, feedId: string): Promise<FeedWithStatus> {
    const feed = await this.deps.feeds.setRunAs(actor.clientKey, feedId, actor.accountId, this.deps.now());
    if (!feed) throw notFound('Feed');
    await this.deps.syncRequests.request(actor.clientKey, feed.id);
    return this.deps.feedService.get(actor, feed.id);
  }
}
