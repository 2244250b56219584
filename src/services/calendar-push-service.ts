import type { AccessRepository } from '../db/access-repository.js';
import type { CalendarConnectionRepository } from '../db/calendar-connection-repository.js';
import type { CalendarPushedEventRepository } from '../db/calendar-pushed-event-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { SubscriptionRepository } from '../db/subscription-repository.js';
import { ProviderError, type PushedEvent } from '../domain/calendar-provider.js';
import { QuotaWait } from '../domain/provider-quotas.js';
import {
  type CalendarConnection,
  type CalendarPlan,
  planChanges,
  planSize,
  toPushedEvents,
} from '../domain/live-calendar.js';
import type { Logger } from '../logger.js';
import type { AccessService } from './access-service.js';
import type { InstallationService } from './installation-service.js';
import type { ProviderSession, ProviderSessions } from './provider-sessions.js';

/** How a push ended; `retryAfterMs` asks the job to come back then (the provider's wait, or back-off). */
export type PushOutcome =
  | { status: 'pushed'; calls: number; changes: number }
  | { status: 'skipped'; reason: string }
  | { status: 'ended'; reason: string; calls: number }
  | { status: 'broken' }
  | { status: 'failed'; calls: number }
  | { status: 'retry'; retryAfterMs: number | null; calls: number }
  /** The shared provider budget is spent: come back in `retryAfterMs`; not a failure. */
  | { status: 'paced'; retryAfterMs: number; calls: number }
  /** This run's share of a big plan is done: come back after the others waiting now. */
  | { status: 'continues'; calls: number; changes: number };

/** Changes one push run sends at most, so a first fill of thousands never holds a worker for long. */
export const MAX_CHANGES_PER_RUN = 100;

/** The first `limit` changes of a plan: deletes, then updates, then inserts. */
export function firstChanges(plan: CalendarPlan, limit: number): CalendarPlan {
  const deletes = plan.deletes.slice(0, limit);
  const updates = plan.updates.slice(0, limit - deletes.length);
  const inserts = plan.inserts.slice(0, limit - deletes.length - updates.length);
  return { ...plan, deletes, updates, inserts };
}

type Desired = { events: PushedEvent[] } | { ended: string } | { undecided: true };

/**
 * Keeps one live calendar equal to what its person's personal URL serves: the same events the URL's
 * bytes are rendered from (`AccessService.servedEvents`), diffed by UID and digest against what was
 * pushed, and only the difference sent. A push with nothing to change calls no provider at all.
 */
export class CalendarPushService {
  constructor(
    private readonly deps: {
      connections: CalendarConnectionRepository;
      pushed: CalendarPushedEventRepository;
      subscriptions: SubscriptionRepository;
      feeds: FeedRepository;
      access: AccessRepository;
      accessService: AccessService;
      installations: InstallationService;
      sessions: ProviderSessions;
      logger: Logger;
      now: () => Date;
      maxChangesPerRun?: number;
    },
  ) {}

  async push(clientKey: string, connectionId: string): Promise<PushOutcome> {
    const connection = await this.deps.connections.findById(clientKey, connectionId);
    if (!connection || connection.state !== 'live') return { status: 'skipped', reason: 'not live' };
    const desired = await this.desired(connection);
    // Access not worked out yet (a URL just made): leave the calendar as it is rather than empty it.
    if ('undecided' in desired) return { status: 'skipped', reason: 'access not decided yet' };
    const events = 'ended' in desired ? [] : desired.events;
    const plan = planChanges(events, await this.deps.pushed.list(clientKey, connectionId));
    if (planSize(plan) === 0 && 'events' in desired) {
      await this.deps.connections.update(clientKey, connectionId, {
        lastPushAt: this.deps.now(),
        eventCount: events.length,
        pendingCount: 0,
      });
      return { status: 'pushed', calls: 0, changes: 0 };
    }
    const whole = planSize(plan);
    const share = firstChanges(plan, this.deps.maxChangesPerRun ?? MAX_CHANGES_PER_RUN);
    const session = this.deps.sessions.open(connection, planSize(share) + 1);
    if (!session) return { status: 'skipped', reason: 'provider not configured' };
    const progress = { remaining: whole };
    try {
      return await this.apply(connection, session, { plan: share, whole, progress }, desired);
    } catch (error) {
      if (error instanceof QuotaWait) return this.paced(connection, error, progress.remaining, session.calls);
      return this.failed(connection, error, session.calls);
    }
  }

  private async paced(
    connection: CalendarConnection,
    wait: QuotaWait,
    remaining: number,
    calls: number,
  ): Promise<PushOutcome> {
    const { clientKey, id } = connection;
    const now = this.deps.now();
    await this.deps.connections.update(clientKey, id, { pendingCount: remaining, pausedAt: now });
    return { status: 'paced', retryAfterMs: wait.waitMs, calls };
  }

  /** What the URL serves now, or why it serves this person nothing any more. */
  private async desired(connection: CalendarConnection): Promise<Desired> {
    const { clientKey } = connection;
    if (!(await this.deps.installations.findActive(clientKey))) return { ended: 'The app was uninstalled' };
    const feed = await this.deps.feeds.findById(clientKey, connection.feedId);
    if (!feed) return { ended: 'The feed was deleted' };
    const subscription = await this.deps.subscriptions.findLive(
      clientKey,
      feed.id,
      connection.accountId,
      connection.calendar,
    );
    if (!subscription) return { ended: 'The personal calendar URL was revoked' };
    if (subscription.id !== connection.subscriptionId)
      await this.deps.connections.update(clientKey, connection.id, { subscriptionId: subscription.id });
    const access = await this.deps.access.findSubscriptionAccess(clientKey, subscription.id);
    if (!access) return { undecided: true };
    if (!access.allowed) return { ended: access.reason ?? 'You no longer have access to this calendar' };
    const events = await this.deps.accessService.servedEvents(clientKey, feed, subscription, access);
    if (events === null) return { ended: 'You no longer have access to this calendar' };
    return { events: toPushedEvents(events) };
  }

  private async apply(
    connection: CalendarConnection,
    session: ProviderSession,
    work: { plan: CalendarPlan; whole: number; progress: { remaining: number } },
    desired: { events: PushedEvent[] } | { ended: string },
  ): Promise<PushOutcome> {
    const { clientKey, id } = connection;
    const { plan, progress } = work;
    const store = this.deps.pushed;
    // Changes left over with no error recorded and no pause: a push died mid-call and may have written
    // events it never recorded, so look for each before inserting it. A refused or paused push wrote nothing.
    const lookFirst =
      connection.pendingCount > 0 && connection.lastError === null && connection.pausedAt === null;
    await this.deps.connections.update(clientKey, id, { pendingCount: work.whole, pausedAt: null });
    if (plan.inserts.length > 0 || plan.updates.length > 0) await session.ensureCalendar();
    for (const record of plan.deletes) {
      await session.change({ kind: 'delete', remoteId: record.remoteId, uid: record.uid });
      await store.remove(clientKey, id, record.uid);
      progress.remaining -= 1;
    }
    for (const { remoteId, event } of plan.updates) {
      const outcome = await session.change({ kind: 'update', remoteId, event });
      if (outcome.kind === 'gone') await this.insert(session, connection, event, false);
      else await store.put(clientKey, id, { uid: event.uid, remoteId, digest: event.digest });
      progress.remaining -= 1;
    }
    for (const event of plan.inserts) {
      await this.insert(session, connection, event, lookFirst);
      progress.remaining -= 1;
    }
    if (progress.remaining > 0) {
      await this.deps.connections.update(clientKey, id, {
        pendingCount: progress.remaining,
        pausedAt: this.deps.now(),
      });
      return { status: 'continues', calls: session.calls, changes: planSize(plan) };
    }
    const counts = { eventCount: 'ended' in desired ? 0 : desired.events.length, pendingCount: 0 };
    if ('ended' in desired) {
      await this.deps.connections.update(clientKey, id, {
        ...counts,
        state: 'ended',
        stateReason: desired.ended,
        lastPushAt: this.deps.now(),
      });
      return { status: 'ended', reason: desired.ended, calls: session.calls };
    }
    await this.deps.connections.update(clientKey, id, {
      ...counts,
      lastPushAt: this.deps.now(),
      lastError: null,
    });
    return { status: 'pushed', calls: session.calls, changes: planSize(plan) };
  }

  private async insert(
    session: ProviderSession,
    connection: CalendarConnection,
    event: PushedEvent,
    lookFirst: boolean,
  ): Promise<void> {
    const existing = lookFirst ? await session.find(event.uid) : null;
    const outcome = existing
      ? await session.change({ kind: 'update', remoteId: existing, event })
      : await session.change({ kind: 'insert', event });
    const remoteId = 'remoteId' in outcome ? outcome.remoteId : null;
    if (remoteId === null) return this.insert(session, connection, event, false);
    await this.deps.pushed.put(connection.clientKey, connection.id, {
      uid: event.uid,
      remoteId,
      digest: event.digest,
    });
  }

  private async failed(connection: CalendarConnection, error: unknown, calls: number): Promise<PushOutcome> {
    const { clientKey, id } = connection;
    const now = this.deps.now();
    const log = this.deps.logger.child({ clientKey, connectionId: id, provider: connection.provider });
    if (!(error instanceof ProviderError)) throw error;
    if (error.kind === 'grant_revoked' || error.kind === 'unauthorized') {
      await this.deps.connections.markBroken(
        clientKey,
        id,
        'Access to your calendar was withdrawn: reconnect',
        now,
      );
      log.info({ kind: error.kind }, 'live calendar broken: the grant was withdrawn');
      return { status: 'broken' };
    }
    await this.deps.connections.update(clientKey, id, {
      lastError: error.message,
      lastErrorAt: now,
    });
    if (error.kind === 'calendar_gone') {
      await this.deps.pushed.clear(clientKey, id);
      await this.deps.connections.update(clientKey, id, { remoteCalendarId: null });
      return { status: 'retry', retryAfterMs: 0, calls };
    }
    log.warn({ kind: error.kind, status: error.status }, 'live calendar push stopped');
    // Sending the same request again cannot help; the next change to this calendar tries again.
    if (error.kind === 'rejected') return { status: 'failed', calls };
    return { status: 'retry', retryAfterMs: error.retryAfterMs, calls };
  }
}
