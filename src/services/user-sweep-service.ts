import type { PersonalDataAccountRepository } from '../db/personal-data-account-repository.js';
import type { UserSweepRepository } from '../db/user-sweep-repository.js';
import type { Logger } from '../logger.js';
import type { AccessService } from './access-service.js';
import type { MembershipService } from './membership-service.js';
import type { InstallationService } from './installation-service.js';
import type { JiraClients } from './jira-clients.js';
import type { PrivacyService } from './privacy-service.js';

/** A pass over every stored user at most this often. */
export const USER_SWEEP_INTERVAL_MS = 24 * 60 * 60_000;

export type SweepStep = { status: 'idle' | 'more' | 'done'; checked: number; erased: number };

/**
 * Jira Data Center has no Personal Data Reporting: instead Jira is asked, with a feed owner's rights,
 * whether each user key the site's data holds still exists and is active. A deleted user's data is
 * erased; a deactivated user's personal URLs are refused (their data kept) until Jira says active again.
 * Users go in key order, a page per step, and the place is stored after each, so a pass survives restarts.
 */
export class UserSweepService {
  constructor(
    private readonly deps: {
      sweeps: UserSweepRepository;
      accounts: PersonalDataAccountRepository;
      installations: InstallationService;
      jira: JiraClients;
      access: AccessService;
      membership: MembershipService;
      privacy: PrivacyService;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  /** Whether a new pass is due: never run, or the last one finished an interval ago. */
  async isDue(clientKey: string): Promise<boolean> {
    const sweep = await this.deps.sweeps.find(clientKey);
    if (!sweep?.startedAt) return true;
    if (!sweep.finishedAt) return true;
    return sweep.finishedAt.getTime() + USER_SWEEP_INTERVAL_MS <= this.deps.now().getTime();
  }

  /** Checks the next `limit` users of the pass under way (starting one when the last is done and due). */
  async step(clientKey: string, limit: number): Promise<SweepStep> {
    const installation = await this.deps.installations.findActive(clientKey);
    if (!installation) return { status: 'idle', checked: 0, erased: 0 };
    let sweep = await this.deps.sweeps.find(clientKey);
    if (!sweep?.startedAt || sweep.finishedAt) {
      if (!(await this.isDue(clientKey))) return { status: 'idle', checked: 0, erased: 0 };
      await this.deps.sweeps.start(clientKey, this.deps.now());
      sweep = { cursor: null, startedAt: this.deps.now(), finishedAt: null };
    }
    const accountIds = await this.deps.accounts.listOpenAfter(clientKey, sweep.cursor, limit);
    const client = this.deps.jira.forInstallation(installation);
    let erased = 0;
    for (const accountId of accountIds) {
      const user = await client.getUser(accountId);
      if (user === null) {
        await this.deps.privacy.eraseAccount(clientKey, accountId);
        // Jira never gives a deleted user's key to anyone else: it is not asked about again.
        await this.deps.accounts.markClosed(clientKey, accountId, this.deps.now());
        erased += 1;
        this.deps.logger.info({ clientKey, accountId }, 'erased the data of a user deleted in Jira');
      } else {
        const active = user.active !== false;
        // Nothing cached counts as active: only a change (or a first "inactive") re-decides the URLs.
        const cached = (await this.deps.membership.cachedActive(clientKey, accountId)) ?? true;
        if (cached !== active) {
          await this.deps.membership.refreshUser(installation, accountId, user);
          await this.deps.access.recomputeAccount(installation, accountId);
        }
      }
      await this.deps.sweeps.advance(clientKey, accountId);
    }
    if (accountIds.length < limit) {
      await this.deps.sweeps.finish(clientKey, this.deps.now());
      return { status: 'done', checked: accountIds.length, erased };
    }
    return { status: 'more', checked: accountIds.length, erased };
  }
}
