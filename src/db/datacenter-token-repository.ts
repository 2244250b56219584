import type { Knex } from 'knex';
import { recordAccountsFetched } from './personal-data-account-repository.js';

type TokenRow = {
  client_key: string;
  account_id: string;
  refresh_token_encrypted: Buffer;
  scope: string;
  signed_in_at: Date;
  refreshed_at: Date;
  refused_at: Date | null;
};

export type StoredUserToken = {
  accountId: string;
  refreshTokenEncrypted: Buffer;
  scope: string;
  signedInAt: Date;
  refreshedAt: Date;
  refusedAt: Date | null;
};

const toToken = (row: TokenRow): StoredUserToken => ({
  accountId: row.account_id,
  refreshTokenEncrypted: row.refresh_token_encrypted,
  scope: row.scope,
  signedInAt: row.signed_in_at,
  refreshedAt: row.refreshed_at,
  refusedAt: row.refused_at,
});

/** Data Center users' encrypted refresh tokens; the repository never sees a token in the clear. */
export class DataCenterTokenRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<TokenRow>('datacenter_user_tokens').where({ client_key: clientKey });
  }

  async find(clientKey: string, accountId: string, db?: Knex.Transaction): Promise<StoredUserToken | null> {
    const row = await this.scoped(clientKey, db).andWhere({ account_id: accountId }).first();
    return row ? toToken(row) : null;
  }

  /** The row locked for a refresh: refresh tokens rotate, so two processes must not spend the same one. */
  async findForUpdate(
    clientKey: string,
    accountId: string,
    trx: Knex.Transaction,
  ): Promise<StoredUserToken | null> {
    const row = await this.scoped(clientKey, trx).andWhere({ account_id: accountId }).forUpdate().first();
    return row ? toToken(row) : null;
  }

  /** A sign-in: the new token replaces any earlier one, refused or not. */
  async saveSignIn(
    clientKey: string,
    accountId: string,
    token: { encrypted: Buffer; scope: string },
    now: Date,
  ): Promise<void> {
    await this.knex.transaction(async (trx) => {
      await trx<TokenRow>('datacenter_user_tokens')
        .insert({
          client_key: clientKey,
          account_id: accountId,
          refresh_token_encrypted: token.encrypted,
          scope: token.scope,
          signed_in_at: now,
          refreshed_at: now,
          refused_at: null,
        })
        .onConflict(['client_key', 'account_id'])
        .merge(['refresh_token_encrypted', 'scope', 'signed_in_at', 'refreshed_at', 'refused_at']);
      // A user who only signed in is stored too: the sweep of stored users must find them.
      await recordAccountsFetched(trx, clientKey, [accountId], now);
    });
  }

  async saveRefreshed(
    clientKey: string,
    accountId: string,
    encrypted: Buffer,
    now: Date,
    trx: Knex.Transaction,
  ): Promise<void> {
    await this.scoped(clientKey, trx)
      .andWhere({ account_id: accountId })
      .update({ refresh_token_encrypted: encrypted, refreshed_at: now });
  }

  async markRefused(clientKey: string, accountId: string, now: Date, db?: Knex.Transaction): Promise<void> {
    await this.scoped(clientKey, db)
      .andWhere({ account_id: accountId })
      .whereNull('refused_at')
      .update({ refused_at: now });
  }

  async delete(clientKey: string, accountId: string): Promise<boolean> {
    return (await this.scoped(clientKey).andWhere({ account_id: accountId }).delete()) > 0;
  }

  /** Users whose token Jira still honours, most recently refreshed first. */
  async listUsable(clientKey: string): Promise<string[]> {
    const rows = await this.scoped(clientKey)
      .whereNull('refused_at')
      .orderBy('refreshed_at', 'desc')
      .select('account_id');
    return rows.map((row) => row.account_id);
  }
}
