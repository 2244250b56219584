import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { JiraAuth } from './jira-auth.js';
import { jiraDeadline } from './jira-budget.js';
import { type JiraDialect, JiraError, type JiraRequestInfo } from './jira-error.js';
import { errorCollectionSchema } from './jira-schemas.js';
import type { TenantPacer } from './pacer.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, sleepFor } from './retry.js';

export type JiraSite = { clientKey: string; auth: JiraAuth };

export type JiraClientOptions = {
  pacer: TenantPacer;
  logger: Logger;
  /** Retries after the first attempt; default 5. */
  maxRetries?: number;
  /** First backoff ceiling; it doubles on each retry up to maxBackoffMs. Default 500. */
  baseBackoffMs?: number;
  /** Default 30 s. */
  maxBackoffMs?: number;
  /** Longest wait the client sits out itself; a longer Retry-After fails the call with that wait (retryAfterMs). Default 60 s. */
  maxRetryAfterMs?: number;
  /** Per attempt, covering the response body too. Default 30 s. */
  requestTimeoutMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  fetch?: typeof fetch;
  /** Told every attempt's outcome (metrics); never the request itself. */
  onResponse?: (status: number | 'timeout' | 'network_error') => void;
};

type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export type RequestSpec<T> = {
  method: 'GET' | 'POST';
  path: string;
  query?: Query;
  body?: unknown;
  schema: z.ZodType<T>;
  signal?: AbortSignal | undefined;
};

type AttemptResult<T> =
  { ok: true; value: T } | { ok: false; error: JiraError; retryAfterMs: number | undefined };

/**
 * The paced, retrying, zod-checked HTTP exchange with one Jira site, whichever REST flavour (Cloud v3,
 * Data Center v2) the client on top of it speaks; the site's door authorises each call.
 */
export class JiraTransport {
  protected readonly site: JiraSite;
  private readonly baseUrl: string;
  private readonly pacer: TenantPacer;
  private readonly logger: Logger;
  private readonly maxRetries: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly requestTimeoutMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  protected readonly now: () => number;
  private readonly fetchImpl: typeof fetch;
  private readonly onResponse: ((status: number | 'timeout' | 'network_error') => void) | undefined;

  /** The Jira this transport talks to, so its failures are worded for it (upstream-errors.ts). */
  protected get dialect(): JiraDialect {
    return 'cloud';
  }

  constructor(site: JiraSite, options: JiraClientOptions) {
    const base = new URL(site.auth.apiBaseUrl);
    this.site = site;
    this.baseUrl = `${base.origin}${base.pathname}`.replace(/\/+$/, '');
    this.pacer = options.pacer;
    this.logger = options.logger;
    this.maxRetries = options.maxRetries ?? 5;
    this.baseBackoffMs = options.baseBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.sleep = options.sleep ?? sleepFor;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.onResponse = options.onResponse;
  }

  protected async send<T>(spec: RequestSpec<T>): Promise<T> {
    const request: JiraRequestInfo = { method: spec.method, path: spec.path, dialect: this.dialect };
    const deadline = jiraDeadline();
    for (let attempt = 1; ; attempt++) {
      spec.signal?.throwIfAborted();
      const paced = this.pacer.waitMs(this.site.clientKey);
      if (deadline !== undefined && this.now() + paced > deadline) {
        throw new JiraError(429, 'jira_rate_limited', request, {
          retryable: true,
          detail: 'the site is holding off its Jira requests',
          retryAfterMs: paced,
        });
      }
      await this.pacer.take(this.site.clientKey, spec.signal);
      const result = await this.attempt(spec, request, attempt, deadline);
      if (result.ok) return result.value;

      const { error, retryAfterMs } = result;
      if (!error.retryable) throw error;
      // Never sooner than Jira said: its Retry-After is a floor, not a hint.
      const delayMs =
        retryAfterMs ?? backoffDelay(attempt - 1, this.baseBackoffMs, this.maxBackoffMs, this.random);
      // The tenant's other requests hold off too, even when this one gives up.
      if (retryAfterMs !== undefined || error.jiraStatus === 429) {
        this.pacer.pauseUntil(this.site.clientKey, this.now() + delayMs);
      }
      // Past the budget, or a wait longer than this client sits out itself: the caller retries, not sooner.
      const overBudget = deadline !== undefined && this.now() + delayMs > deadline;
      if (attempt > this.maxRetries || overBudget || delayMs > this.maxRetryAfterMs)
        throw error.notBefore(delayMs);
      this.logger.warn(
        {
          clientKey: this.site.clientKey,
          ...request,
          status: error.jiraStatus,
          code: error.code,
          attempt,
          delayMs,
        },
        'Jira request failed; retrying',
      );
      await this.sleep(delayMs, spec.signal);
    }
  }

  private async attempt<T>(
    spec: RequestSpec<T>,
    request: JiraRequestInfo,
    attempt: number,
    deadline: number | undefined,
  ): Promise<AttemptResult<T>> {
    const { url, headers } = await this.prepare(spec);
    const timeoutMs = Math.max(
      1,
      Math.min(this.requestTimeoutMs, deadline === undefined ? Infinity : deadline - this.now()),
    );
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    const started = this.now();
    const logLine = (status: number | 'timeout' | 'network_error') => {
      this.onResponse?.(status);
      this.logger.debug(
        { clientKey: this.site.clientKey, ...request, status, attempt, ms: this.now() - started },
        'Jira request',
      );
    };

    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method: spec.method,
        headers,
        signal,
        // Jira never sends an app's REST call elsewhere; whoever answers from another host is not Jira.
        redirect: 'manual',
        ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
      });
      text = await response.text();
    } catch (cause) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      const timedOut = timeout.aborted;
      logLine(timedOut ? 'timeout' : 'network_error');
      return {
        ok: false,
        retryAfterMs: undefined,
        error: new JiraError(timedOut ? 504 : 503, 'jira_unavailable', request, {
          retryable: true,
          detail: timedOut ? `no answer within ${timeoutMs} ms` : describeNetworkError(cause),
          cause,
        }),
      };
    }
    logLine(response.status);
    if (response.status === 401 && headers.Authorization !== undefined)
      await this.site.auth.rejected?.(headers.Authorization);
    this.paceFromHeaders(response.headers);
    if (response.ok) return this.parseBody(text, spec.schema, request);
    return { ok: false, ...this.refusal(response, text, request) };
  }

  /** The URL with its query encoded as Jira signs it, and the headers with the door's authorization. */
  private async prepare(
    spec: RequestSpec<unknown>,
  ): Promise<{ url: string; headers: Record<string, string> }> {
    const entries = Object.entries(spec.query ?? {}).flatMap(([key, value]) =>
      value === undefined ? [] : [[key, String(value)] as const],
    );
    const queryString = entries
      .map(([key, value]) => `${encodeRfc3986(key)}=${encodeRfc3986(value)}`)
      .join('&');
    const headers: Record<string, string> = {
      Authorization: await this.site.auth.authorization({
        method: spec.method,
        path: spec.path,
        query: Object.fromEntries(entries),
      }),
      Accept: 'application/json',
    };
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
    return { url: `${this.baseUrl}${spec.path}${queryString ? `?${queryString}` : ''}`, headers };
  }

  /** What a non-2xx answer means: a redirect not followed, a retryable refusal (with its wait), or a final one. */
  private refusal(
    response: Response,
    text: string,
    request: JiraRequestInfo,
  ): { error: JiraError; retryAfterMs: number | undefined } {
    const status = response.status;
    if (status >= 300 && status < 400) {
      return {
        retryAfterMs: undefined,
        error: new JiraError(502, 'jira_bad_response', request, {
          retryable: false,
          detail: `a redirect (${status}), which the app does not follow`,
        }),
      };
    }
    const jiraMessages = readJiraMessages(text);
    if (isRetryableStatus(status)) {
      const retryAfterMs =
        status === 429 || status === 503
          ? parseRetryAfter(response.headers.get('retry-after'), this.now())
          : undefined;
      const code = status === 429 ? 'jira_rate_limited' : 'jira_unavailable';
      return {
        retryAfterMs,
        error: new JiraError(status, code, request, { retryable: true, jiraMessages }),
      };
    }
    const code = status === 401 ? 'jira_unauthorized' : status === 403 ? 'jira_forbidden' : 'jira_error';
    return {
      retryAfterMs: undefined,
      error: new JiraError(status, code, request, { retryable: false, jiraMessages }),
    };
  }

  /**
   * Jira Cloud meters apps in points per hour per site and says where the site stands; with nothing left,
   * the site's requests hold off until Jira's reset time instead of running into 429s.
   */
  private paceFromHeaders(headers: Headers): void {
    if (headers.get('x-ratelimit-remaining')?.trim() !== '0') return;
    const reset = Date.parse(headers.get('x-ratelimit-reset') ?? '');
    if (Number.isNaN(reset) || reset <= this.now()) return;
    // Bounded: a broken header must not silence a site for days.
    this.pacer.pauseUntil(this.site.clientKey, Math.min(reset, this.now() + 60 * 60_000));
  }

  private parseBody<T>(text: string, schema: z.ZodType<T>, request: JiraRequestInfo): AttemptResult<T> {
    const badResponse = (detail: string, cause?: unknown): AttemptResult<T> => ({
      ok: false,
      retryAfterMs: undefined,
      error: new JiraError(502, 'jira_bad_response', request, { retryable: true, detail, cause }),
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      return badResponse('the response is not JSON', cause);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      return badResponse(`unexpected response shape (${issues.join('; ')})`, parsed.error);
    }
    return { ok: true, value: parsed.data };
  }
}

/** Percent-encoding of the Connect canonical query string (RFC 3986 unreserved characters kept). */
function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function readJiraMessages(text: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  const parsed = errorCollectionSchema.safeParse(json);
  if (!parsed.success) return [];
  const values = Object.values(parsed.data.errors ?? {}).map((value) =>
    typeof value === 'string' ? value : JSON.stringify(value),
  );
  return [...(parsed.data.errorMessages ?? []), ...values];
}

function describeNetworkError(error: unknown): string {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string')
    return cause.code;
  return error instanceof Error ? error.message : 'network error';
}
