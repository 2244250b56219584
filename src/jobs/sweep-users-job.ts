import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { UserSweepService } from '../services/user-sweep-service.js';
import { JOB_PRIORITY } from './job-priority.js';

export const SWEEP_USERS_TASK = 'sweep_users';
/** Users checked per job; the Jira client's pacer spaces the requests within it. */
export const SWEEP_PAGE = 25;
/** The pause between pages, so a large site's pass never holds a worker or Jira for long. */
const PAGE_PAUSE_MS = 2_000;

const payloadSchema = z.object({ clientKey: z.string().min(1) });

export const sweepUsersJobKey = (clientKey: string): string => `${SWEEP_USERS_TASK}:${clientKey}`;

/** One page of a site's sweep of stored users; queues the next page itself. Safe to run twice. */
export function sweepUsersTask(sweeps: UserSweepService): Task {
  return async (rawPayload, helpers) => {
    const payload = payloadSchema.parse(rawPayload);
    const step = await sweeps.step(payload.clientKey, SWEEP_PAGE);
    if (step.erased > 0) helpers.logger.info(`erased the data of ${step.erased} users deleted in Jira`);
    if (step.status === 'more') {
      await helpers.addJob(SWEEP_USERS_TASK, payload, {
        jobKey: sweepUsersJobKey(payload.clientKey),
        runAt: new Date(Date.now() + PAGE_PAUSE_MS),
        priority: JOB_PRIORITY.housekeeping,
      });
    }
  };
}
