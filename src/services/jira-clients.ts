import type { ActiveInstallation } from '../domain/installation.js';
import type { JiraAuth } from '../jira/jira-auth.js';
import { JiraClient, type JiraClientOptions } from '../jira/jira-client.js';
import { TenantPacer } from '../jira/pacer.js';
import type { Logger } from '../logger.js';

/** How each door reaches Jira for one of its installations. */
export type JiraAuthFactory = (installation: ActiveInstallation) => JiraAuth;

/** One pacer per process, shared by every client, so a tenant's request rate holds across concurrent syncs. */
export class JiraClients {
  private readonly pacer: TenantPacer;

  constructor(
    private readonly options: {
      authFor: JiraAuthFactory;
      requestsPerSecond: number;
      logger: Logger;
      /** Every Jira answer by site, for metrics. */
      onResponse?: (clientKey: string, status: number | 'timeout' | 'network_error') => void;
    } & Partial<
      Pick<JiraClientOptions, 'maxRetries' | 'baseBackoffMs' | 'maxBackoffMs' | 'requestTimeoutMs' | 'fetch'>
    >,
  ) {
    this.pacer = new TenantPacer({
      requestsPerSecond: options.requestsPerSecond,
      burst: Math.max(1, Math.ceil(options.requestsPerSecond)),
    });
  }

  /** `onRequest` is told every attempt the client makes (a sync counting its cost). */
  forInstallation(installation: ActiveInstallation, onRequest?: () => void): JiraClient {
    return this.forAuth(installation.clientKey, this.options.authFor(installation), onRequest);
  }

  /** A client with an explicit credential, for a door that holds one before the installation is stored. */
  forAuth(clientKey: string, auth: JiraAuth, onRequest?: () => void): JiraClient {
    const { authFor: _authFor, logger, requestsPerSecond: _rps, onResponse, ...rest } = this.options;
    return new JiraClient(
      { clientKey, auth },
      {
        pacer: this.pacer,
        logger: logger.child({ clientKey }),
        ...(onResponse || onRequest
          ? {
              onResponse: (status) => {
                onRequest?.();
                onResponse?.(clientKey, status);
              },
            }
          : {}),
        ...rest,
      },
    );
  }
}
