import { createHash } from 'node:crypto';
import type { SiteSettingsRepository } from '../db/site-settings-repository.js';
import { type Logger, scrubSecrets } from '../logger.js';

export type ErrorReport = {
  app: 'calendar-sync';
  environment: string;
  occurredAt: string;
  /** A one-way hash of the site's clientKey: enough to group reports, not to identify the site. */
  site: string | null;
  where: string;
  errorType: string;
  message: string;
  stack: string[];
};

const MAX_MESSAGE = 500;
const MAX_FRAMES = 12;

/**
 * Sends critical (unexpected) errors to ERROR_REPORTING_URL. Reports hold no issue data, no user data
 * and no secrets; a site can turn them off, and with no URL configured nothing is ever sent.
 */
export class ErrorReporter {
  readonly sent: ErrorReport[] = [];

  constructor(
    private readonly deps: {
      url: string | null;
      environment: string;
      settings: SiteSettingsRepository;
      logger: Logger;
      fetch?: typeof fetch;
      now: () => Date;
    },
  ) {}

  build(clientKey: string | null, error: unknown, where: string): ErrorReport {
    const err = error instanceof Error ? error : new Error(String(error));
    return {
      app: 'calendar-sync',
      environment: this.deps.environment,
      occurredAt: this.deps.now().toISOString(),
      site: clientKey === null ? null : createHash('sha256').update(clientKey).digest('hex').slice(0, 16),
      where,
      errorType: err.name,
      message: scrubSecrets(reason(err)).slice(0, MAX_MESSAGE),
      stack: (err.stack ?? '')
        .split('\n')
        .slice(1, MAX_FRAMES + 1)
        .map((line) => scrubSecrets(line.trim())),
    };
  }

  /** What a report looks like, shown to admins before they decide to keep reporting on. */
  preview(): ErrorReport {
    return {
      ...this.build('example-site', new TypeError('Cannot read properties of undefined'), 'sync'),
      stack: ['at SyncService.run (src/services/sync-service.ts:88:21)'],
    };
  }

  async report(clientKey: string | null, error: unknown, where: string): Promise<boolean> {
    if (!this.deps.url) return false;
    if (clientKey !== null && !(await this.deps.settings.get(clientKey)).errorReportingEnabled) return false;
    const report = this.build(clientKey, error, where);
    try {
      const response = await (this.deps.fetch ?? fetch)(this.deps.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(report),
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) throw new Error(`error reporting endpoint answered ${response.status}`);
      this.sent.push(report);
      return true;
    } catch (sendError) {
      this.deps.logger.warn({ err: sendError }, 'could not send an error report');
      return false;
    }
  }
}

/** knex prefixes database errors with the whole SQL text; the reason is what follows the last " - ". */
function reason(error: Error & { code?: unknown }): string {
  const separator = error.message.lastIndexOf(' - ');
  const database = typeof error.code === 'string' && separator >= 0;
  return database ? `${error.message.slice(separator + 3)} (SQLSTATE ${String(error.code)})` : error.message;
}
