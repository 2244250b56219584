import { DataCenterJiraClient } from '../jira/datacenter/datacenter-jira-client.js';
import type { Feed } from '../domain/feed.js';
import type { ActiveInstallation } from '../domain/installation.js';
import type { JiraAuth } from '../jira/jira-auth.js';
import { JiraClient, type JiraClientOptions } from '../jira/cloud/cloud-jira-client.js';
import type { JiraReader } from '../jira/jira-reader.js';
import { TenantPacer } from '../jira/pacer.js';
import type { Logger } from '../logger.js';
import type { Actor } from './actor.js';

/** How each door reaches Jira for one of its installations. */
export type JiraAuthFactory = (installation: ActiveInstallation) => JiraAuth;

/** One pacer per process, shared by every client, so a tenant's request rate holds across concurrent syncs. */
export class JiraClients {
  private readonly pacer: TenantPacer;

  constructor(
    private readonly options: {
      /** The app's own standing with the site (Connect JWT, Forge system token; on Data Center a feed owner's token). */
      authFor: JiraAuthFactory;
      /** Whose rights a feed's sync uses when they are not the app's (Data Center: the feed's owner). */
      feedAuthFor?: (installation: ActiveInstallation, feed: Feed) => JiraAuth | null;
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
  forInstallation(installation: ActiveInstallation, onRequest?: () => void): JiraReader {
    return this.forUser(installation, this.options.authFor(installation), onRequest);
  }

  /** What a feed's sync reads Jira with: the app itself, or on Data Center the feed's owner. */
  forFeed(installation: ActiveInstallation, feed: Feed, onRequest?: () => void): JiraReader {
    const auth = this.options.feedAuthFor?.(installation, feed) ?? null;
    return auth ? this.forUser(installation, auth, onRequest) : this.forInstallation(installation, onRequest);
  }

  /**
   * What a page's call reads Jira with. Cloud doors ask as the app (it is the app's query that will run);
   * Data Center has no app user and asks as the signed-in person.
   */
  forActor(actor: Actor): JiraReader {
    return actor.installation.credentials.door === 'datacenter' && actor.asUser
      ? this.forUser(actor.installation, actor.asUser)
      : this.forInstallation(actor.installation);
  }

  /** A client of the installation's edition with an explicit credential (a user's token). */
  forUser(installation: ActiveInstallation, auth: JiraAuth, onRequest?: () => void): JiraReader {
    if (installation.credentials.door !== 'datacenter')
      return this.forAuth(installation.clientKey, auth, onRequest);
    return new DataCenterJiraClient(
      { clientKey: installation.clientKey, auth },
      this.clientOptions(installation.clientKey, onRequest),
    );
  }

  /** A Cloud client with an explicit credential, for a door that holds one before the installation is stored. */
  forAuth(clientKey: string, auth: JiraAuth, onRequest?: () => void): JiraClient {
    return new JiraClient({ clientKey, auth }, this.clientOptions(clientKey, onRequest));
  }

  private clientOptions(clientKey: string, onRequest?: () => void): JiraClientOptions {
    const {
      authFor: _authFor,
      feedAuthFor: _feedAuthFor,
      logger,
      requestsPerSecond: _rps,
      onResponse,
      ...rest
    } = this.options;
    return {
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
    };
  }
}
