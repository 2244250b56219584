import type { Knex } from 'knex';
import type { ProviderKey } from '../domain/calendar-provider.js';

type AttemptRow = {
  state_sha256: string;
  client_key: string;
  account_id: string;
  feed_id: string;
  calendar: string;
  provider: string;
  verifier_sealed: Buffer;
  expires_at: Date;
};

export type ConnectAttempt = {
  stateSha256: string;
  accountId: string;
  feedId: string;
  calendar: string;
  provider: ProviderKey;
  verifierSealed: Buffer;
  expiresAt: Date;
};

/** Connects waiting for the provider's callback (`calendar_connect_attempts`), always within one site. */
export class CalendarConnectAttemptRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string) {
    return this.knex<AttemptRow>('calendar_connect_attempts').where({ client_key: clientKey });
  }

  async create(clientKey: string, attempt: ConnectAttempt, now: Date): Promise<void> {
    await this.scoped(clientKey).andWhere('expires_at', '<=', now).delete();
    await this.knex<AttemptRow>('calendar_connect_attempts').insert({
      state_sha256: attempt.stateSha256,
      client_key: clientKey,
      account_id: attempt.accountId,
      feed_id: attempt.feedId,
      calendar: attempt.calendar,
      provider: attempt.provider,
      verifier_sealed: attempt.verifierSealed,
      expires_at: attempt.expiresAt,
    });
  }

  /** The attempt, removed as it is read: a second callback with the same state finds nothing. */
  async consume(clientKey: string, stateSha256: string, now: Date): Promise<ConnectAttempt | null> {
    const [row] = await this.scoped(clientKey)
      .andWhere({ state_sha256: stateSha256 })
      .delete()
      .returning('*');
    if (!row || row.expires_at <= now) return null;
    return {
      stateSha256: row.state_sha256,
      accountId: row.account_id,
      feedId: row.feed_id,
      calendar: row.calendar,
      provider: row.provider as ProviderKey,
      verifierSealed: row.verifier_sealed,
      expiresAt: row.expires_at,
    };
  }
}
