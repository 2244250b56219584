import type { Task } from 'graphile-worker';
import { z } from 'zod';

/** Whoever sends a site's Personal Data Reporting batches (the Connect door); true when one was sent. */
export type PersonalDataReporter = { reportNext(clientKey: string): Promise<boolean> };

export const REPORT_PERSONAL_DATA_TASK = 'report_personal_data';

const payloadSchema = z.object({ clientKey: z.string().min(1) });

export const reportPersonalDataJobKey = (clientKey: string): string =>
  `${REPORT_PERSONAL_DATA_TASK}:${clientKey}`;

/**
 * Sends a Connect site's next Personal Data Reporting batch, if one is due. Where the site stands lives
 * in the database, so a job lost with its process is simply asked for again by the next tick.
 */
export function reportPersonalDataTask(reporter: PersonalDataReporter): Task {
  return async (rawPayload) => {
    const { clientKey } = payloadSchema.parse(rawPayload);
    await reporter.reportNext(clientKey);
  };
}
