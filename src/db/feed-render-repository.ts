import type { Knex } from 'knex';
import type { RenderedFeed } from '../domain/feed.js';

export type RenderedFeedMeta = Omit<RenderedFeed, 'body' | 'bodyGzip'>;

type FeedRenderRow = {
  feed_id: string;
  client_key: string;
  variant: string;
  body: Buffer;
  body_gzip: Buffer;
  etag: string;
  data_hash: string;
  last_modified: Date;
  event_count: number;
};

const toRendered = (row: FeedRenderRow): RenderedFeed => ({
  feedId: row.feed_id,
  variant: row.variant,
  body: row.body,
  bodyGzip: row.body_gzip,
  etag: row.etag,
  dataHash: row.data_hash,
  lastModified: row.last_modified,
  eventCount: row.event_count,
});

export class FeedRenderRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<FeedRenderRow>('feed_renders').where({ client_key: clientKey });
  }

  /** Validators only, without the bytes: enough to answer a conditional request or hit a cache. */
  async findMeta(clientKey: string, feedId: string, variant: string): Promise<RenderedFeedMeta | null> {
    const row = await this.scoped(clientKey)
      .andWhere({ feed_id: feedId, variant })
      .first('feed_id', 'variant', 'etag', 'data_hash', 'last_modified', 'event_count');
    return row
      ? {
          feedId: row.feed_id,
          variant: row.variant,
          etag: row.etag,
          dataHash: row.data_hash,
          lastModified: row.last_modified,
          eventCount: row.event_count,
        }
      : null;
  }

  async find(clientKey: string, feedId: string, variant: string): Promise<RenderedFeed | null> {
    const row = await this.scoped(clientKey).andWhere({ feed_id: feedId, variant }).first();
    return row ? toRendered(row) : null;
  }

  /** Bytes of each feed's shared calendar, by feed id. */
  async sharedSizes(clientKey: string): Promise<Map<string, number>> {
    const rows = await this.scoped(clientKey)
      .andWhere({ variant: 'all' })
      .select('feed_id', this.knex.raw('octet_length(body) as size'));
    return new Map(
      (rows as unknown as { feed_id: string; size: number }[]).map((row) => [row.feed_id, Number(row.size)]),
    );
  }

  async save(clientKey: string, rendered: RenderedFeed, db?: Knex.Transaction): Promise<void> {
    await (db ?? this.knex)<FeedRenderRow>('feed_renders')
      .insert({
        feed_id: rendered.feedId,
        client_key: clientKey,
        variant: rendered.variant,
        body: rendered.body,
        body_gzip: rendered.bodyGzip,
        etag: rendered.etag,
        data_hash: rendered.dataHash,
        last_modified: rendered.lastModified,
        event_count: rendered.eventCount,
      })
      .onConflict(['feed_id', 'variant'])
      .merge();
  }

  /** Per-user variants are derived from the shared event set; they are dropped when it changes. */
  async deleteVariantsExcept(
    clientKey: string,
    feedId: string,
    keep: string,
    db: Knex.Transaction,
  ): Promise<void> {
    await this.scoped(clientKey, db).andWhere({ feed_id: feedId }).whereNot({ variant: keep }).delete();
  }
}
