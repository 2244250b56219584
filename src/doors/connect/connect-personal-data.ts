import { z } from 'zod';
import type { InstallationService } from '../../services/installation-service.js';
import type {
  PersonalDataAnswer,
  PersonalDataBatch,
  PersonalDataReporting,
} from '../../services/personal-data-reporting.js';
import { parseRetryAfter } from '../../jira/retry.js';
import { connectJiraAuth } from './connect-jira-auth.js';

export const REPORT_ACCOUNTS_PATH = '/rest/atlassian-connect/latest/report-accounts';
const REQUEST_TIMEOUT_MS = 30_000;
/** Retry-After missing or unreadable on a 429: wait this long rather than not at all. */
const DEFAULT_RETRY_AFTER_SECONDS = 60;

const answeredSchema = z.object({
  accounts: z
    .array(z.object({ accountId: z.string().min(1), status: z.string() }))
    .transform((accounts) =>
      accounts.flatMap((account): { accountId: string; status: 'closed' | 'updated' }[] =>
        account.status === 'closed' || account.status === 'updated'
          ? [{ accountId: account.accountId, status: account.status }]
          : [],
      ),
    ),
});
const errorSchema = z.object({ errorType: z.string().optional(), errorMessage: z.string().optional() });

/**
 * Connect's Personal Data Reporting: the site's next batch goes to
 * `POST {baseUrl}/rest/atlassian-connect/latest/report-accounts`, signed with the installation's JWT,
 * and Atlassian's answer is handed back to the shared cycle.
 */
export class ConnectPersonalDataReporter {
  constructor(
    private readonly deps: {
      reporting: PersonalDataReporting;
      installations: InstallationService;
      appKey: string;
      now: () => Date;
      fetch?: typeof fetch;
    },
  ) {}

  /** Sends the site's next batch if one is due; true when one was sent (whatever the answer). */
  async reportNext(clientKey: string): Promise<boolean> {
    const installation = await this.deps.installations.findActive(clientKey);
    if (installation?.credentials.door !== 'connect') return false;
    const batch = await this.deps.reporting.nextBatch(clientKey);
    if (!batch) return false;
    const answer = await this.send(
      { baseUrl: installation.baseUrl, sharedSecret: installation.credentials.sharedSecret },
      batch,
    );
    await this.deps.reporting.settle(clientKey, batch.id, answer);
    return true;
  }

  private async send(
    site: { baseUrl: string; sharedSecret: string },
    batch: PersonalDataBatch,
  ): Promise<PersonalDataAnswer> {
    const auth = connectJiraAuth(site, { appKey: this.deps.appKey });
    const authorization = await auth.authorization({ method: 'POST', path: REPORT_ACCOUNTS_PATH, query: {} });
    let response: Response;
    try {
      response = await (this.deps.fetch ?? fetch)(`${auth.apiBaseUrl}${REPORT_ACCOUNTS_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization,
        },
        body: JSON.stringify({ accounts: batch.accounts }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (error) {
      return { kind: 'failed', status: 0, message: error instanceof Error ? error.name : 'network error' };
    }
    const text = await response.text().catch(() => '');
    const cyclePeriodSeconds = seconds(response.headers.get('cycle-period'));
    const cycle = cyclePeriodSeconds === null ? {} : { cyclePeriodSeconds };
    if (response.status === 204) return { kind: 'answered', accounts: [], ...cycle };
    if (response.status === 200) {
      const parsed = answeredSchema.safeParse(parseJson(text));
      if (parsed.success) return { kind: 'answered', accounts: parsed.data.accounts, ...cycle };
      return { kind: 'failed', status: 200, message: 'The answer was not {"accounts":[…]}' };
    }
    if (response.status === 429)
      return {
        kind: 'throttled',
        retryAfterSeconds: this.retryAfterSeconds(response.headers.get('retry-after')),
      };
    const error = errorSchema.safeParse(parseJson(text));
    const message = error.success
      ? [error.data.errorType, error.data.errorMessage].filter(Boolean).join(': ')
      : '';
    return { kind: 'failed', status: response.status, ...(message ? { message } : {}) };
  }

  /** Retry-After as delta-seconds or an HTTP date, rounded up to whole seconds; a minute when unreadable. */
  private retryAfterSeconds(header: string | null): number {
    const ms = parseRetryAfter(header, this.deps.now().getTime());
    return ms === undefined ? DEFAULT_RETRY_AFTER_SECONDS : Math.ceil(ms / 1000);
  }
}

function seconds(header: string | null): number | null {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return null;
  return Number(header);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
