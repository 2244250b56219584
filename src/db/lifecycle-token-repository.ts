import type { Knex } from 'knex';

type LifecycleTokenRow = { token_sha256: string; client_key: string; issued_at: Date; expires_at: Date };

export type LifecycleTokenMark = { sha256: string; issuedAt: Date; expiresAt: Date };

export type ClaimResult = 'claimed' | 'used' | 'older';

export class LifecycleTokenRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<LifecycleTokenRow>('lifecycle_tokens').where({ client_key: clientKey });
  }

  /**
   * Records the token as used unless it already was, or unless a newer one for the site was accepted.
   * Marks of the site's expired tokens are dropped, except the newest one, which holds the line.
   */
  async claim(clientKey: string, mark: LifecycleTokenMark, now: Date): Promise<ClaimResult> {
    return this.knex.transaction(async (trx) => {
      const newest = (await this.scoped(clientKey, trx).max({ issuedAt: 'issued_at' }).first()) as
        { issuedAt: Date | null } | undefined;
      if (newest?.issuedAt && mark.issuedAt.getTime() < newest.issuedAt.getTime()) return 'older';
      const inserted = await trx<LifecycleTokenRow>('lifecycle_tokens')
        .insert({
          token_sha256: mark.sha256,
          client_key: clientKey,
          issued_at: mark.issuedAt,
          expires_at: mark.expiresAt,
        })
        .onConflict('token_sha256')
        .ignore()
        .returning('token_sha256');
      if (inserted.length === 0) return 'used';
      await this.scoped(clientKey, trx)
        .where('expires_at', '<', now)
        .where('issued_at', '<', mark.issuedAt)
        .delete();
      return 'claimed';
    });
  }
}
