import type { Knex } from 'knex';

type PersonalDataAccountRow = {
  client_key: string;
  account_id: string;
  fetched_at: Date;
  refresh_requested_at: Date | null;
  reported_at: Date | null;
  closed_at: Date | null;
  lease_id: string | null;
  leased_until: Date | null;
};

export type PersonalDataAccount = {
  accountId: string;
  /** The oldest time anything held about the account was fetched from Jira. */
  fetchedAt: Date;
  refreshRequestedAt: Date | null;
  reportedAt: Date | null;
  closedAt: Date | null;
  leaseId: string | null;
  leasedUntil: Date | null;
};

const toAccount = (row: PersonalDataAccountRow): PersonalDataAccount => ({
  accountId: row.account_id,
  fetchedAt: row.fetched_at,
  refreshRequestedAt: row.refresh_requested_at,
  reportedAt: row.reported_at,
  closedAt: row.closed_at,
  leaseId: row.lease_id,
  leasedUntil: row.leased_until,
});

const CHUNK = 1000;

/**
 * Notes that data naming these accounts was fetched from Jira at `fetchedAt`, in the caller's statement
 * or transaction. Called by the repositories that write such data (authorship, personal URLs, cached
 * memberships, events), so no write can leave an account out. The oldest fetch time is kept, except that
 * the first write after Atlassian said `updated` starts it afresh.
 */
export async function recordAccountsFetched(
  db: Knex | Knex.Transaction,
  clientKey: string,
  accountIds: Iterable<string | null>,
  fetchedAt: Date,
): Promise<void> {
  const unique = [...new Set(accountIds)].filter((id): id is string => typeof id === 'string' && id !== '');
  for (let index = 0; index < unique.length; index += CHUNK) {
    const rows = unique.slice(index, index + CHUNK).map((accountId) => ({
      client_key: clientKey,
      account_id: accountId,
      fetched_at: fetchedAt,
    }));
    await db<PersonalDataAccountRow>('personal_data_accounts')
      .insert(rows)
      .onConflict(['client_key', 'account_id'])
      .merge({
        fetched_at: db.raw(
          `CASE WHEN personal_data_accounts.refresh_requested_at IS NOT NULL
                 AND excluded.fetched_at >= personal_data_accounts.refresh_requested_at
            THEN excluded.fetched_at
            ELSE LEAST(personal_data_accounts.fetched_at, excluded.fetched_at) END`,
        ),
        refresh_requested_at: db.raw(
          `CASE WHEN excluded.fetched_at >= personal_data_accounts.refresh_requested_at
            THEN NULL ELSE personal_data_accounts.refresh_requested_at END`,
        ),
      });
  }
}

/** Those of `accountIds` that Atlassian reported closed on the site: the app keeps no link to them. */
export async function closedAccountsAmong(
  db: Knex | Knex.Transaction,
  clientKey: string,
  accountIds: readonly string[],
): Promise<Set<string>> {
  if (accountIds.length === 0) return new Set();
  const rows = await db<PersonalDataAccountRow>('personal_data_accounts')
    .where({ client_key: clientKey })
    .whereNotNull('closed_at')
    .whereIn('account_id', [...new Set(accountIds)])
    .select('account_id');
  return new Set(rows.map((row) => row.account_id));
}

/** The registry of accounts a site's data names, and their place in the Personal Data Reporting cycle. */
export class PersonalDataAccountRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<PersonalDataAccountRow>('personal_data_accounts').where({ client_key: clientKey });
  }

  record(
    clientKey: string,
    accountIds: Iterable<string>,
    fetchedAt: Date,
    db?: Knex.Transaction,
  ): Promise<void> {
    return recordAccountsFetched(db ?? this.knex, clientKey, accountIds, fetchedAt);
  }

  async find(clientKey: string, accountId: string): Promise<PersonalDataAccount | null> {
    const row = await this.scoped(clientKey).andWhere({ account_id: accountId }).first();
    return row ? toAccount(row) : null;
  }

  async list(clientKey: string): Promise<PersonalDataAccount[]> {
    const rows = await this.scoped(clientKey).orderBy('account_id');
    return rows.map(toAccount);
  }

  /**
   * Forgets open accounts the site's data no longer names (a feed deleted, a URL or an account erased by
   * an administrator): Atlassian is asked only about accounts the app holds. Closed ones stay, so they
   * are never asked about again; leased ones stay until their batch is settled.
   */
  async pruneUnheld(clientKey: string, db?: Knex.Transaction): Promise<number> {
    const result = await (db ?? this.knex).raw<{ rowCount: number | null }>(
      `WITH held AS (
         SELECT created_by_account_id AS id FROM feeds WHERE client_key = :k
         UNION SELECT updated_by_account_id FROM feeds WHERE client_key = :k
         UNION SELECT run_as_account_id FROM feeds WHERE client_key = :k AND run_as_account_id IS NOT NULL
         UNION SELECT account_id FROM feed_subscriptions WHERE client_key = :k AND account_id IS NOT NULL
         UNION SELECT account_id FROM jira_users WHERE client_key = :k
         UNION SELECT actor FROM jira_role_actors WHERE client_key = :k AND actor_kind = 'user'
         UNION SELECT unnest(e.user_account_ids) FROM feeds f
                 JOIN feed_events e ON e.feed_id = f.id AND e.client_key = f.client_key WHERE f.client_key = :k
         UNION SELECT account_id FROM datacenter_user_tokens WHERE client_key = :k
         UNION SELECT account_id FROM datacenter_sessions WHERE client_key = :k
       )
       DELETE FROM personal_data_accounts p
        WHERE p.client_key = :k AND p.closed_at IS NULL AND p.lease_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM held WHERE held.id = p.account_id)`,
      { k: clientKey },
    );
    return result.rowCount ?? 0;
  }

  /** The next open accounts after `after` in account id order: a sweep's page that survives restarts. */
  async listOpenAfter(clientKey: string, after: string | null, limit: number): Promise<string[]> {
    let query = this.scoped(clientKey).whereNull('closed_at');
    if (after !== null) query = query.andWhere('account_id', '>', after);
    const rows = await query.orderBy('account_id').limit(limit).select('account_id');
    return rows.map((row) => row.account_id);
  }

  /** Accounts still asked about (not closed). */
  async countOpen(clientKey: string, db?: Knex.Transaction): Promise<number> {
    const row = (await this.scoped(clientKey, db).whereNull('closed_at').count({ n: '*' }).first()) as
      { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  /**
   * Leases up to `limit` open accounts that were not answered for since `answeredBefore` and are not
   * leased to a live batch, oldest report first. A lease that runs out (a crashed process) frees them.
   */
  async leaseDue(
    clientKey: string,
    lease: { leaseId: string; now: Date; leasedUntil: Date; answeredBefore: Date; limit: number },
    db?: Knex.Transaction,
  ): Promise<PersonalDataAccount[]> {
    const due = this.scoped(clientKey, db)
      .whereNull('closed_at')
      .andWhere((q) => q.whereNull('reported_at').orWhere('reported_at', '<=', lease.answeredBefore))
      .andWhere((q) => q.whereNull('leased_until').orWhere('leased_until', '<=', lease.now))
      .orderByRaw('reported_at NULLS FIRST, fetched_at, account_id')
      .limit(lease.limit)
      .select('account_id');
    const rows = await this.scoped(clientKey, db)
      .whereIn('account_id', due)
      .update({ lease_id: lease.leaseId, leased_until: lease.leasedUntil })
      .returning('*');
    return rows.map(toAccount).sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  }

  async listLeased(clientKey: string, leaseId: string, db?: Knex.Transaction): Promise<string[]> {
    const rows = await this.scoped(clientKey, db).andWhere({ lease_id: leaseId }).select('account_id');
    return rows.map((row) => row.account_id);
  }

  /** Atlassian answered for the batch: its accounts are done for this cycle. */
  async markReported(clientKey: string, leaseId: string, at: Date, db?: Knex.Transaction): Promise<number> {
    return this.scoped(clientKey, db)
      .andWhere({ lease_id: leaseId })
      .update({ reported_at: at, lease_id: null, leased_until: null });
  }

  /** No answer for the batch: its accounts are offered again in a later batch. */
  async release(clientKey: string, leaseId: string, db?: Knex.Transaction): Promise<number> {
    return this.scoped(clientKey, db)
      .andWhere({ lease_id: leaseId })
      .update({ lease_id: null, leased_until: null });
  }

  async markClosed(clientKey: string, accountId: string, at: Date, db?: Knex.Transaction): Promise<void> {
    await this.scoped(clientKey, db).andWhere({ account_id: accountId }).update({ closed_at: at });
  }

  /** Atlassian said `updated`: the next fresh write of the account's data starts its fetch time afresh. */
  async requestRefresh(clientKey: string, accountId: string, at: Date, db?: Knex.Transaction): Promise<void> {
    await this.scoped(clientKey, db).andWhere({ account_id: accountId }).update({ refresh_requested_at: at });
  }

  /** Nothing held for the account can go stale (only its id): it counts as fetched `at`. */
  async markFresh(clientKey: string, accountId: string, at: Date, db?: Knex.Transaction): Promise<void> {
    await this.scoped(clientKey, db)
      .andWhere({ account_id: accountId })
      .update({ fetched_at: at, refresh_requested_at: null });
  }
}
