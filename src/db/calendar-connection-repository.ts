import type { Knex } from 'knex';
import type { ProviderKey } from '../domain/calendar-provider.js';
import type { CalendarConnection, ConnectionState } from '../domain/live-calendar.js';

type ConnectionRow = {
  id: string;
  client_key: string;
  account_id: string;
  feed_id: string;
  calendar: string;
  subscription_id: string | null;
  provider: string;
  remote_calendar_id: string | null;
  refresh_token_sealed: Buffer | null;
  state: string;
  state_reason: string | null;
  created_at: Date;
  last_push_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  event_count: number;
  pending_count: number;
  paused_at: Date | null;
};

const toConnection = (row: ConnectionRow): CalendarConnection => ({
  id: row.id,
  clientKey: row.client_key,
  accountId: row.account_id,
  feedId: row.feed_id,
  calendar: row.calendar,
  subscriptionId: row.subscription_id,
  provider: row.provider as ProviderKey,
  remoteCalendarId: row.remote_calendar_id,
  state: row.state as ConnectionState,
  stateReason: row.state_reason,
  createdAt: row.created_at,
  lastPushAt: row.last_push_at,
  lastError: row.last_error,
  lastErrorAt: row.last_error_at,
  eventCount: row.event_count,
  pendingCount: row.pending_count,
  pausedAt: row.paused_at,
});

/** What a push or a (re)connect changes on a connection. */
export type ConnectionUpdate = Partial<{
  subscriptionId: string | null;
  remoteCalendarId: string | null;
  state: ConnectionState;
  stateReason: string | null;
  lastPushAt: Date;
  lastError: string | null;
  lastErrorAt: Date | null;
  eventCount: number;
  pendingCount: number;
  pausedAt: Date | null;
}>;

const COLUMNS: Record<keyof ConnectionUpdate, keyof ConnectionRow> = {
  subscriptionId: 'subscription_id',
  remoteCalendarId: 'remote_calendar_id',
  state: 'state',
  stateReason: 'state_reason',
  lastPushAt: 'last_push_at',
  lastError: 'last_error',
  lastErrorAt: 'last_error_at',
  eventCount: 'event_count',
  pendingCount: 'pending_count',
  pausedAt: 'paused_at',
};

/** Live calendars (`calendar_connections`), always within one site. */
export class CalendarConnectionRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string) {
    return this.knex<ConnectionRow>('calendar_connections').where({ client_key: clientKey });
  }

  async findById(clientKey: string, id: string): Promise<CalendarConnection | null> {
    const row = await this.scoped(clientKey).andWhere({ id }).first();
    return row ? toConnection(row) : null;
  }

  async findFor(
    clientKey: string,
    key: { accountId: string; feedId: string; calendar: string; provider: ProviderKey },
  ): Promise<CalendarConnection | null> {
    const row = await this.scoped(clientKey)
      .andWhere({
        account_id: key.accountId,
        feed_id: key.feedId,
        calendar: key.calendar,
        provider: key.provider,
      })
      .first();
    return row ? toConnection(row) : null;
  }

  async listForAccount(clientKey: string, accountId: string): Promise<CalendarConnection[]> {
    const rows = await this.scoped(clientKey).andWhere({ account_id: accountId }).orderBy('created_at');
    return rows.map(toConnection);
  }

  /** Live connections of a site, of one feed or one account when given. */
  async listLive(
    clientKey: string,
    filter: { feedId?: string; accountId?: string } = {},
  ): Promise<CalendarConnection[]> {
    let query = this.scoped(clientKey).andWhere({ state: 'live' });
    if (filter.feedId !== undefined) query = query.andWhere({ feed_id: filter.feedId });
    if (filter.accountId !== undefined) query = query.andWhere({ account_id: filter.accountId });
    return (await query.orderBy('created_at')).map(toConnection);
  }

  /** Per feed of the site, how many live connections each provider holds. */
  async countLiveByFeed(clientKey: string): Promise<Map<string, Partial<Record<ProviderKey, number>>>> {
    const rows = (await this.scoped(clientKey)
      .andWhere({ state: 'live' })
      .groupBy('feed_id', 'provider')
      .select('feed_id', 'provider')
      .count({ n: '*' })) as unknown as { feed_id: string; provider: ProviderKey; n: string | number }[];
    const counts = new Map<string, Partial<Record<ProviderKey, number>>>();
    for (const row of rows)
      counts.set(row.feed_id, { ...counts.get(row.feed_id), [row.provider]: Number(row.n) });
    return counts;
  }

  /** A new connection, or the same person's earlier one for this calendar made live again. */
  async saveConnected(
    clientKey: string,
    connection: Omit<
      CalendarConnection,
      | 'clientKey'
      | 'state'
      | 'stateReason'
      | 'lastPushAt'
      | 'lastError'
      | 'lastErrorAt'
      | 'eventCount'
      | 'pendingCount'
      | 'pausedAt'
    >,
    refreshTokenSealed: Buffer,
  ): Promise<void> {
    await this.knex<ConnectionRow>('calendar_connections')
      .insert({
        id: connection.id,
        client_key: clientKey,
        account_id: connection.accountId,
        feed_id: connection.feedId,
        calendar: connection.calendar,
        subscription_id: connection.subscriptionId,
        provider: connection.provider,
        remote_calendar_id: connection.remoteCalendarId,
        refresh_token_sealed: refreshTokenSealed,
        state: 'live',
        state_reason: null,
        created_at: connection.createdAt,
        last_error: null,
        last_error_at: null,
      })
      .onConflict('id')
      .merge([
        'subscription_id',
        'remote_calendar_id',
        'refresh_token_sealed',
        'state',
        'state_reason',
        'last_error',
        'last_error_at',
      ]);
  }

  async sealedToken(clientKey: string, id: string): Promise<Buffer | null> {
    const row = await this.scoped(clientKey).andWhere({ id }).first('refresh_token_sealed');
    return row?.refresh_token_sealed ?? null;
  }

  async update(clientKey: string, id: string, update: ConnectionUpdate): Promise<void> {
    const row: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(update)) row[COLUMNS[key as keyof ConnectionUpdate]] = value;
    if (Object.keys(row).length > 0)
      await this.scoped(clientKey)
        .andWhere({ id })
        .update(row as Partial<ConnectionRow>);
  }

  /** The grant is gone: the token is erased with the state change, in one statement. */
  async markBroken(clientKey: string, id: string, reason: string, at: Date): Promise<void> {
    await this.scoped(clientKey).andWhere({ id }).update({
      state: 'broken',
      state_reason: reason,
      refresh_token_sealed: null,
      last_error: reason,
      last_error_at: at,
    });
  }

  async delete(clientKey: string, id: string): Promise<void> {
    await this.scoped(clientKey).andWhere({ id }).delete();
  }
}
