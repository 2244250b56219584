import type { Task } from 'graphile-worker';
import type { AccessRepository } from '../db/access-repository.js';
import type { FeedSyncRepository, SyncLiveness } from '../db/feed-sync-repository.js';
import type { DeploymentScope } from '../domain/deployment.js';
import type { PersonalDataReportRepository } from '../db/personal-data-report-repository.js';
import { ACCESS_REFRESH_MS } from '../services/membership-service.js';
import type { SyncQueue } from '../services/feed-service.js';

export const SCHEDULE_DUE_FEEDS_TASK = 'schedule_due_feeds';
const CLAIM_BATCH = 500;

export type TickQueue = SyncQueue & {
  enqueueAccessRefresh(clientKey: string): Promise<void>;
  /** A page of the site's sweep of stored users, unless one is already waiting. */
  enqueueUserSweep(clientKey: string): Promise<void>;
  enqueuePersonalDataReport(clientKey: string): Promise<void>;
  /** One more tick at `runAt`, replacing any follow-up asked for before. */
  requestTickAt(runAt: Date): Promise<void>;
};

/** A follow-up further away than this is left to the cron minute. */
const CRON_MINUTE_MS = 60_000;

/**
 * The one recurring tick, for this deployment's installations only: claim every feed whose interval has
 * passed and fan out one keyed job per feed, one access refresh per site whose membership cache is older
 * than the refresh cycle, and one Personal Data Reporting job per Connect site whose next batch is due
 * (Forge sites are driven by the app's Forge function instead; Data Center sweeps its stored users).
 */
export function scheduleDueFeedsTask(deps: {
  scope: DeploymentScope;
  syncs: FeedSyncRepository;
  access: AccessRepository;
  personalDataReports: PersonalDataReportRepository;
  queue: TickQueue;
  now: () => Date;
  /** When a running or queued sync counts as abandoned, and is claimed again. */
  liveness: SyncLiveness;
  onStaleTakeovers?: (count: number) => void;
  /** Data Center's sweep of stored users (Cloud has Atlassian's Personal Data Reporting instead). */
  userSweeps?: { isDue(clientKey: string): Promise<boolean> };
}): Task {
  return async (_payload, helpers) => {
    if (deps.scope.edition === 'datacenter' && (await deps.userSweeps?.isDue(deps.scope.clientKey))) {
      await deps.queue.enqueueUserSweep(deps.scope.clientKey);
    }
    for (const clientKey of await deps.access.sitesDueForRefresh(
      deps.scope,
      new Date(deps.now().getTime() - ACCESS_REFRESH_MS),
    )) {
      await deps.queue.enqueueAccessRefresh(clientKey);
    }
    if (deps.scope.edition === 'cloud') {
      for (const clientKey of await deps.personalDataReports.sitesDue('connect', deps.now())) {
        await deps.queue.enqueuePersonalDataReport(clientKey);
      }
    }
    for (;;) {
      const due = await deps.syncs.claimDue(deps.scope, deps.now(), CLAIM_BATCH, deps.liveness);
      for (const feed of due) {
        // A change Jira reported, or a sync taken over from a dead process, goes before the routine re-syncs.
        const urgency = feed.changed || feed.stale ? 'now' : 'routine';
        await deps.queue.enqueueSync(feed.clientKey, feed.feedId, urgency);
      }
      deps.onStaleTakeovers?.(due.filter((feed) => feed.stale).length);
      if (due.length > 0) helpers.logger.info(`queued ${due.length} feed syncs`);
      if (due.length < CLAIM_BATCH) break;
    }
    // A sync that stops beating now is taken over when it turns stale, not up to a minute later.
    const staleAt = await deps.syncs.nextStaleAt(deps.scope, deps.liveness);
    if (staleAt && staleAt.getTime() - deps.now().getTime() < CRON_MINUTE_MS) {
      await deps.queue.requestTickAt(new Date(staleAt.getTime() + 100));
    }
  };
}
