import type { ActiveInstallation } from '../domain/installation.js';
import { JiraClient, type JiraClientOptions } from '../jira/jira-client.js';
import { TenantPacer } from '../jira/pacer.js';
import type { Logger } from '../logger.js';

/** One pacer per process, shared by every client, so a tenant's request rate holds across concurrent syncs. */
export class JiraClients {
  private readonly pacer: TenantPacer;

  constructor(
    private readonly options: { appKey: string; requestsPerSecond: number; logger: Logger } & Partial<
      Pick<JiraClientOptions, 'maxRetries' | 'baseBackoffMs' | 'maxBackoffMs' | 'requestTimeoutMs' | 'fetch'>
    >,
  ) {
    this.pacer = new TenantPacer({ requestsPerSecond: options.requestsPerSecond, burst: Math.max(1, Math.ceil(options.requestsPerSecond)) });
  }

  forInstallation(installation: ActiveInstallation): JiraClient {
    const { appKey, logger, requestsPerSecond: _rps, ...rest } = this.options;
    return new JiraClient(
      { clientKey: installation.clientKey, baseUrl: installation.baseUrl, sharedSecret: installation.sharedSecret },
      { appKey, pacer: this.pacer, logger: logger.child({ clientKey: installation.clientKey }), ...rest },
    );
  }
}
