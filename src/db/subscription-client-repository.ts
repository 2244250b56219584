import type { Knex } from 'knex';
import type { ClientFamily } from '../domain/client-family.js';

type ClientRow = {
  subscription_id: string;
  client_key: string;
  family: ClientFamily;
  first_fetched_at: Date;
  last_fetched_at: Date;
  fetch_count: number;
};

/** How one app family fetched one URL. */
export type SubscriptionClient = {
  subscriptionId: string;
  family: ClientFamily;
  firstFetchedAt: Date;
  lastFetchedAt: Date;
  fetchCount: number;
};

/** Per feed: how many of its live URLs each app family fetched since a moment. */
export type UrlUse = Record<ClientFamily, number>;

export const noUrlUse = (): UrlUse => ({ google: 0, outlook: 0, apple: 0, other: 0 });

const toClient = (row: ClientRow): SubscriptionClient => ({
  subscriptionId: row.subscription_id,
  family: row.family,
  firstFetchedAt: row.first_fetched_at,
  lastFetchedAt: row.last_fetched_at,
  fetchCount: row.fetch_count,
});

/** feed_subscription_clients: fetch counts per URL and calendar-app family. */
export class SubscriptionClientRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string) {
    return this.knex<ClientRow>('feed_subscription_clients').where({ client_key: clientKey });
  }

  /** Adds a batch of fetches by one family; the subscription must belong to `clientKey`. */
  async recordFetches(
    clientKey: string,
    subscriptionId: string,
    family: ClientFamily,
    fetches: { count: number; firstAt: Date; lastAt: Date },
  ): Promise<void> {
    await this.knex.raw(
      `INSERT INTO feed_subscription_clients
         (subscription_id, client_key, family, first_fetched_at, last_fetched_at, fetch_count)
       SELECT s.id, s.client_key, :family, :firstAt, :lastAt, :count
         FROM feed_subscriptions s WHERE s.id = :subscriptionId AND s.client_key = :clientKey
       ON CONFLICT (subscription_id, family) DO UPDATE SET
         last_fetched_at = greatest(feed_subscription_clients.last_fetched_at, excluded.last_fetched_at),
         fetch_count = feed_subscription_clients.fetch_count + excluded.fetch_count`,
      {
        family,
        firstAt: fetches.firstAt,
        lastAt: fetches.lastAt,
        count: fetches.count,
        subscriptionId,
        clientKey,
      },
    );
  }

  /** The families that fetched each of these URLs, most recent first. */
  async listForSubscriptions(clientKey: string, subscriptionIds: string[]): Promise<SubscriptionClient[]> {
    if (subscriptionIds.length === 0) return [];
    const rows = await this.scoped(clientKey)
      .whereIn('subscription_id', subscriptionIds)
      .orderBy('last_fetched_at', 'desc');
    return rows.map(toClient);
  }

  /** Per feed of the site, live URLs fetched since `since`, counted per family (a URL two apps read counts twice). */
  async urlUseSince(clientKey: string, since: Date): Promise<Map<string, UrlUse>> {
    type UseRow = { feed_id: string; family: ClientFamily; urls: string | number };
    const rows: UseRow[] = await this.knex('feed_subscription_clients as c')
      .join('feed_subscriptions as s', 's.id', 'c.subscription_id')
      .where({ 'c.client_key': clientKey, 's.client_key': clientKey })
      .whereNull('s.revoked_at')
      .andWhere('c.last_fetched_at', '>=', since)
      .groupBy('s.feed_id', 'c.family')
      .select('s.feed_id', 'c.family')
      .count<UseRow[]>({ urls: '*' });
    const byFeed = new Map<string, UrlUse>();
    for (const row of rows) {
      const use = byFeed.get(row.feed_id) ?? noUrlUse();
      use[row.family] = Number(row.urls);
      byFeed.set(row.feed_id, use);
    }
    return byFeed;
  }
}
