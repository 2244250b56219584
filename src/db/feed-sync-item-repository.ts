import type { Knex } from 'knex';
import type { CutEvent, SyncItem } from '../domain/sync-items.js';

type FeedSyncItemRow = {
  feed_id: string;
  client_key: string;
  kind: SyncItem['kind'];
  item_id: string;
  item_key: string | null;
  updated_at: Date | null;
  carries: string[];
  omitted: string[];
  dates: Record<string, string | null> | null;
  cut: CutEvent[] | null;
};

const INSERT_CHUNK = 1000;

const toItem = (row: FeedSyncItemRow): SyncItem =>
  row.kind === 'issue'
    ? {
        kind: 'issue',
        id: row.item_id,
        key: row.item_key ?? row.item_id,
        updatedMs: row.updated_at?.getTime() ?? 0,
        carries: row.carries,
        omitted: row.omitted,
        cut: row.cut ?? [],
      }
    : { kind: row.kind, id: row.item_id, dates: row.dates ?? {}, cut: row.cut ?? [] };

/** What the last good sync of each feed saw (see the migration); replaced whole by every good sync. */
export class FeedSyncItemRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<FeedSyncItemRow>('feed_sync_items').where({ client_key: clientKey });
  }

  async list(clientKey: string, feedId: string): Promise<SyncItem[]> {
    const rows = await this.scoped(clientKey).andWhere({ feed_id: feedId });
    return rows.map(toItem);
  }

  async replaceAll(
    clientKey: string,
    feedId: string,
    items: readonly SyncItem[],
    db: Knex.Transaction,
  ): Promise<void> {
    await this.scoped(clientKey, db).andWhere({ feed_id: feedId }).delete();
    await this.insert(clientKey, feedId, items, db);
  }

  /** Deletes the items of `remove` and adds `items`, in the caller's transaction. */
  async replaceSome(
    clientKey: string,
    feedId: string,
    change: { remove: readonly Pick<SyncItem, 'kind' | 'id'>[]; items: readonly SyncItem[] },
    db: Knex.Transaction,
  ): Promise<void> {
    for (const kind of ['issue', 'sprint', 'version'] as const) {
      const ids = change.remove.filter((item) => item.kind === kind).map((item) => item.id);
      for (let index = 0; index < ids.length; index += INSERT_CHUNK) {
        await this.scoped(clientKey, db)
          .andWhere({ feed_id: feedId, kind })
          .whereIn('item_id', ids.slice(index, index + INSERT_CHUNK))
          .delete();
      }
    }
    await this.insert(clientKey, feedId, change.items, db);
  }

  private async insert(
    clientKey: string,
    feedId: string,
    items: readonly SyncItem[],
    db: Knex.Transaction,
  ): Promise<void> {
    for (let index = 0; index < items.length; index += INSERT_CHUNK) {
      const rows = items.slice(index, index + INSERT_CHUNK).map((item) => ({
        feed_id: feedId,
        client_key: clientKey,
        kind: item.kind,
        item_id: item.id,
        item_key: item.kind === 'issue' ? item.key : null,
        updated_at: item.kind === 'issue' ? new Date(item.updatedMs) : null,
        carries: item.kind === 'issue' ? item.carries : [],
        omitted: item.kind === 'issue' ? item.omitted : [],
        dates:
          item.kind === 'issue'
            ? null
            : (JSON.stringify(item.dates) as unknown as Record<string, string | null>),
        cut: item.cut.length > 0 ? (JSON.stringify(item.cut) as unknown as CutEvent[]) : null,
      }));
      await db<FeedSyncItemRow>('feed_sync_items').insert(rows);
    }
  }

  /** Forgets what the feed's last sync saw: its next sync reads everything. */
  async clear(clientKey: string, feedId: string): Promise<void> {
    await this.scoped(clientKey).andWhere({ feed_id: feedId }).delete();
  }
}
