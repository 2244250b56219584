import type { Knex } from 'knex';

type ForgeTokenRow = { client_key: string; token: string; expires_at: Date; received_at: Date };

export type ForgeSystemToken = { token: string; expiresAt: Date; receivedAt: Date };

/** The newest system token Forge handed the remote for each installation; the only way to reach Jira offline. */
export class ForgeTokenRepository {
  constructor(private readonly knex: Knex) {}

  /** Keeps the token only if it outlives the stored one (Forge's retries and parallel calls arrive out of order). */
  async saveIfNewer(clientKey: string, token: string, expiresAt: Date, now: Date): Promise<boolean> {
    const result = await this.knex.raw<{ rows: unknown[] }>(
      `INSERT INTO forge_system_tokens (client_key, token, expires_at, received_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (client_key) DO UPDATE
         SET token = excluded.token, expires_at = excluded.expires_at, received_at = excluded.received_at
         WHERE forge_system_tokens.expires_at < excluded.expires_at
       RETURNING client_key`,
      [clientKey, token, expiresAt, now],
    );
    return result.rows.length > 0;
  }

  /** Forgets the stored token if it is still `token` (a newer one saved meanwhile stays). */
  async dropIfCurrent(clientKey: string, token: string): Promise<boolean> {
    const deleted = await this.knex<ForgeTokenRow>('forge_system_tokens')
      .where({ client_key: clientKey, token })
      .delete();
    return deleted > 0;
  }

  async find(clientKey: string): Promise<ForgeSystemToken | null> {
    const row = await this.knex<ForgeTokenRow>('forge_system_tokens')
      .where({ client_key: clientKey })
      .first();
    return row ? { token: row.token, expiresAt: row.expires_at, receivedAt: row.received_at } : null;
  }
}
