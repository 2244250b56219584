import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { ConnectPersonalDataReporter } from '../connect/connect-personal-data.js';

export const REPORT_PERSONAL_DATA_TASK = 'report_personal_data';

const payloadSchema = z.object({ clientKey: z.string().min(1) });

export const reportPersonalDataJobKey = (clientKey: string): string =>
  `${REPORT_PERSONAL_DATA_TASK}:${clientKey}`;

/**
 * Sends a Connect site's next Personal Data Reporting batch, if one is due. Where the site stands lives
 * in the database, so a job lost with its process is simply asked for again by the next tick.
 */
export function reportPersonalDataTask(reporter: ConnectPersonalDataReporter): Task {
  return async (rawPayload) => {
    const { clientKey } = payloadSchema.parse(rawPayload);
    await reporter.reportNext(clientKey);
  };
}
