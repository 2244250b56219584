import type { Knex } from 'knex';
import type { Feed } from '../domain/feed.js';
import type { FeedConfig } from '../domain/feed-config.js';
import { recordAccountsFetched } from './personal-data-account-repository.js';

type FeedRow = {
  id: string;
  client_key: string;
  name: string;
  config: FeedConfig;
  created_by_account_id: string;
  updated_by_account_id: string;
  run_as_account_id: string | null;
  created_at: Date;
  updated_at: Date;
};

const toFeed = (row: FeedRow): Feed => ({
  id: row.id,
  clientKey: row.client_key,
  name: row.name,
  config: row.config,
  createdByAccountId: row.created_by_account_id,
  updatedByAccountId: row.updated_by_account_id,
  runAsAccountId: row.run_as_account_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class FeedRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<FeedRow>('feeds').where({ client_key: clientKey });
  }

  async findById(clientKey: string, feedId: string, db?: Knex.Transaction): Promise<Feed | null> {
    if (!UUID.test(feedId)) return null;
    const row = await this.scoped(clientKey, db).andWhere({ id: feedId }).first();
    return row ? toFeed(row) : null;
  }

  async list(clientKey: string): Promise<Feed[]> {
    const rows = await this.scoped(clientKey).orderBy([{ column: 'name' }, { column: 'created_at' }]);
    return rows.map(toFeed);
  }

  async insert(
    clientKey: string,
    feed: { name: string; config: FeedConfig; accountId: string; now: Date },
    db: Knex.Transaction,
  ): Promise<Feed> {
    const [row] = await db<FeedRow>('feeds')
      .insert({
        client_key: clientKey,
        name: feed.name,
        config: JSON.stringify(feed.config) as unknown as FeedConfig,
        created_by_account_id: feed.accountId,
        updated_by_account_id: feed.accountId,
        created_at: feed.now,
        updated_at: feed.now,
      })
      .returning('*');
    await recordAccountsFetched(db, clientKey, [feed.accountId], feed.now);
    return toFeed(row as FeedRow);
  }

  async update(
    clientKey: string,
    feedId: string,
    feed: { name: string; config: FeedConfig; accountId: string; now: Date },
  ): Promise<Feed | null> {
    if (!UUID.test(feedId)) return null;
    const [row] = await this.scoped(clientKey)
      .andWhere({ id: feedId })
      .update({
        name: feed.name,
        config: JSON.stringify(feed.config) as unknown as FeedConfig,
        // Jira checked the query with the editor's rights: the feed reads with those from now on.
        run_as_account_id: feed.accountId,
        updated_by_account_id: feed.accountId,
        updated_at: feed.now,
      })
      .returning('*');
    if (row) await recordAccountsFetched(this.knex, clientKey, [feed.accountId], feed.now);
    return row ? toFeed(row) : null;
  }

  /** Hands the feed's queries to another user's Jira rights (an administrator taking it over). */
  async setRunAs(clientKey: string, feedId: string, accountId: string, now: Date): Promise<Feed | null> {
    if (!UUID.test(feedId)) return null;
    const [row] = await this.scoped(clientKey)
      .andWhere({ id: feedId })
      .update({ run_as_account_id: accountId, updated_by_account_id: accountId, updated_at: now })
      .returning('*');
    if (row) await recordAccountsFetched(this.knex, clientKey, [accountId], now);
    return row ? toFeed(row) : null;
  }

  /** Children (sync status, events, renders, subscriptions) go with it by cascade. */
  async delete(clientKey: string, feedId: string): Promise<boolean> {
    if (!UUID.test(feedId)) return false;
    return (await this.scoped(clientKey).andWhere({ id: feedId }).delete()) > 0;
  }
}
