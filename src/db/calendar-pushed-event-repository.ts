import type { Knex } from 'knex';
import type { PushedRecord } from '../domain/live-calendar.js';

type PushedRow = {
  connection_id: string;
  client_key: string;
  uid: string;
  remote_id: string;
  digest: string;
};

/** What each live calendar holds at its provider (`calendar_pushed_events`), always within one site. */
export class CalendarPushedEventRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, connectionId: string) {
    return this.knex<PushedRow>('calendar_pushed_events').where({
      client_key: clientKey,
      connection_id: connectionId,
    });
  }

  async list(clientKey: string, connectionId: string): Promise<PushedRecord[]> {
    const rows = await this.scoped(clientKey, connectionId).orderBy('uid');
    return rows.map((row) => ({ uid: row.uid, remoteId: row.remote_id, digest: row.digest }));
  }

  async put(clientKey: string, connectionId: string, record: PushedRecord): Promise<void> {
    await this.knex<PushedRow>('calendar_pushed_events')
      .insert({
        connection_id: connectionId,
        client_key: clientKey,
        uid: record.uid,
        remote_id: record.remoteId,
        digest: record.digest,
      })
      .onConflict(['connection_id', 'uid'])
      .merge(['remote_id', 'digest']);
  }

  async remove(clientKey: string, connectionId: string, uid: string): Promise<void> {
    await this.scoped(clientKey, connectionId).andWhere({ uid }).delete();
  }

  /** Forgets everything pushed: the remote calendar is gone or new. */
  async clear(clientKey: string, connectionId: string): Promise<void> {
    await this.scoped(clientKey, connectionId).delete();
  }
}
