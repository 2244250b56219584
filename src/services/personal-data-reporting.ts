import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { PersonalDataAccountRepository } from '../db/personal-data-account-repository.js';
import type {
  PersonalDataReportRepository,
  PersonalDataReportState,
} from '../db/personal-data-report-repository.js';
import type { Logger } from '../logger.js';
import type { InstallationService } from './installation-service.js';
import type { Metrics } from './metrics.js';
import type { PrivacyService } from './privacy-service.js';
import type { SyncRequests } from './sync-requests.js';

/** Atlassian's limit on one report-accounts request. */
export const MAX_BATCH_ACCOUNTS = 90;
/** Atlassian's default cycle: each account is asked about at most once in it. */
export const DEFAULT_CYCLE_SECONDS = 7 * 24 * 3600;
/** How long a batch may be out before its accounts are offered again (a process died holding it). */
const LEASE_MS = 10 * 60_000;
/** A site with nothing due looks again after this, for accounts its data came to name meanwhile. */
const IDLE_CHECK_MS = 3_600_000;
const FIRST_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 6 * 3_600_000;
const MIN_CYCLE_SECONDS = 3600;

export type PersonalDataBatch = { id: string; accounts: { accountId: string; updatedAt: string }[] };

export type PersonalDataAnswer =
  /** 200 (accounts needing action) or 204 (none), with the Cycle-Period header if Atlassian sent one. */
  | {
      kind: 'answered';
      accounts: { accountId: string; status: 'closed' | 'updated' }[];
      cyclePeriodSeconds?: number;
    }
  /** 429: no batch before Retry-After. */
  | { kind: 'throttled'; retryAfterSeconds: number }
  /** 400, 5xx, or no answer at all (status 0): the batch goes again after a back-off. */
  | { kind: 'failed'; status: number; message?: string };

export type PersonalDataReportStatus = {
  accountsHeld: number;
  lastReportedAt: Date | null;
  nextBatchAt: Date | null;
  accountsReported: number;
  accountsErased: number;
  accountsRefreshed: number;
  /** Set while Atlassian's Retry-After holds the next batch back. */
  throttledUntil: Date | null;
  /** Set while batches fail (consecutive failures, the last one's status and message). */
  failing: { failures: number; status: number | null; message: string | null; at: Date | null } | null;
};

/**
 * Personal Data Reporting for one installation, the part both cloud doors share: which accounts to ask
 * Atlassian about next (at most 90, each at most once a cycle, batches spread over the cycle), and what
 * to do with the answer. A door sends the batch its own way and hands the answer to `settle`.
 */
export class PersonalDataReporting {
  constructor(
    private readonly deps: {
      knex: Knex;
      accounts: PersonalDataAccountRepository;
      reports: PersonalDataReportRepository;
      installations: InstallationService;
      privacy: PrivacyService;
      syncRequests: SyncRequests;
      queue: { enqueueAccessRefresh(clientKey: string): Promise<void> };
      metrics?: Metrics;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  /**
   * Leases the next batch of accounts to report, or null when none is due yet (paced, throttled, backing
   * off, or every account already answered for this cycle). The batch is the caller's until `settle`, or
   * until its lease runs out and its accounts are offered again.
   */
  async nextBatch(clientKey: string): Promise<PersonalDataBatch | null> {
    if (!(await this.deps.installations.findActive(clientKey))) return null;
    const now = this.deps.now();
    return this.deps.knex.transaction(async (trx) => {
      const state = await this.deps.reports.lock(
        clientKey,
        { cycleSeconds: DEFAULT_CYCLE_SECONDS, nextBatchAt: now },
        trx,
      );
      if (state.nextBatchAt > now) return null;
      await this.deps.accounts.pruneUnheld(clientKey, trx);
      const leaseId = randomUUID();
      const leasedUntil = new Date(now.getTime() + LEASE_MS);
      const accounts = await this.deps.accounts.leaseDue(
        clientKey,
        {
          leaseId,
          now,
          leasedUntil,
          answeredBefore: new Date(now.getTime() - state.cycleSeconds * 1000),
          limit: MAX_BATCH_ACCOUNTS,
        },
        trx,
      );
      // While a batch is out no other goes; if its sender dies, the next one starts when the lease ends.
      const nextBatchAt = accounts.length > 0 ? leasedUntil : new Date(now.getTime() + IDLE_CHECK_MS);
      await this.deps.reports.update(clientKey, { nextBatchAt }, trx);
      if (accounts.length === 0) return null;
      return {
        id: leaseId,
        accounts: accounts.map((account) => ({
          accountId: account.accountId,
          updatedAt: account.fetchedAt.toISOString(),
        })),
      };
    });
  }

  /**
   * Acts on Atlassian's answer to a batch: `closed` accounts are erased and never asked about again,
   * `updated` ones are read afresh from Jira; a 429 holds the site to Retry-After, a failure backs off.
   * Erasures run before the batch is marked answered, so a crash in between repeats them, never skips
   * them. A batch already settled (or taken over after its lease ran out) is ignored.
   */
  async settle(clientKey: string, batchId: string, answer: PersonalDataAnswer): Promise<void> {
    const leased = new Set(await this.deps.accounts.listLeased(clientKey, batchId));
    if (leased.size === 0) {
      this.deps.logger.info({ clientKey }, 'personal data report answer for a batch no longer out');
      return;
    }
    const now = this.deps.now();
    switch (answer.kind) {
      case 'answered':
        return this.settleAnswered(clientKey, batchId, leased, answer, now);
      case 'throttled': {
        const until = new Date(now.getTime() + Math.max(0, answer.retryAfterSeconds) * 1000);
        await this.deps.knex.transaction(async (trx) => {
          await this.deps.accounts.release(clientKey, batchId, trx);
          await this.deps.reports.update(
            clientKey,
            { nextBatchAt: until, throttledUntil: until, lastFailedAt: now, lastFailureStatus: 429 },
            trx,
          );
        });
        this.deps.metrics?.recordPersonalDataReport(429, { reported: 0, erased: 0, refreshed: 0 });
        this.deps.logger.warn(
          { clientKey, retryAfterSeconds: answer.retryAfterSeconds },
          'personal data report throttled',
        );
        return;
      }
      case 'failed': {
        await this.deps.knex.transaction(async (trx) => {
          const state = await this.deps.reports.lock(
            clientKey,
            { cycleSeconds: DEFAULT_CYCLE_SECONDS, nextBatchAt: now },
            trx,
          );
          const failures = state.failures + 1;
          const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1));
          await this.deps.accounts.release(clientKey, batchId, trx);
          await this.deps.reports.update(
            clientKey,
            {
              nextBatchAt: new Date(now.getTime() + backoff),
              throttledUntil: null,
              failures,
              lastFailedAt: now,
              lastFailureStatus: answer.status,
              lastFailureMessage: (answer.message ?? '').slice(0, 500) || null,
            },
            trx,
          );
        });
        this.deps.metrics?.recordPersonalDataReport(answer.status, { reported: 0, erased: 0, refreshed: 0 });
        this.deps.logger.warn({ clientKey, status: answer.status }, 'personal data report failed');
        return;
      }
    }
  }

  private async settleAnswered(
    clientKey: string,
    batchId: string,
    leased: ReadonlySet<string>,
    answer: Extract<PersonalDataAnswer, { kind: 'answered' }>,
    now: Date,
  ): Promise<void> {
    const closed = unique(answer.accounts, 'closed').filter((id) => leased.has(id));
    const updated = unique(answer.accounts, 'updated').filter((id) => leased.has(id) && !closed.includes(id));
    for (const accountId of closed) {
      await this.deps.privacy.eraseAccount(clientKey, accountId);
      await this.deps.accounts.markClosed(clientKey, accountId, now);
    }
    await this.refreshUpdated(clientKey, updated, now);
    const cycleSeconds = validCycle(answer.cyclePeriodSeconds);
    await this.deps.knex.transaction(async (trx) => {
      const state = await this.deps.reports.lock(
        clientKey,
        { cycleSeconds: DEFAULT_CYCLE_SECONDS, nextBatchAt: now },
        trx,
      );
      const reported = await this.deps.accounts.markReported(clientKey, batchId, now, trx);
      const cycle = cycleSeconds ?? state.cycleSeconds;
      const open = await this.deps.accounts.countOpen(clientKey, trx);
      await this.deps.reports.update(
        clientKey,
        {
          cycleSeconds: cycle,
          nextBatchAt: new Date(now.getTime() + paceMs(cycle, open)),
          throttledUntil: null,
          failures: 0,
          lastAnsweredAt: now,
          lastFailureStatus: null,
          lastFailureMessage: null,
          addReported: reported,
          addErased: closed.length,
          addRefreshed: updated.length,
        },
        trx,
      );
    });
    this.deps.metrics?.recordPersonalDataReport(answer.accounts.length > 0 ? 200 : 204, {
      reported: leased.size,
      erased: closed.length,
      refreshed: updated.length,
    });
    if (closed.length + updated.length > 0)
      this.deps.logger.info(
        { clientKey, erased: closed.length, refreshed: updated.length },
        'acted on a personal data report',
      );
  }

  /**
   * What is held about `updated` accounts comes fresh from Jira: the feeds naming them re-sync in full and,
   * if any membership of theirs is cached, the site's memberships are refreshed.
   */
  private async refreshUpdated(clientKey: string, updated: readonly string[], now: Date): Promise<void> {
    let membershipsStale = false;
    for (const accountId of updated) {
      const held = await this.deps.privacy.footprint(clientKey, accountId);
      const memberships = held.cachedAccount !== null || held.projectRoles.length > 0;
      if (held.eventsNaming.length === 0 && !memberships) {
        // Only the account id itself is held (authorship, a URL): nothing of it can be stale.
        await this.deps.accounts.markFresh(clientKey, accountId, now);
        continue;
      }
      await this.deps.accounts.requestRefresh(clientKey, accountId, now);
      for (const { feedId } of held.eventsNaming) await this.deps.syncRequests.requestFull(clientKey, feedId);
      membershipsStale ||= memberships;
    }
    if (membershipsStale) await this.deps.queue.enqueueAccessRefresh(clientKey);
  }

  /** Where the site's reporting stands, for its administrators. */
  async status(clientKey: string): Promise<PersonalDataReportStatus> {
    const [state, accountsHeld] = await Promise.all([
      this.deps.reports.find(clientKey),
      this.deps.accounts.countOpen(clientKey),
    ]);
    return {
      accountsHeld,
      lastReportedAt: state?.lastAnsweredAt ?? null,
      nextBatchAt: state?.nextBatchAt ?? null,
      accountsReported: state?.accountsReported ?? 0,
      accountsErased: state?.accountsErased ?? 0,
      accountsRefreshed: state?.accountsRefreshed ?? 0,
      throttledUntil: throttledNow(state, this.deps.now()),
      failing:
        state && state.failures > 0
          ? {
              failures: state.failures,
              status: state.lastFailureStatus,
              message: state.lastFailureMessage,
              at: state.lastFailedAt,
            }
          : null,
    };
  }
}

/** The gap between batches that spreads a site's accounts over the cycle. */
export function paceMs(cycleSeconds: number, openAccounts: number): number {
  const batches = Math.max(1, Math.ceil(openAccounts / MAX_BATCH_ACCOUNTS));
  return Math.floor((cycleSeconds * 1000) / batches);
}

function validCycle(seconds: number | undefined): number | null {
  if (seconds === undefined || !Number.isFinite(seconds)) return null;
  return Math.max(MIN_CYCLE_SECONDS, Math.floor(seconds));
}

function unique(
  accounts: readonly { accountId: string; status: 'closed' | 'updated' }[],
  status: 'closed' | 'updated',
): string[] {
  return [...new Set(accounts.filter((account) => account.status === status).map((a) => a.accountId))];
}

function throttledNow(state: PersonalDataReportState | null, now: Date): Date | null {
  return state?.throttledUntil && state.throttledUntil > now ? state.throttledUntil : null;
}
