import type { Knex } from 'knex';
import type { EventRevision } from '../domain/event-revisions.js';

type FeedEventRevisionRow = {
  feed_id: string;
  client_key: string;
  uid: string;
  content_hash: string;
  sequence: number;
  changed_at: Date;
};

const UPSERT_CHUNK = 500;

const toRevision = (row: FeedEventRevisionRow): EventRevision => ({
  uid: row.uid,
  contentHash: row.content_hash,
  sequence: row.sequence,
  changedAt: row.changed_at.toISOString(),
});

export class FeedEventRevisionRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<FeedEventRevisionRow>('feed_event_revisions').where({ client_key: clientKey });
  }

  async listByUid(
    clientKey: string,
    feedId: string,
    db?: Knex.Transaction,
  ): Promise<Map<string, EventRevision>> {
    const rows = await this.scoped(clientKey, db).andWhere({ feed_id: feedId }).select();
    return new Map(rows.map((row) => [row.uid, toRevision(row)]));
  }

  /** Inserts or replaces revisions; the foreign key refuses a feed of another site. */
  async save(
    clientKey: string,
    feedId: string,
    revisions: EventRevision[],
    db: Knex.Transaction,
  ): Promise<void> {
    for (let index = 0; index < revisions.length; index += UPSERT_CHUNK) {
      const rows = revisions.slice(index, index + UPSERT_CHUNK).map((revision) => ({
        feed_id: feedId,
        client_key: clientKey,
        uid: revision.uid,
        content_hash: revision.contentHash,
        sequence: revision.sequence,
        changed_at: new Date(revision.changedAt),
      }));
      await db<FeedEventRevisionRow>('feed_event_revisions')
        .insert(rows)
        .onConflict(['feed_id', 'uid'])
        .merge(['content_hash', 'sequence', 'changed_at'])
        // A conflicting row of another site's feed is left alone rather than overwritten.
        .where('feed_event_revisions.client_key', clientKey);
    }
  }
}
