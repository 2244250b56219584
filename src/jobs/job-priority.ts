/**
 * graphile-worker takes the job with the lowest `priority` first, then the earliest `run_at`. Four tiers:
 * what a person is waiting for (the tick, a change Jira reported and the syncs it brings, Sync now, a new
 * feed's first sync); keeping what people already have in step (access refreshes, live-calendar pushes); the
 * routine re-sync of each feed once per interval; housekeeping whose cycle is days long (Personal Data
 * Reporting, Data Center's sweep of stored users). Without them the queue was first-come: at 1,000 installs
 * every site's first report fell due in one tick and a feed's first sync waited 12 minutes behind 800
 * reports; with more routine syncs due than the workers could take, an edit waited behind all of them.
 * Re-queued jobs keep their tier.
 */
export const JOB_PRIORITY = {
  now: 0,
  inStep: 1,
  routine: 2,
  housekeeping: 5,
} as const;

/** Why a sync is queued: a person or a change is waiting on it, or the feed's interval came round. */
export type SyncUrgency = 'now' | 'routine';
