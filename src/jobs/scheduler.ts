import {
  Logger as WorkerLogger,
  makeWorkerUtils,
  parseCrontab,
  run,
  type Runner,
  type TaskList,
  type WorkerUtils,
} from 'graphile-worker';
import type pg from 'pg';
import type { AccessRepository } from '../db/access-repository.js';
import type { PersonalDataReportRepository } from '../db/personal-data-report-repository.js';
import { type DeploymentScope, jobSchemaOf } from '../domain/deployment.js';
import type { FeedSyncRepository, SyncLiveness } from '../db/feed-sync-repository.js';
import { loggedPool, patientPool } from '../db/patient-pool.js';
import type { AccessService } from '../services/access-service.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../services/metrics.js';
import type { SyncService } from '../services/sync-service.js';
import { REFRESH_ACCESS_TASK, refreshAccessTask } from './refresh-access-job.js';
import {
  REPORT_PERSONAL_DATA_TASK,
  reportPersonalDataJobKey,
  reportPersonalDataTask,
  type PersonalDataReporter,
} from './report-personal-data-job.js';
import { SCHEDULE_DUE_FEEDS_TASK, scheduleDueFeedsTask, type TickQueue } from './schedule-due-feeds-job.js';
import {
  SITE_CHANGED_DEBOUNCE_MS,
  SITE_CHANGED_TASK,
  siteChangedJobKey,
  siteChangedTask,
  type SiteChangedPayload,
} from './site-changed-job.js';
import { SWEEP_USERS_TASK, sweepUsersJobKey, sweepUsersTask } from './sweep-users-job.js';
import { SYNC_FEED_TASK, syncFeedJobKey, syncFeedTask } from './sync-feed-job.js';
import type { UserSweepService } from '../services/user-sweep-service.js';
import type { CalendarPushService } from '../services/calendar-push-service.js';
import { PUSH_CALENDAR_TASK, pushCalendarJobKey, pushCalendarTask } from './push-calendar-job.js';
import { JOB_PRIORITY, type SyncUrgency } from './job-priority.js';

const MAX_ATTEMPTS = 5;
/** Longer than any restart or failover worth riding out; past it the job's end is left to the lock timeout. */
const DATABASE_WAIT_MS = 5 * 60_000;

export function workerLogger(logger: Logger): WorkerLogger {
  const child = logger.child({ component: 'jobs' });
  return new WorkerLogger(() => (level, message, meta) => {
    const name = String(level);
    const method = name === 'error' ? 'error' : name === 'warning' ? 'warn' : 'debug';
    child[method](loggable(meta), message);
  });
}

/**
 * graphile-worker hands over live objects (an error carrying its pg client, the client itself) that pino
 * would dump field by field, kilobytes a line during an outage: errors keep their name, message and code,
 * other class instances are left out.
 */
function loggable(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      kept[key] = { type: value.name, message: value.message, ...(typeof code === 'string' ? { code } : {}) };
    } else if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      Object.getPrototypeOf(value) === Object.prototype
    ) {
      kept[key] = value;
    }
  }
  return kept;
}

export type WorkerDeps = {
  sync: SyncService;
  syncs: FeedSyncRepository;
  access: AccessService;
  accessRepository: AccessRepository;
  userSweeps: UserSweepService;
  personalDataReports: PersonalDataReportRepository;
  connectPersonalData: PersonalDataReporter;
  calendarPushes: CalendarPushService;
  concurrency: number;
  now: () => Date;
  liveness: SyncLiveness;
  pollIntervalMs?: number;
  metrics?: Metrics;
};

export type JobQueueOptions = {
  connectionString: string;
  /** The installations this deployment serves: its queue (a schema of its own) and what its tick claims. */
  scope: DeploymentScope;
  logger: Logger;
  /** The embedded PostgreSQL runs every connection in one session, where named prepared statements collide. */
  sharedSession: boolean;
  /** Connections for enqueueing and for running jobs (poolBudget); unset keeps the embedded database's sizes. */
  pools?: { jobQueue: number; jobRunner: number };
};

/**
 * Jobs live in PostgreSQL (graphile-worker), so any number of app processes can share one database:
 * the cron tick runs once per minute across all of them. Each site's syncs run one at a time (see
 * FeedSyncRepository.tryMarkRunning) so a single site cannot flood Jira or starve the others. Named
 * queues would give that too, but a process killed mid-job would hold its queue for hours.
 */
export class JobQueue implements TickQueue {
  private runner: Runner | null = null;
  private runnerPool: pg.Pool | null = null;

  private constructor(
    private readonly utils: WorkerUtils,
    private readonly utilsPool: pg.Pool,
    private readonly options: JobQueueOptions,
  ) {}

  static async connect(options: JobQueueOptions): Promise<JobQueue> {
    // Enqueueing is on a request's path: its pool fails fast, unlike the runner's (see startWorker).
    const utilsPool = loggedPool({
      connectionString: options.connectionString,
      max: options.pools?.jobQueue ?? 4,
      logger: options.logger.child({ component: 'jobs' }),
    });
    const utils = await makeWorkerUtils({
      pgPool: utilsPool,
      schema: jobSchemaOf(options.scope),
      logger: workerLogger(options.logger),
      noPreparedStatements: options.sharedSession,
    });
    await utils.migrate();
    return new JobQueue(utils, utilsPool, options);
  }

  async enqueueSync(clientKey: string, feedId: string, urgency: SyncUrgency = 'now'): Promise<void> {
    await this.utils.addJob(
      SYNC_FEED_TASK,
      { clientKey, feedId },
      { jobKey: syncFeedJobKey(feedId), maxAttempts: MAX_ATTEMPTS, priority: JOB_PRIORITY[urgency] },
    );
  }

  /**
   * A live calendar may be out of step. Keyed per connection: pushes asked for together run once, and a
   * push already waiting out a provider's Retry-After keeps its later time.
   */
  async enqueueCalendarPush(clientKey: string, connectionId: string, runAt?: Date): Promise<void> {
    await this.utils.addJob(
      PUSH_CALENDAR_TASK,
      { clientKey, connectionId },
      {
        jobKey: pushCalendarJobKey(connectionId),
        jobKeyMode: 'preserve_run_at',
        maxAttempts: MAX_ATTEMPTS,
        priority: JOB_PRIORITY.inStep,
        ...(runAt ? { runAt } : {}),
      },
    );
  }

  async enqueueAccessRefresh(clientKey: string): Promise<void> {
    await this.utils.addJob(
      REFRESH_ACCESS_TASK,
      { clientKey },
      { jobKey: `refresh_access:${clientKey}`, maxAttempts: MAX_ATTEMPTS, priority: JOB_PRIORITY.inStep },
    );
  }

  async enqueueUserSweep(clientKey: string): Promise<void> {
    await this.utils.addJob(
      SWEEP_USERS_TASK,
      { clientKey },
      {
        jobKey: sweepUsersJobKey(clientKey),
        jobKeyMode: 'preserve_run_at',
        maxAttempts: MAX_ATTEMPTS,
        priority: JOB_PRIORITY.housekeeping,
      },
    );
  }

  /** The site's next Personal Data Reporting batch; asked for again each tick until it is sent. */
  async enqueuePersonalDataReport(clientKey: string): Promise<void> {
    await this.utils.addJob(
      REPORT_PERSONAL_DATA_TASK,
      { clientKey },
      {
        jobKey: reportPersonalDataJobKey(clientKey),
        maxAttempts: MAX_ATTEMPTS,
        priority: JOB_PRIORITY.housekeeping,
      },
    );
  }

  /**
   * Jira reported a change on the site (a product event or webhook): its feeds fall due after a short
   * debounce. The job key keeps the first run time, so a stream of events cannot push the sync away.
   */
  async enqueueSiteChanged(payload: SiteChangedPayload): Promise<void> {
    await this.utils.addJob(SITE_CHANGED_TASK, payload, {
      jobKey: siteChangedJobKey(payload),
      jobKeyMode: 'preserve_run_at',
      runAt: new Date(Date.now() + SITE_CHANGED_DEBOUNCE_MS),
      maxAttempts: MAX_ATTEMPTS,
      priority: JOB_PRIORITY.now,
    });
  }

  /** Jobs (of one task, when named) due now and not yet taken by a worker, in this deployment's queue. */
  async depth(task?: string): Promise<number> {
    const result = await this.utils.withPgClient((client) =>
      client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${client.escapeIdentifier(jobSchemaOf(this.options.scope))}.jobs WHERE run_at <= now() AND locked_at IS NULL AND attempts < max_attempts${task ? ' AND task_identifier = $1' : ''}`,
        task ? [task] : [],
      ),
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  /** Asks for a scheduling tick now instead of at the next minute; ticks asked for together run once. */
  async requestTick(): Promise<void> {
    await this.utils.addJob(
      SCHEDULE_DUE_FEEDS_TASK,
      {},
      { jobKey: SCHEDULE_DUE_FEEDS_TASK, maxAttempts: 1, priority: JOB_PRIORITY.now },
    );
  }

  async requestTickAt(runAt: Date): Promise<void> {
    await this.utils.addJob(
      SCHEDULE_DUE_FEEDS_TASK,
      {},
      {
        jobKey: `${SCHEDULE_DUE_FEEDS_TASK}:follow-up`,
        jobKeyMode: 'replace',
        runAt,
        maxAttempts: 1,
        priority: JOB_PRIORITY.now,
      },
    );
  }

  /** Starts working jobs in this process: the minute tick plus feed syncs. */
  async startWorker(deps: WorkerDeps): Promise<void> {
    if (this.runner) return;
    // Jobs wait out a database restart; enqueueing (on a request's path) keeps failing fast.
    this.runnerPool = patientPool({
      connectionString: this.options.connectionString,
      // A caller asking for more concurrency than the budget assumed (tests) still gets a slot per job.
      max: Math.max(this.options.pools?.jobRunner ?? 10, deps.concurrency + 2),
      logger: this.options.logger.child({ component: 'jobs' }),
      maxWaitMs: DATABASE_WAIT_MS,
    });
    this.runner = await run({
      pgPool: this.runnerPool,
      schema: jobSchemaOf(this.options.scope),
      concurrency: deps.concurrency,
      noHandleSignals: true,
      noPreparedStatements: this.options.sharedSession,
      pollInterval: deps.pollIntervalMs ?? 2_000,
      logger: workerLogger(this.options.logger),
      taskList: this.taskList(deps),
      parsedCronItems: parseCrontab(`* * * * * ${SCHEDULE_DUE_FEEDS_TASK} ?max=1`),
    });
    // Do not leave feeds that fell due while no process was running waiting for the first cron minute.
    await this.requestTick();
  }

  private taskList(deps: WorkerDeps): TaskList {
    return {
      [SYNC_FEED_TASK]: syncFeedTask(deps.sync, (outcome, seconds) =>
        deps.metrics?.recordSync(outcome, seconds),
      ),
      [REFRESH_ACCESS_TASK]: refreshAccessTask(deps.access),
      [PUSH_CALENDAR_TASK]: pushCalendarTask(deps.calendarPushes, (outcome) =>
        deps.metrics?.recordCalendarPush(outcome),
      ),
      [SWEEP_USERS_TASK]: sweepUsersTask(deps.userSweeps),
      [REPORT_PERSONAL_DATA_TASK]: reportPersonalDataTask(deps.connectPersonalData),
      [SITE_CHANGED_TASK]: siteChangedTask({
        syncs: deps.syncs,
        requestTick: () => this.requestTick(),
        now: deps.now,
      }),
      [SCHEDULE_DUE_FEEDS_TASK]: scheduleDueFeedsTask({
        scope: this.options.scope,
        syncs: deps.syncs,
        access: deps.accessRepository,
        personalDataReports: deps.personalDataReports,
        queue: this,
        now: deps.now,
        liveness: deps.liveness,
        onStaleTakeovers: (count) => deps.metrics?.recordStaleTakeovers(count),
        userSweeps: deps.userSweeps,
      }),
    };
  }

  async stop(): Promise<void> {
    if (this.runner) {
      await this.runner.stop();
      this.runner = null;
    }
    await this.runnerPool?.end();
    this.runnerPool = null;
    await this.utils.release();
    await this.utilsPool.end();
  }
}
