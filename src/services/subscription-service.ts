import { randomUUID } from 'node:crypto';
import type { SubscriptionRepository } from '../db/subscription-repository.js';
import { ALL_CALENDAR, type FeedSubscription } from '../domain/feed.js';
import { FeedTokens } from './feed-tokens.js';

/** Secret feed URLs: issuing, showing again, rotating and resolving them. */
export class SubscriptionService {
  constructor(
    private readonly deps: {
      subscriptions: SubscriptionRepository;
      tokens: FeedTokens;
      baseUrl: string;
      now: () => Date;
    },
  ) {}

  urlFor(subscription: Pick<FeedSubscription, 'id' | 'tokenNonce'>): string {
    return `${this.deps.baseUrl}/ical/${this.deps.tokens.tokenFor(subscription.id, subscription.tokenNonce)}.ics`;
  }

  /** The live URL for (feed, account, calendar), created on first use; `accountId` null is the feed's shared URL. */
  async ensure(
    clientKey: string,
    feedId: string,
    accountId: string | null,
    calendar: string,
  ): Promise<FeedSubscription> {
    const existing = await this.deps.subscriptions.findLive(clientKey, feedId, accountId, calendar);
    if (existing) return existing;
    const id = randomUUID();
    const nonce = this.deps.tokens.newNonce();
    return this.deps.subscriptions.create(clientKey, {
      id,
      feedId,
      accountId,
      calendar,
      nonce,
      tokenHash: FeedTokens.hash(this.deps.tokens.tokenFor(id, nonce)),
      now: this.deps.now(),
    });
  }

  ensureShared(clientKey: string, feedId: string): Promise<FeedSubscription> {
    return this.ensure(clientKey, feedId, null, ALL_CALENDAR);
  }

  async sharedUrl(clientKey: string, feedId: string): Promise<string | null> {
    const subscription = await this.deps.subscriptions.findLive(clientKey, feedId, null, ALL_CALENDAR);
    return subscription ? this.urlFor(subscription) : null;
  }

  /** A new nonce: the old URL stops working at once, the new one is returned. */
  async rotateShared(clientKey: string, feedId: string): Promise<string> {
    return this.urlFor(await this.rotate(clientKey, await this.ensureShared(clientKey, feedId)));
  }

  async rotate(clientKey: string, subscription: FeedSubscription): Promise<FeedSubscription> {
    const nonce = this.deps.tokens.newNonce();
    const rotated = await this.deps.subscriptions.rotate(clientKey, subscription.id, {
      nonce,
      tokenHash: FeedTokens.hash(this.deps.tokens.tokenFor(subscription.id, nonce)),
      now: this.deps.now(),
    });
    if (!rotated) throw new Error('subscription vanished while rotating');
    return rotated;
  }

  /** The servable subscription a presented token belongs to (live, site installed, exports on), or null; never says why. */
  async resolve(token: string): Promise<FeedSubscription | null> {
    if (!FeedTokens.looksValid(token)) return null;
    const subscription = await this.deps.subscriptions.findServableByTokenHash(FeedTokens.hash(token));
    if (!subscription || !this.deps.tokens.matches(token, subscription.id, subscription.tokenNonce))
      return null;
    return subscription;
  }
}
