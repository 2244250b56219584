import type { Knex } from 'knex';
import type { FeedEvent } from '../domain/feed-event.js';
import { closedAccountsAmong, recordAccountsFetched } from './personal-data-account-repository.js';

type FeedEventRow = {
  feed_id: string;
  client_key: string;
  uid: string;
  issue_id: string | null;
  project_ids: string[];
  user_account_ids: string[];
  event: FeedEvent;
};

const INSERT_CHUNK = 500;

export class FeedEventRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<FeedEventRow>('feed_events').where({ client_key: clientKey });
  }

  async list(clientKey: string, feedId: string, db?: Knex.Transaction): Promise<FeedEvent[]> {
    const rows = await this.scoped(clientKey, db).andWhere({ feed_id: feedId }).select('event');
    return rows.map((row) => row.event).sort(compareEvents);
  }

  async count(clientKey: string, feedId: string): Promise<number> {
    const row = (await this.scoped(clientKey).andWhere({ feed_id: feedId }).count({ n: '*' }).first()) as
      { n: number } | undefined;
    return row?.n ?? 0;
  }

  /** Swaps the whole event set inside the caller's transaction: readers see the old set or the new one, never a mix. */
  async replaceAll(
    clientKey: string,
    feedId: string,
    events: FeedEvent[],
    fetchedAt: Date,
    db: Knex.Transaction,
  ): Promise<void> {
    await this.scoped(clientKey, db).andWhere({ feed_id: feedId }).delete();
    await this.insert(clientKey, feedId, events, fetchedAt, db);
  }

  /**
   * Changes the stored set in the caller's transaction by deleting the events of `removeUids` and adding
   * `events`: a sync that changed a few events rewrites those rows only.
   */
  async replaceSome(
    clientKey: string,
    feedId: string,
    change: { removeUids: readonly string[]; events: readonly FeedEvent[] },
    fetchedAt: Date,
    db: Knex.Transaction,
  ): Promise<void> {
    for (let index = 0; index < change.removeUids.length; index += INSERT_CHUNK) {
      await this.scoped(clientKey, db)
        .andWhere({ feed_id: feedId })
        .whereIn('uid', change.removeUids.slice(index, index + INSERT_CHUNK))
        .delete();
    }
    await this.insert(clientKey, feedId, change.events, fetchedAt, db);
  }

  private async insert(
    clientKey: string,
    feedId: string,
    events: readonly FeedEvent[],
    fetchedAt: Date,
    db: Knex.Transaction,
  ): Promise<void> {
    // Jira still names a closed account by its id (as "Former user"); the app keeps no link to it.
    const closed = await closedAccountsAmong(
      db,
      clientKey,
      events.flatMap((event) => event.userAccountIds),
    );
    const kept =
      closed.size === 0
        ? events
        : events.map((event) =>
            event.userAccountIds.some((id) => closed.has(id))
              ? { ...event, userAccountIds: event.userAccountIds.filter((id) => !closed.has(id)) }
              : event,
          );
    // The names rendered into an event's text come from the same read as its user fields.
    await recordAccountsFetched(
      db,
      clientKey,
      kept.flatMap((event) => event.userAccountIds),
      fetchedAt,
    );
    for (let index = 0; index < kept.length; index += INSERT_CHUNK) {
      const chunk = kept.slice(index, index + INSERT_CHUNK).map((event) => ({
        feed_id: feedId,
        client_key: clientKey,
        uid: event.uid,
        issue_id: event.issueId,
        project_ids: event.projectIds,
        user_account_ids: event.userAccountIds,
        event: JSON.stringify(event) as unknown as FeedEvent,
      }));
      await db<FeedEventRow>('feed_events').insert(chunk);
    }
  }
}

export function compareEvents(a: FeedEvent, b: FeedEvent): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}
