import { z } from 'zod';
import { DEFAULT_POOL_SIZE, minimumPoolSize } from './db/pool-budget.js';
import {
  checkLiveCalendars,
  type GoogleConfig,
  googleConfig,
  liveCalendarsConfigured,
  liveCalendarVariables,
  type MicrosoftConfig,
  microsoftConfig,
} from './config-live-calendars.js';
import { DATA_REGIONS, type DataRegion } from './domain/data-region.js';

export type { GoogleConfig, MicrosoftConfig } from './config-live-calendars.js';

const booleanString = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** A comma-separated list, trimmed, empty entries dropped. */
const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0),
);

const hostPatterns = commaList.pipe(
  z.array(z.string().regex(/^[a-z0-9*.-]+$/i, 'host patterns are host names, "*" as a wildcard')).min(1),
);

/** `host`, `host:port` or `host:*`; a `*` in the host stands for one label. */
const apiHostPatterns = commaList.pipe(
  z
    .array(
      z
        .string()
        .regex(
          /^[a-z0-9*.-]+(:([1-9][0-9]{0,4}|\*))?$/i,
          'API hosts are host names ("*" as a wildcard label), optionally with ":port" or ":*"',
        ),
    )
    .min(1),
);

const FORGE_APP_ARI_PREFIX = 'ari:cloud:ecosystem::app/';
const FORGE_APP_ID =
  /^(ari:cloud:ecosystem::app\/)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 32 random bytes, as 64 hex digits or base64 (`openssl rand -hex 32` or `openssl rand -base64 32`). */
const encryptionKey = z.string().transform((value, ctx) => {
  const bytes = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32 || (!/^[0-9a-f]{64}$/i.test(value) && bytes.toString('base64') !== value)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be 32 random bytes as 64 hex digits or base64 (openssl rand -hex 32)',
    });
    return z.NEVER;
  }
  return bytes;
});

const DATACENTER_VARIABLES = [
  'JIRA_DC_BASE_URL',
  'JIRA_DC_CLIENT_ID',
  'JIRA_DC_CLIENT_SECRET',
  'TOKEN_ENCRYPTION_KEY',
] as const;

const environmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    APP_KEY: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore, at most 64')
      .default('calendar-sync'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: booleanString.default(false),
    CONNECT_KEYS_URL: z.url().default('https://connect-install-keys.atlassian.com'),
    JIRA_HOSTS: hostPatterns.default(['*.atlassian.net', '*.jira.com', '*.jira-dev.com']),
    FEED_TOKEN_SECRET: z
      .string()
      .min(32, 'must be at least 32 characters (use 32+ random bytes, hex or base64)')
      .optional(),
    JIRA_REQUESTS_PER_SECOND: z.coerce.number().positive().max(100).default(10),
    SYNC_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(DEFAULT_POOL_SIZE),
    SCHEDULER_ENABLED: booleanString.default(true),
    STALE_SYNC_MINUTES: z.coerce
      .number()
      .min(0)
      .max(24 * 60)
      .default(30),
    SYNC_HEARTBEAT_STALE_SECONDS: z.coerce.number().min(2).max(3600).default(60),
    ERROR_REPORTING_URL: z.url().optional(),
    FRAME_ANCESTORS: z
      .string()
      .transform((value) => value.split(/[\s,]+/).filter((part) => part.length > 0))
      .pipe(z.array(z.string().regex(/^https?:\/\/[a-z0-9.*:-]+$/i, 'origins such as http://localhost:8080')))
      .default([]),
    TRUST_PROXY: z
      .string()
      .regex(
        /^(true|false|\d{1,2}|[0-9a-f.:/, ]+|loopback|linklocal|uniquelocal)$/i,
        'true, false, a hop count, or addresses/subnets',
      )
      .transform((value): boolean | number | string =>
        value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value,
      )
      .default(false),
    FEED_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    FORGE_APP_ID: z
      .string()
      .regex(
        FORGE_APP_ID,
        'the app id `forge register` printed: ari:cloud:ecosystem::app/<uuid>, or the bare uuid',
      )
      .transform((value) =>
        (value.startsWith(FORGE_APP_ARI_PREFIX) ? value : `${FORGE_APP_ARI_PREFIX}${value}`).toLowerCase(),
      )
      .optional(),
    FORGE_JWKS_URL: z
      .url({ protocol: /^https?$/ })
      .default('https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json'),
    FORGE_API_HOSTS: apiHostPatterns.default(['api.atlassian.com']),
    DATA_REGION: z.enum(DATA_REGIONS).default('default'),
    JIRA_API_BUDGET_SECONDS: z.coerce.number().min(1).max(60).default(5),
    EDITION: z.enum(['cloud', 'datacenter']).default('cloud'),
    JIRA_DC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    JIRA_DC_CLIENT_ID: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, 'the client id Jira showed for the incoming application link')
      .optional(),
    JIRA_DC_CLIENT_SECRET: z
      .string()
      .regex(
        /^[\x21-\x7e]{16,500}$/,
        'the client secret Jira showed for the incoming application link (16+ characters)',
      )
      .optional(),
    TOKEN_ENCRYPTION_KEY: encryptionKey.optional(),
    SESSION_HOURS: z.coerce
      .number()
      .min(1)
      .max(24 * 30)
      .default(12),
    ...liveCalendarVariables,
    METRICS_TOKEN: z
      .string()
      .min(24, 'must be at least 24 characters (a random token the scraper sends as Bearer)')
      .optional(),
  })
  .superRefine((env, ctx) => {
    checkLiveCalendars(env, ctx);
    if (env.EDITION === 'datacenter') {
      for (const name of DATACENTER_VARIABLES) {
        if (env[name] === undefined)
          ctx.addIssue({ code: 'custom', path: [name], message: 'is required with EDITION=datacenter' });
      }
      if (env.FORGE_APP_ID)
        ctx.addIssue({
          code: 'custom',
          path: ['FORGE_APP_ID'],
          message: 'belongs to the Cloud edition; unset it with EDITION=datacenter',
        });
      if (
        env.NODE_ENV === 'production' &&
        env.JIRA_DC_BASE_URL &&
        !env.JIRA_DC_BASE_URL.startsWith('https://')
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['JIRA_DC_BASE_URL'],
          message: 'must be https in production (tokens travel to it)',
        });
      }
    } else {
      for (const name of DATACENTER_VARIABLES) {
        // The cipher's key also seals live-calendar tokens, which the Cloud edition has too.
        if (name === 'TOKEN_ENCRYPTION_KEY' && liveCalendarsConfigured(env)) continue;
        if (env[name] !== undefined)
          ctx.addIssue({ code: 'custom', path: [name], message: 'is only read with EDITION=datacenter' });
      }
    }
    const poolFloor = minimumPoolSize(env.SYNC_CONCURRENCY, env.SCHEDULER_ENABLED);
    if (env.DATABASE_POOL_SIZE < poolFloor) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_POOL_SIZE'],
        message: `must be at least ${poolFloor} with SYNC_CONCURRENCY=${env.SYNC_CONCURRENCY}${env.SCHEDULER_ENABLED ? '' : ' and SCHEDULER_ENABLED=false'}`,
      });
    }
    if (env.NODE_ENV !== 'production') return;
    if (!env.BASE_URL?.startsWith('https://')) {
      ctx.addIssue({
        code: 'custom',
        path: ['BASE_URL'],
        message: 'is required in production and must be https',
      });
    }
    if (!env.FEED_TOKEN_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['FEED_TOKEN_SECRET'], message: 'is required in production' });
    }
  });

export type Config = {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  baseUrl: string;
  appKey: string;
  databaseUrl: string | null;
  dataDir: string;
  logLevel: string;
  logPretty: boolean;
  connectKeysUrl: string;
  jiraHosts: string[];
  feedTokenSecret: string | null;
  jiraRequestsPerSecond: number;
  syncConcurrency: number;
  schedulerEnabled: boolean;
  /** PostgreSQL connections this process may open in all (see poolBudget); the embedded database ignores it. */
  databasePoolSize: number;
  /** A feed "queued" this long whose job never started is queued again (the queue lost it). */
  staleSyncMinutes: number;
  /** A running sync whose heartbeat is older than this belongs to a dead process and is taken over. */
  syncHeartbeatStaleMs: number;
  errorReportingUrl: string | null;
  /** Origins allowed to frame the pages besides Atlassian's (local host pages for development and tests). */
  extraFrameAncestors: string[];
  /** Express "trust proxy": which hops' X-Forwarded-For to believe when telling clients apart. */
  trustProxy: boolean | number | string;
  /** Failed feed-token lookups one address may make per minute before it gets 429. */
  feedFailuresPerMinute: number;
  shutdownTimeoutMs: number;
  /** How long a page's API call may spend on Jira before it answers "Jira is busy, try again in N s". */
  jiraApiBudgetMs: number;
  /** Bearer token Prometheus sends to GET /metrics; null leaves /metrics off (404). */
  metricsToken: string | null;
  /** The Forge front door; null (FORGE_APP_ID unset) leaves only Connect. */
  forge: ForgeConfig | null;
  /** Which of the Forge app's regional baseUrls leads here; Forge calls routed through another are refused. */
  dataRegion: DataRegion;
  /** The self-managed Data Center edition (EDITION=datacenter): its one Jira instance; null is the Cloud edition. */
  datacenter: DataCenterConfig | null;
  /** Live calendars in Google Calendar (GOOGLE_OAUTH_CLIENT_ID set); null hides the option. */
  google: GoogleConfig | null;
  /** Live calendars in Outlook through Microsoft Graph (MICROSOFT_OAUTH_CLIENT_ID set); null hides the option. */
  microsoft: MicrosoftConfig | null;
};

export type DataCenterConfig = {
  /** The Jira instance's base URL, as its users reach it. */
  baseUrl: string;
  /** From the incoming application link (OAuth 2.0) the Jira administrator created. */
  clientId: string;
  clientSecret: string;
  /** AES-256-GCM key for refresh tokens at rest. */
  tokenEncryptionKey: Buffer;
  sessionTtlMs: number;
};

export type ForgeConfig = {
  /** The app's ARI: the audience of every Forge invocation token. */
  appId: string;
  /** Where Forge publishes the keys that sign invocation tokens. */
  jwksUrl: string;
  /**
   * Hosts an installation's `apiBaseUrl` may name; the system token is sent only there. An entry without a
   * port matches https's default port only; `host:port` that port only; `host:*` any port.
   */
  apiHosts: string[];
};

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The only reader of the environment: parse once at start and pass the result down. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    appKey: e.APP_KEY,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
    connectKeysUrl: e.CONNECT_KEYS_URL.replace(/\/+$/, ''),
    jiraHosts: e.JIRA_HOSTS,
    feedTokenSecret: e.FEED_TOKEN_SECRET ?? null,
    jiraRequestsPerSecond: e.JIRA_REQUESTS_PER_SECOND,
    syncConcurrency: e.SYNC_CONCURRENCY,
    schedulerEnabled: e.SCHEDULER_ENABLED,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    staleSyncMinutes: e.STALE_SYNC_MINUTES,
    syncHeartbeatStaleMs: e.SYNC_HEARTBEAT_STALE_SECONDS * 1000,
    errorReportingUrl: e.ERROR_REPORTING_URL ?? null,
    extraFrameAncestors: e.FRAME_ANCESTORS,
    trustProxy: e.TRUST_PROXY,
    feedFailuresPerMinute: e.FEED_FAILURES_PER_MINUTE,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    jiraApiBudgetMs: e.JIRA_API_BUDGET_SECONDS * 1000,
    metricsToken: e.METRICS_TOKEN ?? null,
    datacenter:
      e.EDITION === 'datacenter' &&
      e.JIRA_DC_BASE_URL &&
      e.JIRA_DC_CLIENT_ID &&
      e.JIRA_DC_CLIENT_SECRET &&
      e.TOKEN_ENCRYPTION_KEY
        ? {
            baseUrl: e.JIRA_DC_BASE_URL.replace(/\/+$/, ''),
            clientId: e.JIRA_DC_CLIENT_ID,
            clientSecret: e.JIRA_DC_CLIENT_SECRET,
            tokenEncryptionKey: e.TOKEN_ENCRYPTION_KEY,
            sessionTtlMs: e.SESSION_HOURS * 60 * 60_000,
          }
        : null,
    google: googleConfig(e),
    microsoft: microsoftConfig(e),
    dataRegion: e.DATA_REGION,
    forge: e.FORGE_APP_ID
      ? { appId: e.FORGE_APP_ID, jwksUrl: e.FORGE_JWKS_URL, apiHosts: e.FORGE_API_HOSTS }
      : null,
  };
}
