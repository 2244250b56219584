/**
 * How one process's `DATABASE_POOL_SIZE` PostgreSQL connections are shared out, so that processes ×
 * DATABASE_POOL_SIZE is the most the deployment ever opens (README: "Deploying beyond one machine").
 *
 * - `listener`: the LISTEN session that tells every process about revoked and rotated feed URLs.
 * - `jobQueue`: enqueueing jobs from requests and the tick.
 * - `jobRunner`: graphile-worker in a process that runs jobs: its own LISTEN session, the cron, and one
 *   per job being fetched or completed.
 * - `queries`: everything else (requests, and each running sync's reads and writes): the rest.
 */
export type PoolBudget = { listener: number; jobQueue: number; jobRunner: number; queries: number };

const LISTENER = 1;
const JOB_QUEUE = 2;
/** What serving feeds and pages keeps while every sync slot holds a connection. */
const QUERIES_BESIDES_SYNCS = 2;

export const DEFAULT_POOL_SIZE = 24;

export function poolBudget(size: number, syncConcurrency: number, schedulerEnabled: boolean): PoolBudget {
  const jobRunner = schedulerEnabled ? syncConcurrency + 2 : 0;
  return {
    listener: LISTENER,
    jobQueue: JOB_QUEUE,
    jobRunner,
    queries: size - LISTENER - JOB_QUEUE - jobRunner,
  };
}

/** The smallest pool a process with these settings can work in: every sync slot and serving both fed. */
export function minimumPoolSize(syncConcurrency: number, schedulerEnabled: boolean): number {
  const queries = (schedulerEnabled ? syncConcurrency : 0) + QUERIES_BESIDES_SYNCS;
  return LISTENER + JOB_QUEUE + (schedulerEnabled ? syncConcurrency + 2 : 0) + queries;
}
