import type { Knex } from 'knex';
import type { ProviderKey } from '../domain/calendar-provider.js';
import { type Bucket, bucketsFor, type ProviderQuotas } from '../domain/provider-quotas.js';

type BudgetRow = { bucket: string; tokens: number; refilled_at: Date; elapsed_ms: number; now_at: Date };

/** How many calls were granted, or (when none) how long until one can be. */
export type BudgetGrant = { granted: number; waitMs: number };

/**
 * Call budgets for calendar providers, shared by every process through `provider_call_budgets`. A person's
 * bucket is named by their site and account; the app's bucket at a provider is one for all sites by
 * nature (the provider counts the project's calls, whoever they were for).
 */
export class ProviderBudgetRepository {
  constructor(private readonly knex: Knex) {}

  /**
   * Takes up to `wanted` calls from every bucket at once, or none: the rows are locked in key order (no
   * deadlock between two takers) and the refill is computed on the database's clock.
   */
  async take(
    clientKey: string,
    caller: { provider: ProviderKey; accountId: string; quotas: ProviderQuotas },
    wanted: number,
  ): Promise<BudgetGrant> {
    const buckets = bucketsFor(caller.quotas, caller.provider, { clientKey, accountId: caller.accountId });
    const ordered = buckets.sort((a, b) => a.key.localeCompare(b.key));
    return this.knex.transaction(async (trx) => {
      let granted = wanted;
      let waitMs = 0;
      const levels: { bucket: Bucket; available: number; at: Date }[] = [];
      for (const bucket of ordered) {
        const row = await this.lock(trx, bucket);
        const available = Math.min(bucket.capacity, row.tokens + Math.max(0, row.elapsed_ms) * bucket.perMs);
        levels.push({ bucket, available, at: row.now_at });
        granted = Math.min(granted, Math.floor(available));
        if (available < 1) waitMs = Math.max(waitMs, (1 - available) / bucket.perMs);
      }
      if (granted < 1) return { granted: 0, waitMs: Math.ceil(waitMs) };
      for (const { bucket, available, at } of levels)
        await trx('provider_call_budgets')
          .where({ bucket: bucket.key })
          .update({ tokens: available - granted, refilled_at: at });
      return { granted, waitMs: 0 };
    });
  }

  private async lock(trx: Knex.Transaction, bucket: Bucket): Promise<BudgetRow> {
    await trx.raw(
      `INSERT INTO provider_call_budgets (bucket, tokens, refilled_at) VALUES (?, ?, clock_timestamp())
       ON CONFLICT (bucket) DO NOTHING`,
      [bucket.key, bucket.capacity],
    );
    // Locked first, read after: the clock is read once the lock is ours, never before a wait for it.
    await trx.raw('SELECT 1 FROM provider_call_budgets WHERE bucket = ? FOR UPDATE', [bucket.key]);
    const result = await trx.raw<{ rows: BudgetRow[] }>(
      `SELECT bucket, tokens, refilled_at, clock_timestamp() AS now_at,
              extract(epoch FROM clock_timestamp() - refilled_at) * 1000 AS elapsed_ms
         FROM provider_call_budgets WHERE bucket = ?`,
      [bucket.key],
    );
    const row = result.rows[0];
    if (!row) throw new Error(`budget row ${bucket.key} vanished`);
    return { ...row, tokens: Number(row.tokens), elapsed_ms: Number(row.elapsed_ms) };
  }
}
