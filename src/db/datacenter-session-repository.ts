import type { Knex } from 'knex';

type SessionRow = {
  id_sha256: string;
  client_key: string;
  account_id: string;
  created_at: Date;
  expires_at: Date;
  checked_at: Date | null;
};

export type DataCenterSession = {
  clientKey: string;
  accountId: string;
  createdAt: Date;
  expiresAt: Date;
  /** When Jira last confirmed the user is still active: sign-in, then each re-check. */
  checkedAt: Date;
};

/**
 * Browser sessions of the Data Center pages, found by the SHA-256 of the cookie. Lookup by hash is the
 * one read not scoped by a tenant key: the cookie is what names the tenant.
 */
export class DataCenterSessionRepository {
  constructor(private readonly knex: Knex) {}

  async create(
    clientKey: string,
    session: { idSha256: string; accountId: string; now: Date; expiresAt: Date },
  ): Promise<void> {
    await this.knex<SessionRow>('datacenter_sessions').insert({
      id_sha256: session.idSha256,
      client_key: clientKey,
      account_id: session.accountId,
      created_at: session.now,
      expires_at: session.expiresAt,
      checked_at: session.now,
    });
  }

  async findLive(idSha256: string, now: Date): Promise<DataCenterSession | null> {
    const row = await this.knex<SessionRow>('datacenter_sessions')
      .where({ id_sha256: idSha256 })
      .andWhere('expires_at', '>', now)
      .first();
    return row
      ? {
          clientKey: row.client_key,
          accountId: row.account_id,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          checkedAt: row.checked_at ?? row.created_at,
        }
      : null;
  }

  async markChecked(clientKey: string, idSha256: string, now: Date): Promise<void> {
    await this.knex<SessionRow>('datacenter_sessions')
      .where({ client_key: clientKey, id_sha256: idSha256 })
      .update({ checked_at: now });
  }

  async delete(clientKey: string, idSha256: string): Promise<void> {
    await this.knex<SessionRow>('datacenter_sessions')
      .where({ client_key: clientKey, id_sha256: idSha256 })
      .delete();
  }

  async deleteForAccount(clientKey: string, accountId: string): Promise<number> {
    return this.knex<SessionRow>('datacenter_sessions')
      .where({ client_key: clientKey, account_id: accountId })
      .delete();
  }

  async deleteExpired(clientKey: string, now: Date): Promise<number> {
    return this.knex<SessionRow>('datacenter_sessions')
      .where({ client_key: clientKey })
      .andWhere('expires_at', '<=', now)
      .delete();
  }
}
