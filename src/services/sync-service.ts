import type { FeedRepository } from '../db/feed-repository.js';
import type { FeedSyncDayRepository } from '../db/feed-sync-day-repository.js';
import type { FeedSyncRepository } from '../db/feed-sync-repository.js';
import type { Feed, SyncKind } from '../domain/feed.js';
import type { ActiveInstallation } from '../domain/installation.js';
import { nextSyncAt } from '../domain/sync-basis.js';
import { AppError } from '../errors.js';
import { isJiraError } from '../jira/jira-error.js';
import { sleepFor } from '../jira/retry.js';
import { upstreamError } from '../jira/upstream-errors.js';
import type { Logger } from '../logger.js';
import type { AccessService } from './access-service.js';
import type { LiveCalendarTriggers } from './live-calendar-triggers.js';
import type { ErrorReporter } from './error-reporter.js';
import type { InstallationService } from './installation-service.js';
import type { SyncReader, SyncRun } from './sync-reader.js';
import type { SyncSettler } from './sync-settler.js';
import type { SyncFindings, SyncStore } from './sync-store.js';

export type SyncOutcome =
  | { status: 'skipped'; reason: 'not-installed' | 'feed-gone' }
  | { status: 'deferred'; reason: 'site-busy' }
  | {
      status: 'ok';
      kind: SyncKind;
      issueCount: number;
      eventCount: number;
      omitted: number;
      capReached: boolean;
      rendered: boolean;
      jiraRequests: number;
      /** Issues read with every field the feed needs (an unchanged incremental sync reads none). */
      issuesFetched: number;
    }
  | { status: 'failed'; code: string; message: string; retryable: boolean; retryAfterMs?: number };

type Failure = Omit<SyncOutcome & { status: 'failed' }, 'status'>;

/**
 * One sync of one feed: run its JQL as the app user, keep only what the feed shows, and swap the
 * event set and its rendered bytes in a single transaction. A failure leaves the last good feed served.
 * This runs it and keeps it alive; `SyncReader` reads, `SyncSettler` fits the size budget, `SyncStore` writes.
 */
export class SyncService {
  constructor(
    private readonly deps: {
      installations: InstallationService;
      feeds: FeedRepository;
      syncs: FeedSyncRepository;
      syncDays: FeedSyncDayRepository;
      reader: SyncReader;
      settler: SyncSettler;
      store: SyncStore;
      /** A running sync beats every quarter of this; one silent this long is taken over. */
      heartbeatStaleMs: number;
      logger: Logger;
      reporter: ErrorReporter;
      access: AccessService;
      livePushes?: LiveCalendarTriggers;
      now: () => Date;
    },
  ) {}

  async syncFeed(clientKey: string, feedId: string, signal?: AbortSignal): Promise<SyncOutcome> {
    const installation = await this.deps.installations.findActive(clientKey);
    if (!installation) return { status: 'skipped', reason: 'not-installed' };
    const feed = await this.deps.feeds.findById(clientKey, feedId);
    if (!feed) return { status: 'skipped', reason: 'feed-gone' };

    const started = this.deps.now();
    const log = this.deps.logger.child({ clientKey, feedId });
    if (!(await this.deps.syncs.tryMarkRunning(clientKey, feedId, started, this.deps.heartbeatStaleMs))) {
      return { status: 'deferred', reason: 'site-busy' };
    }
    const heartbeat = this.startHeartbeat(feed, started, log);
    const requests = { count: 0 };
    try {
      const outcome = await this.run(installation, feed, started, requests, signal);
      log.info({ ...outcome, ms: this.deps.now().getTime() - started.getTime() }, 'feed synced');
      return outcome;
    } catch (error) {
      return { status: 'failed', ...(await this.fail(feed, started, requests, error, log)) };
    } finally {
      clearInterval(heartbeat);
    }
  }

  private startHeartbeat(feed: Feed, started: Date, log: Logger): NodeJS.Timeout {
    const heartbeat = setInterval(
      () => {
        this.deps.syncs
          .heartbeat(feed.clientKey, feed.id, started, this.deps.now())
          .catch((error: unknown) => {
            // A missed beat is harmless; a minute of them hands the sync to another process.
            log.warn({ err: error }, 'could not record the sync heartbeat');
          });
      },
      Math.max(500, this.deps.heartbeatStaleMs / 4),
    );
    heartbeat.unref();
    return heartbeat;
  }

  /** Records a failed sync; the last good feed stays served. */
  private async fail(
    feed: Feed,
    started: Date,
    requests: { count: number },
    error: unknown,
    log: Logger,
  ): Promise<Failure> {
    const failure = describeFailure(error);
    const finished = this.deps.now();
    // The database may be what failed: keep trying for a few seconds rather than leave the row "running".
    await retrying(async () => {
      await this.deps.syncs.markFailed(feed.clientKey, feed.id, {
        finishedAt: finished,
        durationMs: finished.getTime() - started.getTime(),
        code: failure.code,
        message: failure.message,
        // Quick retries of transient failures are the job queue's; the schedule itself moves on.
        nextSyncAt: nextSyncAt(started, feed.config),
      });
      if (requests.count > 0)
        await this.deps.syncDays.countRequests(feed.clientKey, feed.id, finished, requests.count);
    });
    log[failure.retryable ? 'warn' : 'info'](
      { code: failure.code, err: error },
      'feed sync failed; last good feed kept',
    );
    if (failure.code === 'internal') await this.deps.reporter.report(feed.clientKey, error, 'sync');
    return failure;
  }

  private async run(
    installation: ActiveInstallation,
    feed: Feed,
    started: Date,
    requests: { count: number },
    signal?: AbortSignal,
  ): Promise<SyncOutcome & { status: 'ok' }> {
    const { reader, settler, store } = this.deps;
    const run = await reader.plan(installation, feed, started, requests, signal);
    const incremental = await reader.readIncremental(run);
    if (incremental && 'unchanged' in incremental)
      return okOutcome(await store.storeUnchanged(run, incremental.unchanged, incremental.basis), run);
    let read = incremental ?? (await reader.readFull(run));
    let settled = await settler.settle(run, read);
    if (!settled) {
      // The fit wants an event of a sprint or version the budget cut: only a full read rebuilds it with certainty.
      read = await reader.readFull(run);
      settled = await settler.settle(run, read);
      if (!settled) throw new Error('a full read left events the size budget cut unread');
    }
    read = { ...read, items: settled.items, issuesFetched: read.issuesFetched + settled.issuesFetched };
    const findings = await store.store(run, read, settled);
    // Personal URLs show parts of the new event set; their bytes were dropped with the old set.
    if (findings.rendered) await this.refreshPersonalUrls(installation, feed);
    return okOutcome(findings, run);
  }

  private async refreshPersonalUrls(installation: ActiveInstallation, feed: Feed): Promise<void> {
    await this.deps.access.recomputeFeed(installation, feed).catch((error: unknown) => {
      // The sync itself stands; personal URLs render lazily and the next access refresh retries.
      this.deps.logger.warn(
        { clientKey: feed.clientKey, feedId: feed.id, err: error },
        'could not refresh personal feed URLs',
      );
    });
    // What personal URLs serve changed: live calendars of this feed follow.
    await this.deps.livePushes?.feedChanged(feed.clientKey, feed.id).catch((error: unknown) => {
      this.deps.logger.warn(
        { clientKey: feed.clientKey, feedId: feed.id, err: error },
        'could not queue live calendar pushes; the next access refresh queues them',
      );
    });
  }
}

function okOutcome(findings: SyncFindings, run: SyncRun): SyncOutcome & { status: 'ok' } {
  return {
    status: 'ok',
    kind: findings.kind,
    issueCount: findings.issueCount,
    eventCount: findings.eventCount,
    omitted: findings.omitted.count,
    capReached: findings.capReached,
    rendered: findings.rendered,
    jiraRequests: run.requests.count,
    issuesFetched: findings.issuesFetched,
  };
}

/** Runs `work` up to five times over about 8 s (0.5, 1, 2, 4 s apart), rethrowing the last failure. */
async function retrying<T>(work: () => Promise<T>, attempts = 5, firstDelayMs = 500): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleepFor(firstDelayMs * 2 ** (attempt - 1));
    }
  }
}

function describeFailure(error: unknown): Failure {
  if (isJiraError(error)) error = upstreamError(error);
  if (error instanceof AppError) {
    const failure = { code: error.code, message: error.message, retryable: error.retryable };
    return error.retryAfterSeconds === undefined
      ? failure
      : { ...failure, retryAfterMs: error.retryAfterSeconds * 1000 };
  }
  return {
    code: 'internal',
    message: 'The sync failed on our side; it has been logged and will be retried',
    retryable: true,
  };
}
