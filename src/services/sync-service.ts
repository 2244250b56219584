import type { Knex } from 'knex';
import type { FeedEventRepository } from '../db/feed-event-repository.js';
import type { FeedEventRevisionRepository } from '../db/feed-event-revision-repository.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { FeedSyncRepository } from '../db/feed-sync-repository.js';
import { ALL_CALENDAR, type Feed, type OmittedIssues } from '../domain/feed.js';
import type { FeedEvent } from '../domain/feed-event.js';
import { issuesToRead, keepNearestIssues } from '../domain/issue-cap.js';
import { budgetNote, fitToBudget, SIZE_BUDGET_REASON } from '../domain/size-budget.js';
import { buildFeedEvents, type JiraIssueLike } from '../domain/event-rules.js';
import { applyRevisions } from '../domain/event-revisions.js';
import { eventUidDomain } from '../domain/event-uids.js';
import { requiredJiraFields } from '../domain/feed-config.js';
import type { ActiveInstallation } from '../domain/installation.js';
import { AppError } from '../errors.js';
import type { JiraReader } from '../jira/jira-reader.js';
import { isJiraError } from '../jira/jira-error.js';
import { sleepFor } from '../jira/retry.js';
import { upstreamError } from '../jira/upstream-errors.js';
import type { Logger } from '../logger.js';
import type { AccessService } from './access-service.js';
import type { ErrorReporter } from './error-reporter.js';
import { FeedPublisher } from './feed-publisher.js';
import type { InstallationService } from './installation-service.js';
import type { JiraClients } from './jira-clients.js';

export type SyncOutcome =
  | { status: 'skipped'; reason: 'not-installed' | 'feed-gone' }
  | { status: 'deferred'; reason: 'site-busy' }
  | {
      status: 'ok';
      issueCount: number;
      eventCount: number;
      omitted: number;
      capReached: boolean;
      rendered: boolean;
      jiraPages: number;
    }
  | { status: 'failed'; code: string; message: string; retryable: boolean; retryAfterMs?: number };

const PAGE_SIZE = 100;

type Fetched = { issues: JiraIssueLike[]; capReached: boolean; jiraPages: number };

class PageTokenExpired extends AppError {
  constructor() {
    super(
      502,
      'jira_page_token_expired',
      'Jira refused its own page token twice in a row; the sync will be retried',
      { retryable: true },
    );
  }
}

/**
 * One sync of one feed: run its JQL as the app user, keep only what the feed shows, and swap the
 * event set and its rendered bytes in a single transaction. A failure leaves the last good feed served.
 */
export class SyncService {
  constructor(
    private readonly deps: {
      knex: Knex;
      installations: InstallationService;
      feeds: FeedRepository;
      syncs: FeedSyncRepository;
      events: FeedEventRepository;
      revisions: FeedEventRevisionRepository;
      renders: FeedRenderRepository;
      publisher: FeedPublisher;
      jira: JiraClients;
      /** A sync "running" longer than this is taken to belong to a dead process. */
      /** A running sync beats every quarter of this; one silent this long is taken over. */
      heartbeatStaleMs: number;
      logger: Logger;
      reporter: ErrorReporter;
      access: AccessService;
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
    const heartbeat = setInterval(
      () => {
        this.deps.syncs.heartbeat(clientKey, feedId, started, this.deps.now()).catch((error: unknown) => {
          // A missed beat is harmless; a minute of them hands the sync to another process.
          log.warn({ err: error }, 'could not record the sync heartbeat');
        });
      },
      Math.max(500, this.deps.heartbeatStaleMs / 4),
    );
    heartbeat.unref();
    try {
      const outcome = await this.run(installation, feed, started, signal);
      log.info({ ...outcome, ms: this.deps.now().getTime() - started.getTime() }, 'feed synced');
      return outcome;
    } catch (error) {
      const failure = describeFailure(error);
      const finished = this.deps.now();
      // The database may be what failed: keep trying for a few seconds rather than leave the row "running".
      await retrying(() =>
        this.deps.syncs.markFailed(clientKey, feedId, {
          finishedAt: finished,
          durationMs: finished.getTime() - started.getTime(),
          code: failure.code,
          message: failure.message,
          // Quick retries of transient failures are the job queue's; the schedule itself moves on.
          nextSyncAt: new Date(started.getTime() + feed.config.syncIntervalMinutes * 60_000),
        }),
      );
      log[failure.retryable ? 'warn' : 'info'](
        { code: failure.code, err: error },
        'feed sync failed; last good feed kept',
      );
      if (failure.code === 'internal') await this.deps.reporter.report(clientKey, error, 'sync');
      return { status: 'failed', ...failure };
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async run(
    installation: ActiveInstallation,
    feed: Feed,
    started: Date,
    signal?: AbortSignal,
  ): Promise<SyncOutcome & { status: 'ok' }> {
    const client = this.deps.jira.forFeed(installation, feed);
    const jql = await this.resolveJql(client, feed);
    const fields = requiredJiraFields(feed.config);

    let fetched: Fetched;
    try {
      fetched = await this.fetchIssues(client, installation.clientKey, feed, jql, fields, signal);
    } catch (error) {
      if (!(error instanceof PageTokenExpired)) throw error;
      // Jira's page tokens expire; a sync that outlived one starts over once rather than keeping a partial set.
      this.deps.logger.info(
        { clientKey: installation.clientKey, feedId: feed.id },
        'page token expired mid-sync; restarting the search',
      );
      fetched = await this.fetchIssues(client, installation.clientKey, feed, jql, fields, signal);
    }
    const { capReached, jiraPages } = fetched;

    const now = this.deps.now();
    const ctx = { jiraBaseUrl: installation.baseUrl, uidDomain: eventUidDomain(installation.clientKey, feed.id), now };
    let built = buildFeedEvents(feed.config, fetched.issues, ctx);
    let issues = fetched.issues;
    if (issues.length > feed.config.issueCap) {
      // Over the cap, the issues kept are those whose events are nearest to today, not Jira's first ones.
      issues = keepNearestIssues(issues, built.events, feed.config.issueCap, now);
      built = buildFeedEvents(feed.config, issues, ctx);
    }
    const previous = await this.deps.revisions.listByUid(installation.clientKey, feed.id);
    const revised = applyRevisions(built.events, previous, now);
    const { changed } = revised;
    const status = await this.deps.syncs.find(installation.clientKey, feed.id);
    const dataHash = FeedPublisher.dataHash(feed, revised.events);
    const existing = await this.deps.renders.findMeta(installation.clientKey, feed.id, ALL_CALENDAR);
    const unchanged = status?.dataHash === dataHash && existing?.dataHash === dataHash;
    // Unchanged data left the stored event set (and what the budget cut) as it was.
    const fitted = unchanged ? null : this.fitToBudget(feed, revised.events, now);
    const events = fitted?.events ?? revised.events;
    const omitted = fitted ? withBudgetCut(built.omitted, fitted.dropped) : keptBudgetCut(built.omitted, status?.omitted ?? null);
    const rendered = fitted ? this.deps.publisher.fromText(feed, ALL_CALENDAR, fitted.text, events.length, dataHash) : null;

    const finished = this.deps.now();
    await this.deps.knex.transaction(async (trx) => {
      if (changed.length > 0) await this.deps.revisions.save(installation.clientKey, feed.id, changed, trx);
      if (rendered) {
        await this.deps.events.replaceAll(installation.clientKey, feed.id, events, trx);
        await this.deps.renders.save(installation.clientKey, rendered, trx);
        await this.deps.renders.deleteVariantsExcept(installation.clientKey, feed.id, ALL_CALENDAR, trx);
      }
      await this.deps.syncs.markSucceeded(
        installation.clientKey,
        feed.id,
        {
          finishedAt: finished,
          durationMs: finished.getTime() - started.getTime(),
          issueCount: issues.length,
          eventCount: events.length,
          omitted,
          capReached,
          dataHash,
          nextSyncAt: new Date(started.getTime() + feed.config.syncIntervalMinutes * 60_000),
        },
        trx,
      );
    });
    // Personal URLs show parts of the new event set; their bytes were dropped with the old set.
    if (rendered) {
      await this.deps.access.recomputeFeed(installation, feed).catch((error: unknown) => {
        // The sync itself stands; personal URLs render lazily and the next access refresh retries.
        this.deps.logger.warn(
          { clientKey: installation.clientKey, feedId: feed.id, err: error },
          'could not refresh personal feed URLs',
        );
      });
    }
    return {
      status: 'ok',
      issueCount: issues.length,
      eventCount: events.length,
      omitted: omitted.count,
      capReached,
      rendered: rendered !== null,
      jiraPages,
    };
  }

  /** The event set and calendar text that fit the feed's size budget, nearest events first. */
  private fitToBudget(feed: Feed, all: FeedEvent[], now: Date): { events: FeedEvent[]; dropped: FeedEvent[]; text: string } {
    const { maxBytes, note } = feed.config.sizeBudget;
    const last = { events: null as FeedEvent[] | null, text: '' };
    const fit = fitToBudget(all, now, maxBytes, (subset, dropped) => {
      last.events = subset;
      last.text = this.deps.publisher.renderText(feed, subset, note ? budgetNote(dropped) : null);
      return Buffer.byteLength(last.text, 'utf8');
    });
    // The last size check usually rendered exactly what is kept (always when everything fits).
    const text =
      last.events === fit.kept ? last.text : this.deps.publisher.renderText(feed, fit.kept, note ? budgetNote(fit.dropped.length) : null);
    return { events: fit.kept, dropped: fit.dropped, text };
  }

  private async fetchIssues(
    client: JiraReader,
    clientKey: string,
    feed: Feed,
    jql: string,
    fields: string[],
    signal: AbortSignal | undefined,
  ): Promise<Fetched> {
    const issues: JiraIssueLike[] = [];
    let capReached = false;
    let jiraPages = 0;
    try {
      for await (const page of client.searchPages({
        jql,
        fields,
        pageSize: PAGE_SIZE,
        ...(signal ? { signal } : {}),
      })) {
        jiraPages += 1;
        for (const issue of page) {
          if (issues.length >= feed.config.issueCap) capReached = true;
          if (issues.length >= issuesToRead(feed.config.issueCap)) break;
          issues.push({ id: issue.id, key: issue.key ?? issue.id, fields: issue.fields ?? {} });
        }
        if (issues.length >= issuesToRead(feed.config.issueCap)) break;
        await this.deps.syncs.recordProgress(clientKey, feed.id, issues.length);
      }
    } catch (error) {
      // A 400 after the first page is Jira refusing the page token, not the query it already accepted.
      if (jiraPages > 0 && isJiraError(error) && error.jiraStatus === 400) throw new PageTokenExpired();
      throw error;
    }
    return { issues, capReached, jiraPages };
  }

  private async resolveJql(client: JiraReader, feed: Feed): Promise<string> {
    if (feed.config.source.type === 'jql') return feed.config.source.jql;
    const filter = await client.getFilter(feed.config.source.filterId);
    return filter.jql;
  }
}

const MAX_BUDGET_EXAMPLES = 20;

/** The omissions of a sync plus the events the size budget left out, farthest from today last. */
function withBudgetCut(omitted: OmittedIssues, dropped: FeedEvent[]): OmittedIssues {
  if (dropped.length === 0) return omitted;
  const examples = [...omitted.examples];
  for (const event of dropped.slice(0, MAX_BUDGET_EXAMPLES)) {
    examples.push({ issueKey: event.issueKey ?? event.summary, reason: SIZE_BUDGET_REASON });
  }
  return {
    count: omitted.count + dropped.length,
    byReason: { ...omitted.byReason, [SIZE_BUDGET_REASON]: (omitted.byReason[SIZE_BUDGET_REASON] ?? 0) + dropped.length },
    examples,
  };
}

/** An unchanged sync still reports what the size budget left out at the last render. */
function keptBudgetCut(omitted: OmittedIssues, before: OmittedIssues | null): OmittedIssues {
  const dropped = before?.byReason[SIZE_BUDGET_REASON] ?? 0;
  if (!before || dropped === 0) return omitted;
  return {
    count: omitted.count + dropped,
    byReason: { ...omitted.byReason, [SIZE_BUDGET_REASON]: dropped },
    examples: [...omitted.examples, ...before.examples.filter((example) => example.reason === SIZE_BUDGET_REASON)],
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

function describeFailure(error: unknown): {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
} {
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
