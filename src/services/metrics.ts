import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PushOutcome } from './calendar-push-service.js';
import type { SyncOutcome } from './sync-service.js';

/** What the scrape asks the database, cross-tenant by design: the operator's view of the whole queue. */
export type QueueProbe = () => Promise<{
  queueDepth: number;
  oldestDueFeedSeconds: number;
  /** Live calendar pushes due now and not yet running. */
  pushQueueDepth?: number;
}>;

/** Jira statuses as a bounded label set: a hostile or broken upstream cannot grow the series. */
function statusLabel(status: number | 'timeout' | 'network_error'): string {
  if (typeof status !== 'number') return status;
  return [200, 400, 401, 403, 404, 429, 500, 502, 503, 504].includes(status)
    ? String(status)
    : `${Math.floor(status / 100)}xx`;
}

/** A registry that already collects the process's own metrics (CPU, memory, event loop lag). */
function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'calsync_process_' });
  return registry;
}

/** The queue's depth and lag, read at scrape time: one probe per scrape, shared by the two gauges. */
function registerQueueGauges(registry: Registry, probe: QueueProbe): void {
  const registers = [registry];
  let probed: ReturnType<QueueProbe> | null = null;
  const probeOnce = () => {
    probed ??= probe().finally(() => setTimeout(() => (probed = null), 0));
    return probed;
  };
  new Gauge({
    name: 'calsync_queue_depth',
    help: 'Jobs waiting in the queue (due now, not yet running).',
    registers,
    async collect() {
      this.set((await probeOnce()).queueDepth);
    },
  });
  new Gauge({
    name: 'calsync_oldest_due_feed_seconds',
    help: 'How long the most overdue feed has been due without a sync starting (0 when none is overdue).',
    registers,
    async collect() {
      this.set((await probeOnce()).oldestDueFeedSeconds);
    },
  });
  new Gauge({
    name: 'calsync_calendar_push_queue_depth',
    help: 'Live calendar pushes waiting in the queue (due now, not yet running).',
    registers,
    async collect() {
      this.set((await probeOnce()).pushQueueDepth ?? 0);
    },
  });
}

/**
 * The Prometheus metrics operators scrape (GET /metrics behind METRICS_TOKEN). Labels name outcomes,
 * statuses and sites (the tenant key, which is an identifier, not a credential); never a feed token,
 * a URL or anything a user typed.
 */
export class Metrics {
  readonly registry = processRegistry();
  private readonly calendarPushes = new Counter({
    name: 'calsync_calendar_pushes_total',
    help: 'Live calendar pushes, by outcome (pushed, continues, paced, skipped, ended, broken, failed, retry).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly calendarCalls = new Counter({
    name: 'calsync_calendar_provider_calls_total',
    help: 'Calls live calendar pushes made to calendar providers, by the outcome of their push.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly providerRequests = new Counter({
    name: 'calsync_calendar_provider_requests_total',
    help: 'Calls to calendar providers, by provider and HTTP status (ok, or network when none came back).',
    labelNames: ['provider', 'status'] as const,
    registers: [this.registry],
  });
  private readonly quotaWaits = new Counter({
    name: 'calsync_calendar_quota_waits_total',
    help: "Live calendar pushes stopped because the provider's shared call budget was spent, and requeued.",
    registers: [this.registry],
  });
  private readonly quotaWaitSeconds = new Counter({
    name: 'calsync_calendar_quota_wait_seconds_total',
    help: 'Seconds live calendar pushes were told to wait for the shared call budget.',
    registers: [this.registry],
  });
  private readonly syncs = new Counter({
    name: 'calsync_syncs_total',
    help: 'Feed syncs run by the job queue, by outcome (ok, failed, deferred, skipped) and kind (full, incremental).',
    labelNames: ['outcome', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly syncDuration = new Histogram({
    name: 'calsync_sync_duration_seconds',
    help: 'How long feed syncs took, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly jiraRequests = new Counter({
    name: 'calsync_jira_requests_total',
    help: 'Requests to Jira by HTTP status (or timeout, network_error) and site.',
    labelNames: ['status', 'site'] as const,
    registers: [this.registry],
  });
  private readonly jiraRateLimited = new Counter({
    name: 'calsync_jira_rate_limited_total',
    help: 'Jira answers of 429 (rate limited), by site.',
    labelNames: ['site'] as const,
    registers: [this.registry],
  });
  private readonly feedRequests = new Counter({
    name: 'calsync_feed_requests_total',
    help: 'Requests to feed URLs (/ical/…) by HTTP status.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly servingCache = new Counter({
    name: 'calsync_serving_cache_total',
    help: 'Feed bodies served from the in-memory cache (hit) or read from the database (miss).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly staleTakeovers = new Counter({
    name: 'calsync_stale_syncs_taken_over_total',
    help: 'Syncs left running or queued by a process that died, claimed again by the scheduler.',
    registers: [this.registry],
  });
  private readonly personalDataReports = new Counter({
    name: 'calsync_personal_data_reports_total',
    help: "Personal Data Reporting batches and Atlassian's answers by HTTP status (0: no answer).",
    labelNames: ['answer'] as const,
    registers: [this.registry],
  });
  private readonly personalDataAccounts = new Counter({
    name: 'calsync_personal_data_accounts_total',
    help: 'Accounts in Personal Data Reporting: reported, and erased (closed) or refreshed (updated) on its answer.',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  constructor(probe: QueueProbe) {
    registerQueueGauges(this.registry, probe);
  }

  /** One Personal Data Reporting batch and how Atlassian answered it. */
  recordPersonalDataReport(
    status: number,
    accounts: { reported: number; erased: number; refreshed: number },
  ): void {
    const answer = [0, 200, 204, 400, 401, 403, 429, 500, 503].includes(status)
      ? String(status)
      : `${Math.floor(status / 100)}xx`;
    this.personalDataReports.inc({ answer });
    if (accounts.reported > 0) this.personalDataAccounts.inc({ action: 'reported' }, accounts.reported);
    if (accounts.erased > 0) this.personalDataAccounts.inc({ action: 'erased' }, accounts.erased);
    if (accounts.refreshed > 0) this.personalDataAccounts.inc({ action: 'refreshed' }, accounts.refreshed);
  }

  recordSync(outcome: SyncOutcome, seconds: number, kind: 'full' | 'incremental' = 'full'): void {
    this.syncs.inc({ outcome: outcome.status, kind });
    this.syncDuration.observe({ outcome: outcome.status }, seconds);
  }

  recordJiraResponse(site: string, status: number | 'timeout' | 'network_error'): void {
    this.jiraRequests.inc({ status: statusLabel(status), site });
    if (status === 429) this.jiraRateLimited.inc({ site });
  }

  recordFeedRequest(status: number): void {
    this.feedRequests.inc({ status: statusLabel(status) });
  }

  recordServingCache(hit: boolean): void {
    this.servingCache.inc({ result: hit ? 'hit' : 'miss' });
  }

  recordCalendarPush(outcome: PushOutcome): void {
    this.calendarPushes.inc({ outcome: outcome.status });
    if ('calls' in outcome && outcome.calls > 0)
      this.calendarCalls.inc({ outcome: outcome.status }, outcome.calls);
    if (outcome.status === 'paced') {
      this.quotaWaits.inc();
      this.quotaWaitSeconds.inc(outcome.retryAfterMs / 1000);
    }
  }

  recordProviderCall(provider: string, status: 'ok' | number | 'network'): void {
    this.providerRequests.inc({
      provider,
      status: status === 'ok' ? 'ok' : statusLabel(status === 'network' ? 'network_error' : status),
    });
  }

  recordStaleTakeovers(count: number): void {
    if (count > 0) this.staleTakeovers.inc(count);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
