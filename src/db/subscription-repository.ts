import type { Knex } from 'knex';
import type { FeedSubscription } from '../domain/feed.js';
import { recordAccountsFetched } from './personal-data-account-repository.js';

type SubscriptionRow = {
  id: string;
  feed_id: string;
  client_key: string;
  account_id: string | null;
  calendar: string;
  token_nonce: string;
  token_hash: string;
  created_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  last_fetched_at: Date | null;
  fetch_count: number;
  url_shown_at: Date | null;
};

const toSubscription = (row: SubscriptionRow): FeedSubscription => ({
  id: row.id,
  feedId: row.feed_id,
  clientKey: row.client_key,
  accountId: row.account_id,
  calendar: row.calendar,
  tokenNonce: row.token_nonce,
  createdAt: row.created_at,
  rotatedAt: row.rotated_at,
  revokedAt: row.revoked_at,
  lastFetchedAt: row.last_fetched_at,
  fetchCount: row.fetch_count,
  urlShownAt: row.url_shown_at,
});

export class SubscriptionRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<SubscriptionRow>('feed_subscriptions').where({ client_key: clientKey });
  }

  async findLive(
    clientKey: string,
    feedId: string,
    accountId: string | null,
    calendar: string,
  ): Promise<FeedSubscription | null> {
    const query = this.scoped(clientKey).andWhere({ feed_id: feedId, calendar }).whereNull('revoked_at');
    const row = await (
      accountId === null ? query.whereNull('account_id') : query.andWhere({ account_id: accountId })
    ).first();
    return row ? toSubscription(row) : null;
  }

  async listLive(clientKey: string, feedId: string): Promise<FeedSubscription[]> {
    const rows = await this.scoped(clientKey)
      .andWhere({ feed_id: feedId })
      .whereNull('revoked_at')
      .orderBy('created_at');
    return rows.map(toSubscription);
  }

  /** Live personal URLs (not the feed's shared one). */
  async listLivePersonal(clientKey: string, feedId: string): Promise<FeedSubscription[]> {
    const rows = await this.scoped(clientKey)
      .andWhere({ feed_id: feedId })
      .whereNull('revoked_at')
      .whereNotNull('account_id')
      .orderBy('created_at');
    return rows.map(toSubscription);
  }

  async listLiveAccounts(clientKey: string): Promise<string[]> {
    const rows = await this.scoped(clientKey)
      .whereNull('revoked_at')
      .whereNotNull('account_id')
      .distinct('account_id');
    return rows.map((row) => row.account_id).filter((id): id is string => id !== null);
  }

  async revokeAllForAccount(clientKey: string, accountId: string, now: Date): Promise<number> {
    return this.scoped(clientKey)
      .andWhere({ account_id: accountId })
      .whereNull('revoked_at')
      .update({ revoked_at: now });
  }

  async create(
    clientKey: string,
    values: {
      id: string;
      feedId: string;
      accountId: string | null;
      calendar: string;
      nonce: string;
      tokenHash: string;
      now: Date;
    },
  ): Promise<FeedSubscription> {
    const [row] = await this.knex<SubscriptionRow>('feed_subscriptions')
      .insert({
        id: values.id,
        client_key: clientKey,
        feed_id: values.feedId,
        account_id: values.accountId,
        calendar: values.calendar,
        token_nonce: values.nonce,
        token_hash: values.tokenHash,
        created_at: values.now,
      })
      .returning('*');
    await recordAccountsFetched(this.knex, clientKey, [values.accountId], values.now);
    return toSubscription(row as SubscriptionRow);
  }

  async rotate(
    clientKey: string,
    id: string,
    values: { nonce: string; tokenHash: string; now: Date },
  ): Promise<FeedSubscription | null> {
    const [row] = await this.scoped(clientKey)
      .andWhere({ id })
      .whereNull('revoked_at')
      .update({
        token_nonce: values.nonce,
        token_hash: values.tokenHash,
        rotated_at: values.now,
        // A new URL has not been shown to anyone yet: the caller that shows it says so.
        url_shown_at: null,
      })
      .returning('*');
    return row ? toSubscription(row) : null;
  }

  async revoke(clientKey: string, id: string, now: Date): Promise<boolean> {
    return (
      (await this.scoped(clientKey).andWhere({ id }).whereNull('revoked_at').update({ revoked_at: now })) > 0
    );
  }

  async revokeAllForFeed(clientKey: string, feedId: string, now: Date): Promise<number> {
    return this.scoped(clientKey)
      .andWhere({ feed_id: feedId })
      .whereNull('revoked_at')
      .update({ revoked_at: now });
  }

  /**
   * The live subscription behind a token hash, if its site is installed and has exports switched on:
   * one query for the whole gate in front of a feed request. The one lookup not scoped by tenant: the
   * token is the only credential a calendar app has, and the row it finds names the tenant.
   */
  async findServableByTokenHash(tokenHash: string): Promise<FeedSubscription | null> {
    const row: SubscriptionRow | undefined = await this.knex<SubscriptionRow>('feed_subscriptions as s')
      .join('installations as i', 'i.client_key', 's.client_key')
      .leftJoin('site_settings as st', 'st.client_key', 's.client_key')
      .where('s.token_hash', tokenHash)
      .whereNull('s.revoked_at')
      .andWhere('i.state', 'installed')
      .andWhere((q) => q.whereNull('st.exports_enabled').orWhere('st.exports_enabled', true))
      .first('s.*');
    return row ? toSubscription(row) : null;
  }

  /** Adds fetches counted since the last call; `count` lets callers batch many fetches into one write. */
  async recordFetches(
    clientKey: string,
    id: string,
    fetches: { count: number; lastAt: Date },
  ): Promise<void> {
    await this.scoped(clientKey)
      .andWhere({ id })
      .update({
        last_fetched_at: fetches.lastAt,
        fetch_count: this.knex.raw('fetch_count + ?', [fetches.count]),
      });
  }

  /** Notes that the owner saw or copied these URLs, unless they already had (the first time counts). */
  async markShown(clientKey: string, ids: string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.scoped(clientKey).whereIn('id', ids).whereNull('url_shown_at').update({ url_shown_at: now });
  }
}
