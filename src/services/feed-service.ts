import type { LiveCalendarTriggers } from './live-calendar-triggers.js';
import type { Knex } from 'knex';
import type { CalendarConnectionRepository } from '../db/calendar-connection-repository.js';
import type { ProviderKey } from '../domain/calendar-provider.js';
import type { Actor } from './actor.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { FeedSyncRepository } from '../db/feed-sync-repository.js';
import type { SubscriptionRepository } from '../db/subscription-repository.js';
import {
  noUrlUse,
  type SubscriptionClient,
  type SubscriptionClientRepository,
  type UrlUse,
} from '../db/subscription-client-repository.js';
import { URL_IN_USE_MS } from '../domain/client-family.js';
import type { Feed, FeedSubscription, FeedSyncStatus } from '../domain/feed.js';
import { type FeedConfig, parseFeedConfig } from '../domain/feed-config.js';
import { checkFieldCompatibility } from '../domain/field-compatibility.js';
import { badRequest, notFound } from '../errors.js';
import { isJiraError } from '../jira/jira-error.js';
import { upstreamError } from '../jira/upstream-errors.js';
import type { FeedPublisher } from './feed-publisher.js';
import type { JiraClients } from './jira-clients.js';
import type { SubscriptionService } from './subscription-service.js';
import type { SyncRequests } from './sync-requests.js';
import type { SyncUrgency } from '../jobs/job-priority.js';

export type FeedWithStatus = {
  feed: Feed;
  status: FeedSyncStatus;
  url: string | null;
  sizeBytes: number | null;
  /** The feed's URLs some calendar app fetched in the last 7 days, per app family. */
  urlUse: UrlUse;
  /** Live calendars kept from this feed, per provider (Google, Outlook). */
  liveConnections: LiveConnectionCounts;
};
export type LiveConnectionCounts = Partial<Record<ProviderKey, number>>;
export type SyncQueue = {
  /** `routine` for the once-per-interval re-sync; anything a person or a change waits on is `now` (the default). */
  enqueueSync(clientKey: string, feedId: string, urgency?: SyncUrgency): Promise<void>;
};

/** Feed use cases for feed creators: everything is scoped to the actor's site. */
export class FeedService {
  constructor(
    private readonly deps: {
      knex: Knex;
      feeds: FeedRepository;
      syncs: FeedSyncRepository;
      subscriptions: SubscriptionService;
      subscriptionRepository: SubscriptionRepository;
      clients: SubscriptionClientRepository;
      publisher: FeedPublisher;
      renders: FeedRenderRepository;
      jira: JiraClients;
      syncRequests: SyncRequests;
      livePushes?: LiveCalendarTriggers;
      connections: CalendarConnectionRepository;
      now: () => Date;
    },
  ) {}

  async list(actor: Actor): Promise<FeedWithStatus[]> {
    const [feeds, statuses, sizes, use, live] = await Promise.all([
      this.deps.feeds.list(actor.clientKey),
      this.deps.syncs.listByFeed(actor.clientKey),
      this.deps.renders.sharedSizes(actor.clientKey),
      this.urlUse(actor.clientKey),
      this.deps.connections.countLiveByFeed(actor.clientKey),
    ]);
    return Promise.all(
      feeds.map(async (feed) => ({
        feed,
        status: statuses.get(feed.id) ?? missingStatus(feed.id),
        url: await this.deps.subscriptions.sharedUrl(actor.clientKey, feed.id),
        sizeBytes: sizes.get(feed.id) ?? null,
        urlUse: use.get(feed.id) ?? noUrlUse(),
        liveConnections: live.get(feed.id) ?? {},
      })),
    );
  }

  async get(actor: Actor, feedId: string): Promise<FeedWithStatus> {
    const feed = await this.requireFeed(actor, feedId);
    const status = (await this.deps.syncs.find(actor.clientKey, feed.id)) ?? missingStatus(feed.id);
    const sizes = await this.deps.renders.sharedSizes(actor.clientKey);
    const use = await this.urlUse(actor.clientKey);
    const live = await this.deps.connections.countLiveByFeed(actor.clientKey);
    return {
      feed,
      status,
      url: await this.deps.subscriptions.sharedUrl(actor.clientKey, feed.id),
      sizeBytes: sizes.get(feed.id) ?? null,
      urlUse: use.get(feed.id) ?? noUrlUse(),
      liveConnections: live.get(feed.id) ?? {},
    };
  }

  private urlUse(clientKey: string): Promise<Map<string, UrlUse>> {
    return this.deps.clients.urlUseSince(clientKey, new Date(this.deps.now().getTime() - URL_IN_USE_MS));
  }

  /** Validates the body alone; nothing is stored and Jira is not asked. */
  parse(body: unknown): FeedConfig {
    const parsed = parseFeedConfig(body);
    if (!parsed.ok) throw badRequest('The feed configuration is invalid', parsed.fields);
    return parsed.config;
  }

  /** Checks the configuration against the site: the JQL or filter, and the fields the rules name. */
  async validateAgainstJira(actor: Actor, config: FeedConfig): Promise<void> {
    const client = this.deps.jira.forActor(actor);
    if (config.access.respectPermissions && !client.capabilities.permissionChecksForOthers) {
      throw badRequest('This Jira cannot check what each subscriber may browse', [
        {
          path: 'access.respectPermissions',
          message:
            'Jira Data Center does not tell the app what another user may browse. Every feed here already shows only what its owner may browse; turn this option off.',
        },
      ]);
    }
    try {
      if (config.source.type === 'jql') {
        const [parsed] = await client.parseJql([config.source.jql]);
        if (parsed && parsed.errors.length > 0) {
          throw badRequest('Jira rejected the JQL query', [
            { path: 'source.jql', message: parsed.errors.join(' ') },
          ]);
        }
      } else {
        await client.getFilter(config.source.filterId).catch((error: unknown) => {
          if (isJiraError(error) && (error.jiraStatus === 404 || error.jiraStatus === 400)) {
            throw badRequest('The saved filter cannot be used', [
              {
                path: 'source.filterId',
                message: `Filter ${config.source.type === 'filter' ? config.source.filterId : ''} does not exist or is not shared with the Calendar Sync app user`,
              },
            ]);
          }
          throw error;
        });
      }
      const problems = checkFieldCompatibility(config, await client.getFields());
      if (problems.length > 0) throw badRequest('Some fields do not fit the event rules', problems);
    } catch (error) {
      throw isJiraError(error) ? upstreamError(error) : error;
    }
  }

  async create(actor: Actor, body: unknown): Promise<FeedWithStatus> {
    const config = this.parse(body);
    await this.validateAgainstJira(actor, config);
    return this.insert(actor, config);
  }

  async duplicate(actor: Actor, feedId: string): Promise<FeedWithStatus> {
    const original = await this.requireFeed(actor, feedId);
    const name = `Copy of ${original.name}`.slice(0, 200);
    return this.insert(actor, { ...original.config, name });
  }

  /**
   * Jira checks the new configuration with the editor's rights, so the feed reads with the editor's from
   * now on (Data Center): an edit by someone else never publishes what only the previous owner may browse.
   */
  async update(actor: Actor, feedId: string, body: unknown): Promise<FeedWithStatus> {
    await this.requireFeed(actor, feedId);
    const config = this.parse(body);
    await this.validateAgainstJira(actor, config);
    const now = this.deps.now();
    const feed = await this.deps.feeds.update(actor.clientKey, feedId, {
      name: config.name,
      config,
      accountId: actor.accountId,
      now,
    });
    if (!feed) throw notFound('Feed');
    await this.deps.syncs.reschedule(actor.clientKey, feedId, now);
    await this.requestSync(actor, feedId);
    return this.get(actor, feedId);
  }

  async delete(actor: Actor, feedId: string): Promise<void> {
    // Listed before the delete: the pushes run after it and take the feed's events back out.
    const live = this.deps.livePushes;
    if (!(await this.deps.feeds.delete(actor.clientKey, feedId))) throw notFound('Feed');
    await live?.feedChanged(actor.clientKey, feedId);
  }

  async syncNow(actor: Actor, feedId: string): Promise<FeedWithStatus> {
    await this.requireFeed(actor, feedId);
    await this.requestSync(actor, feedId);
    return this.get(actor, feedId);
  }

  async rotateSharedUrl(actor: Actor, feedId: string): Promise<FeedWithStatus> {
    await this.requireFeed(actor, feedId);
    await this.deps.subscriptions.rotateShared(actor.clientKey, feedId);
    return this.get(actor, feedId);
  }

  /** The feed's live personal URLs, each with the calendar-app families that fetched it. */
  async listSubscriptions(
    actor: Actor,
    feedId: string,
  ): Promise<{ subscription: FeedSubscription; clients: SubscriptionClient[] }[]> {
    await this.requireFeed(actor, feedId);
    const subscriptions = await this.deps.subscriptionRepository.listLivePersonal(actor.clientKey, feedId);
    const clients = await this.deps.clients.listForSubscriptions(
      actor.clientKey,
      subscriptions.map((s) => s.id),
    );
    return subscriptions.map((subscription) => ({
      subscription,
      clients: clients.filter((client) => client.subscriptionId === subscription.id),
    }));
  }

  async revokeSubscription(actor: Actor, feedId: string, subscriptionId: string): Promise<void> {
    await this.requireFeed(actor, feedId);
    const subscription = (
      await this.deps.subscriptionRepository.listLivePersonal(actor.clientKey, feedId)
    ).find((s) => s.id === subscriptionId);
    if (!subscription) throw notFound('Subscription');
    await this.deps.subscriptionRepository.revoke(actor.clientKey, subscription.id, this.deps.now());
    await this.deps.livePushes?.feedChanged(actor.clientKey, feedId);
  }

  /** Every personal URL stops working and the shared URL is replaced. */
  async revokeAllSubscriptions(actor: Actor, feedId: string): Promise<number> {
    await this.requireFeed(actor, feedId);
    const revoked = await this.deps.subscriptionRepository.revokeAllForFeed(
      actor.clientKey,
      feedId,
      this.deps.now(),
    );
    await this.deps.subscriptions.ensureShared(actor.clientKey, feedId);
    await this.deps.livePushes?.feedChanged(actor.clientKey, feedId);
    return revoked;
  }

  private async requestSync(actor: Actor, feedId: string): Promise<void> {
    await this.deps.syncRequests.request(actor.clientKey, feedId);
  }

  private async insert(actor: Actor, config: FeedConfig): Promise<FeedWithStatus> {
    const now = this.deps.now();
    const feed = await this.deps.knex.transaction(async (trx) => {
      const created = await this.deps.feeds.insert(
        actor.clientKey,
        { name: config.name, config, accountId: actor.accountId, now },
        trx,
      );
      await this.deps.syncs.create(actor.clientKey, created.id, now, trx);
      // Subscribers get a valid (empty) calendar straight away instead of an error before the first sync.
      await this.deps.publisher.publishEmpty(actor.clientKey, created, trx);
      return created;
    });
    await this.deps.subscriptions.ensureShared(actor.clientKey, feed.id);
    await this.requestSync(actor, feed.id);
    return this.get(actor, feed.id);
  }

  private async requireFeed(actor: Actor, feedId: string): Promise<Feed> {
    const feed = await this.deps.feeds.findById(actor.clientKey, feedId);
    if (!feed) throw notFound('Feed');
    return feed;
  }
}

function missingStatus(feedId: string): FeedSyncStatus {
  return {
    feedId,
    state: 'pending',
    nextSyncAt: new Date(0),
    requestedAt: null,
    startedAt: null,
    finishedAt: null,
    lastSuccessAt: null,
    durationMs: null,
    issueCount: null,
    eventCount: null,
    omittedCount: null,
    omitted: null,
    capReached: false,
    lastSync: null,
    jiraRequestsToday: 0,
    progressIssues: null,
    errorCode: null,
    errorMessage: null,
    consecutiveFailures: 0,
    dataHash: null,
    accessError: null,
  };
}
