import type { Knex } from 'knex';
import type { Door } from '../domain/installation.js';

type PersonalDataReportRow = {
  client_key: string;
  cycle_seconds: number;
  next_batch_at: Date;
  throttled_until: Date | null;
  failures: number;
  last_answered_at: Date | null;
  last_failed_at: Date | null;
  last_failure_status: number | null;
  last_failure_message: string | null;
  accounts_reported: number;
  accounts_erased: number;
  accounts_refreshed: number;
};

export type PersonalDataReportState = {
  cycleSeconds: number;
  nextBatchAt: Date;
  throttledUntil: Date | null;
  failures: number;
  lastAnsweredAt: Date | null;
  lastFailedAt: Date | null;
  lastFailureStatus: number | null;
  lastFailureMessage: string | null;
  accountsReported: number;
  accountsErased: number;
  accountsRefreshed: number;
};

const toState = (row: PersonalDataReportRow): PersonalDataReportState => ({
  cycleSeconds: row.cycle_seconds,
  nextBatchAt: row.next_batch_at,
  throttledUntil: row.throttled_until,
  failures: row.failures,
  lastAnsweredAt: row.last_answered_at,
  lastFailedAt: row.last_failed_at,
  lastFailureStatus: row.last_failure_status,
  lastFailureMessage: row.last_failure_message,
  accountsReported: row.accounts_reported,
  accountsErased: row.accounts_erased,
  accountsRefreshed: row.accounts_refreshed,
});

export type ReportStateChange = Partial<
  Pick<
    PersonalDataReportState,
    | 'cycleSeconds'
    | 'nextBatchAt'
    | 'throttledUntil'
    | 'failures'
    | 'lastAnsweredAt'
    | 'lastFailedAt'
    | 'lastFailureStatus'
    | 'lastFailureMessage'
  >
> & { addReported?: number; addErased?: number; addRefreshed?: number };

/** Each site's place in its Personal Data Reporting cycle. */
export class PersonalDataReportRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<PersonalDataReportRow>('personal_data_reports').where({ client_key: clientKey });
  }

  async find(clientKey: string): Promise<PersonalDataReportState | null> {
    const row = await this.scoped(clientKey).first();
    return row ? toState(row) : null;
  }

  /** The site's state, created with `initial` the first time, locked until the transaction ends. */
  async lock(
    clientKey: string,
    initial: { cycleSeconds: number; nextBatchAt: Date },
    trx: Knex.Transaction,
  ): Promise<PersonalDataReportState> {
    await trx<PersonalDataReportRow>('personal_data_reports')
      .insert({
        client_key: clientKey,
        cycle_seconds: initial.cycleSeconds,
        next_batch_at: initial.nextBatchAt,
      })
      .onConflict('client_key')
      .ignore();
    const row = await this.scoped(clientKey, trx).forUpdate().first();
    if (!row) throw new Error('personal data report state vanished inside its transaction');
    return toState(row);
  }

  async update(clientKey: string, change: ReportStateChange, db?: Knex.Transaction): Promise<void> {
    const d = db ?? this.knex;
    const set: Record<string, unknown> = {};
    if (change.cycleSeconds !== undefined) set['cycle_seconds'] = change.cycleSeconds;
    if (change.nextBatchAt !== undefined) set['next_batch_at'] = change.nextBatchAt;
    if (change.throttledUntil !== undefined) set['throttled_until'] = change.throttledUntil;
    if (change.failures !== undefined) set['failures'] = change.failures;
    if (change.lastAnsweredAt !== undefined) set['last_answered_at'] = change.lastAnsweredAt;
    if (change.lastFailedAt !== undefined) set['last_failed_at'] = change.lastFailedAt;
    if (change.lastFailureStatus !== undefined) set['last_failure_status'] = change.lastFailureStatus;
    if (change.lastFailureMessage !== undefined) set['last_failure_message'] = change.lastFailureMessage;
    if (change.addReported) set['accounts_reported'] = d.raw('accounts_reported + ?', [change.addReported]);
    if (change.addErased) set['accounts_erased'] = d.raw('accounts_erased + ?', [change.addErased]);
    if (change.addRefreshed)
      set['accounts_refreshed'] = d.raw('accounts_refreshed + ?', [change.addRefreshed]);
    if (Object.keys(set).length === 0) return;
    await d('personal_data_reports').where({ client_key: clientKey }).update(set);
  }

  /**
   * Installed sites of `door` whose next batch is due: never reported yet, or past their pacing, their
   * Retry-After or their back-off. Cross-tenant on purpose: it is the scheduler's entry point.
   */
  async sitesDue(door: Door, now: Date): Promise<string[]> {
    const rows: { client_key: string }[] = await this.knex('installations as i')
      .leftJoin('personal_data_reports as r', 'r.client_key', 'i.client_key')
      .where({ 'i.state': 'installed', 'i.door': door })
      .andWhere((q) => q.whereNull('r.client_key').orWhere('r.next_batch_at', '<=', now))
      .select('i.client_key');
    return rows.map((row) => row.client_key);
  }
}
