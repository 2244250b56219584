import { AppError } from '../errors.js';
import type { Actor } from './actor.js';
import type { JiraClients } from './jira-clients.js';
import { withUpstreamErrors } from '../jira/upstream-errors.js';

const CACHE_MS = 5 * 60_000;

/**
 * Feed administration is for Jira administrators of the site. The credential only proves who the user
 * is, so the app asks Jira whether that user holds ADMINISTER: as the user where the door hands over a
 * user token (Forge), otherwise as the app for that user (Connect). The answer is remembered briefly.
 */
export class AdminAccess {
  private readonly cache = new Map<string, { admin: boolean; at: number }>();

  constructor(private readonly deps: { jira: JiraClients; now: () => Date }) {}

  /** `fresh` asks Jira again whatever is cached: destructive actions must not ride on a demoted admin's cache. */
  async isAdmin(actor: Actor, options: { fresh?: boolean } = {}): Promise<boolean> {
    const key = `${actor.clientKey}\u0000${actor.accountId}`;
    const now = this.deps.now().getTime();
    const cached = this.cache.get(key);
    if (!options.fresh && cached && now - cached.at < CACHE_MS) return cached.admin;
    const admin = await withUpstreamErrors(async () =>
      actor.asUser
        ? (
            await this.deps.jira.forUser(actor.installation, actor.asUser).getMyPermissions(['ADMINISTER'])
          ).has('ADMINISTER')
        : (
            await this.deps.jira
              .forInstallation(actor.installation)
              .checkPermissions({ accountId: actor.accountId, globalPermissions: ['ADMINISTER'] })
          ).globalPermissions.includes('ADMINISTER'),
    );
    this.cache.set(key, { admin, at: now });
    return admin;
  }

  async requireAdmin(actor: Actor, options: { fresh?: boolean } = {}): Promise<void> {
    if (!(await this.isAdmin(actor, options))) {
      throw new AppError(
        403,
        'forbidden',
        'Only Jira administrators can manage Calendar Sync feeds and settings',
      );
    }
  }
}
