import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { CalendarPushService, PushOutcome } from '../services/calendar-push-service.js';
import { JOB_PRIORITY } from './job-priority.js';

export const PUSH_CALENDAR_TASK = 'push_calendar';
/** Back-off for a provider that named no wait: doubled per attempt, with jitter, capped. */
const BASE_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 15 * 60_000;
/** Past this many failed pushes in a row the error stays on the page until the next change. */
const MAX_ATTEMPTS = 10;

const payloadSchema = z.object({
  clientKey: z.string().min(1),
  connectionId: z.uuid(),
  attempt: z.number().int().min(0).default(0),
});

export const pushCalendarJobKey = (connectionId: string): string => `${PUSH_CALENDAR_TASK}:${connectionId}`;

/** Full jitter around the wait: many connections told to wait do not all come back in the same second. */
export function retryDelayMs(retryAfterMs: number | null, attempt: number, random = Math.random): number {
  if (retryAfterMs !== null)
    return retryAfterMs + Math.floor(random() * Math.min(retryAfterMs / 2 + 500, 30_000));
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/** When a push comes back, or null when it is done: the attempt count only grows on failures. */
export function nextRun(
  outcome: PushOutcome,
  attempt: number,
  random = Math.random,
): { delay: number; attempt: number } | null {
  // Paced: the budget is back then; a little jitter spreads the many pushes told the same time.
  if (outcome.status === 'paced')
    return { delay: outcome.retryAfterMs + Math.floor(random() * 1_000), attempt };
  // Queued anew at now, behind every job already due: other people's pushes run between the shares.
  if (outcome.status === 'continues') return { delay: 0, attempt: 0 };
  if (outcome.status !== 'retry' || attempt >= MAX_ATTEMPTS) return null;
  const delay = outcome.retryAfterMs === 0 ? 0 : retryDelayMs(outcome.retryAfterMs, attempt, random);
  return { delay, attempt: attempt + 1 };
}

/**
 * Pushes one live calendar. A provider's "slow down" or outage requeues the same key at the wait it
 * named (or a growing back-off); a withdrawn grant ends in `broken` and is never retried. A spent shared
 * budget or a big plan requeues it too, without waiting in the worker.
 */
export function pushCalendarTask(
  pushes: CalendarPushService,
  onOutcome?: (outcome: PushOutcome) => void,
): Task {
  return async (rawPayload, helpers) => {
    const payload = payloadSchema.parse(rawPayload);
    const outcome = await pushes.push(payload.clientKey, payload.connectionId);
    onOutcome?.(outcome);
    const next = nextRun(outcome, payload.attempt);
    if (!next) return;
    await helpers.addJob(
      PUSH_CALENDAR_TASK,
      { ...payload, attempt: next.attempt },
      {
        jobKey: pushCalendarJobKey(payload.connectionId),
        runAt: new Date(Date.now() + next.delay),
        priority: JOB_PRIORITY.inStep,
      },
    );
  };
}
