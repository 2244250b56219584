/**
 * graphile-worker takes the job with the lowest `priority` first, then the earliest `run_at`. Three tiers:
 * what a person is waiting for (the tick, a change Jira reported, a feed's sync); keeping what people already
 * have in step (access refreshes, live-calendar pushes); housekeeping whose cycle is days long (Personal Data
 * Reporting, Data Center's sweep of stored users). Without them the queue was first-come: at 1,000 installs
 * every site's first report fell due in one tick, and a feed's first sync waited 12 minutes behind 800
 * reports. Re-queued jobs keep their tier.
 */
export const JOB_PRIORITY = {
  now: 0,
  inStep: 1,
  housekeeping: 5,
} as const;
