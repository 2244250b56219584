import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AccessService } from '../services/access-service.js';

export const REFRESH_ACCESS_TASK = 'refresh_access';

const payloadSchema = z.object({ clientKey: z.string().min(1) });

/** Re-reads one site's memberships from Jira and re-decides every personal URL; safe to run twice. */
export function refreshAccessTask(access: AccessService): Task {
  return async (rawPayload) => {
    const { clientKey } = payloadSchema.parse(rawPayload);
    await access.refreshSite(clientKey);
  };
}
