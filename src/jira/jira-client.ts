import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { JiraAuth } from './jira-auth.js';
import { jiraDeadline } from './jira-budget.js';
import { JiraError, type JiraRequestInfo } from './jira-error.js';
import {
  approximateCountSchema,
  bulkIssueResultsSchema,
  bulkPermissionGrantsSchema,
  errorCollectionSchema,
  fieldSchema,
  filterSchema,
  foundGroupsSchema,
  groupNamesSchema,
  issueIdPageSchema,
  myPermissionsSchema,
  pageSchema,
  parsedJqlQueriesSchema,
  projectRoleSchema,
  projectRoleUrlsSchema,
  projectSchema,
  searchResultsSchema,
  serverInfoSchema,
  userSchema,
  type BulkPermissionGrants,
  type BulkPermissionsRequest,
  type JiraField,
  type JiraIssue,
  type JiraProject,
  type JiraUser,
  type ParsedJql,
  type ProjectRole,
  type ServerInfo,
} from './jira-schemas.js';
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
type Query = Record<string, QueryValue>;

type RequestSpec<T> = {
  method: 'GET' | 'POST';
  path: string;
  query?: Query;
  body?: unknown;
  schema: z.ZodType<T>;
  signal?: AbortSignal | undefined;
};

type AttemptResult<T> =
  { ok: true; value: T } | { ok: false; error: JiraError; retryAfterMs: number | undefined };

const DEFAULT_SEARCH_PAGE_SIZE = 100;
const ID_SEARCH_PAGE_SIZE = 5000;
const BULK_FETCH_SIZE = 100;
const PROJECT_PAGE_SIZE = 50;

/** A paced, retrying client for one Jira site, acting as the app itself; the site's door authorises each call. */
export class JiraClient {
  private readonly site: JiraSite;
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
  private readonly now: () => number;
  private readonly fetchImpl: typeof fetch;
  private readonly onResponse: ((status: number | 'timeout' | 'network_error') => void) | undefined;

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

  /** Issues matching `jql`, one page at a time; empty pages are skipped. */
  async *searchPages(params: {
    jql: string;
    fields: string[];
    pageSize?: number;
    signal?: AbortSignal;
  }): AsyncGenerator<JiraIssue[]> {
    if (params.fields.length === 0 || params.fields.some((field) => field.startsWith('*'))) {
      throw new TypeError('searchPages needs an explicit list of fields');
    }
    yield* this.search(params.jql, params.fields, params.pageSize ?? DEFAULT_SEARCH_PAGE_SIZE, searchResultsSchema, params.signal);
  }

  /** Ids of the issues matching `jql`: with no field asked for, Jira pages 5,000 at a time instead of 100. */
  async *searchIssueIds(params: { jql: string; signal?: AbortSignal }): AsyncGenerator<string[]> {
    for await (const page of this.search(params.jql, ['id'], ID_SEARCH_PAGE_SIZE, issueIdPageSchema, params.signal)) {
      yield page.map((issue) => issue.id);
    }
  }

  /** The issues with these ids, 100 per request (POST /rest/api/3/issue/bulkfetch); ids Jira cannot show are left out. */
  async bulkFetch(ids: readonly string[], fields: string[], signal?: AbortSignal): Promise<JiraIssue[]> {
    if (fields.length === 0 || fields.some((field) => field.startsWith('*'))) {
      throw new TypeError('bulkFetch needs an explicit list of fields');
    }
    const issues: JiraIssue[] = [];
    for (let start = 0; start < ids.length; start += BULK_FETCH_SIZE) {
      const result = await this.send({
        method: 'POST',
        path: '/rest/api/3/issue/bulkfetch',
        body: { issueIdsOrKeys: ids.slice(start, start + BULK_FETCH_SIZE), fields },
        schema: bulkIssueResultsSchema,
        signal,
      });
      issues.push(...result.issues);
    }
    return issues;
  }

  private async *search<S extends z.ZodType<{ issues: unknown[]; nextPageToken?: string | null | undefined; isLast?: boolean | undefined }>>(
    jql: string,
    fields: string[],
    pageSize: number,
    schema: S,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<z.output<S>['issues']> {
    const path = '/rest/api/3/search/jql';
    const seenTokens = new Set<string>();
    let nextPageToken: string | undefined;
    for (;;) {
      // POST: a JQL near Jira's 10,000-character limit would make a GET query string no server takes.
      const page = await this.send({
        method: 'POST',
        path,
        body: { jql, fields, maxResults: pageSize, ...(nextPageToken === undefined ? {} : { nextPageToken }) },
        schema,
        signal,
      });
      if (page.issues.length > 0) yield page.issues;
      const token = page.nextPageToken ?? undefined;
      if (page.isLast === true || token === undefined || token === '') return;
      if (seenTokens.has(token)) {
        throw new JiraError(502, 'jira_bad_response', { method: 'POST', path }, {
          retryable: true,
          detail: 'Jira returned a nextPageToken it had already returned',
        });
      }
      seenTokens.add(token);
      nextPageToken = token;
    }
  }

  getFields(): Promise<JiraField[]> {
    return this.send({ method: 'GET', path: '/rest/api/3/field', schema: fieldSchema.array() });
  }

  async parseJql(queries: string[]): Promise<ParsedJql[]> {
    if (queries.length === 0) return [];
    const result = await this.send({
      method: 'POST',
      path: '/rest/api/3/jql/parse',
      query: { validation: 'strict' },
      body: { queries },
      schema: parsedJqlQueriesSchema,
    });
    return result.queries;
  }

  /** Jira's estimate of how many issues match (POST /rest/api/3/search/approximate-count). */
  async approximateCount(jql: string): Promise<number> {
    const result = await this.send({
      method: 'POST',
      path: '/rest/api/3/search/approximate-count',
      body: { jql },
      schema: approximateCountSchema,
    });
    return result.count;
  }

  async findGroups(query: string, maxResults = 20): Promise<{ groupId: string | null; name: string }[]> {
    const result = await this.send({
      method: 'GET',
      path: '/rest/api/3/groups/picker',
      query: { query, maxResults },
      schema: foundGroupsSchema,
    });
    return result.groups.map((group) => ({ groupId: group.groupId ?? null, name: group.name }));
  }

  getMyself(): Promise<JiraUser> {
    return this.send({ method: 'GET', path: '/rest/api/3/myself', schema: userSchema });
  }

  getServerInfo(): Promise<ServerInfo> {
    return this.send({ method: 'GET', path: '/rest/api/3/serverInfo', schema: serverInfoSchema });
  }

  async getFilter(id: string): Promise<{ id: string; name: string; jql: string }> {
    const filter = await this.send({
      method: 'GET',
      path: `/rest/api/3/filter/${encodeURIComponent(id)}`,
      schema: filterSchema,
    });
    return { id: filter.id, name: filter.name, jql: filter.jql };
  }

  /** Null when Jira does not know the account. */
  async getUser(accountId: string): Promise<JiraUser | null> {
    try {
      return await this.send({
        method: 'GET',
        path: '/rest/api/3/user',
        query: { accountId },
        schema: userSchema,
      });
    } catch (error) {
      if (error instanceof JiraError && error.jiraStatus === 404) return null;
      throw error;
    }
  }

  async getUserGroups(accountId: string): Promise<{ groupId?: string; name: string }[]> {
    const groups = await this.send({
      method: 'GET',
      path: '/rest/api/3/user/groups',
      query: { accountId },
      schema: groupNamesSchema,
    });
    return groups.map((group) =>
      group.groupId ? { groupId: group.groupId, name: group.name } : { name: group.name },
    );
  }

  listProjects(): AsyncGenerator<JiraProject[]> {
    return this.offsetPages('/rest/api/3/project/search', {}, projectSchema, PROJECT_PAGE_SIZE);
  }

  async getProjectRoles(projectIdOrKey: string): Promise<{ name: string; id: string }[]> {
    const path = `/rest/api/3/project/${encodeURIComponent(projectIdOrKey)}/role`;
    const roles = await this.send({ method: 'GET', path, schema: projectRoleUrlsSchema });
    return Object.entries(roles).map(([name, url]) => {
      const id = /\/role\/(\d+)\/?$/.exec(url)?.[1];
      if (id === undefined) {
        throw new JiraError(
          502,
          'jira_bad_response',
          { method: 'GET', path },
          {
            retryable: true,
            detail: `no role id in the URL of role "${name}"`,
          },
        );
      }
      return { name, id };
    });
  }

  async getProjectRole(projectIdOrKey: string, roleId: string): Promise<ProjectRole> {
    const role = await this.send({
      method: 'GET',
      path: `/rest/api/3/project/${encodeURIComponent(projectIdOrKey)}/role/${encodeURIComponent(roleId)}`,
      query: { excludeInactiveUsers: true },
      schema: projectRoleSchema,
    });
    const users: ProjectRole['actors']['users'] = [];
    const groups: ProjectRole['actors']['groups'] = [];
    for (const actor of role.actors) {
      const accountId = actor.actorUser?.accountId;
      if (accountId) {
        users.push({ accountId });
        continue;
      }
      if (actor.actorGroup === undefined && actor.type !== 'atlassian-group-role-actor') continue;
      const name = actor.actorGroup?.name ?? actor.name ?? actor.actorGroup?.displayName;
      const groupId = actor.actorGroup?.groupId;
      if (name) groups.push(groupId ? { name, groupId } : { name });
    }
    return { id: role.id, name: role.name, actors: { users, groups } };
  }

  /** Which of `keys` the caller itself holds (a user token asks as that user). */
  async getMyPermissions(keys: string[]): Promise<Set<string>> {
    const result = await this.send({
      method: 'GET',
      path: '/rest/api/3/mypermissions',
      query: { permissions: keys.join(',') },
      schema: myPermissionsSchema,
    });
    return new Set(keys.filter((key) => result.permissions[key]?.havePermission === true));
  }

  checkPermissions(body: BulkPermissionsRequest): Promise<BulkPermissionGrants> {
    return this.send({
      method: 'POST',
      path: '/rest/api/3/permissions/check',
      body,
      schema: bulkPermissionGrantsSchema,
    });
  }

  private async *offsetPages<S extends z.ZodType>(
    path: string,
    query: Query,
    itemSchema: S,
    pageSize: number,
  ): AsyncGenerator<z.output<S>[]> {
    const schema = pageSchema(itemSchema);
    let startAt = 0;
    for (;;) {
      const page = await this.send({
        method: 'GET',
        path,
        query: { ...query, startAt, maxResults: pageSize },
        schema,
      });
      const values = page.values as z.output<S>[];
      if (values.length > 0) yield values;
      startAt += values.length;
      if (page.isLast === true || values.length === 0) return;
      if (page.isLast === undefined && page.total !== undefined && startAt >= page.total) return;
    }
  }

  private async send<T>(spec: RequestSpec<T>): Promise<T> {
    const request: JiraRequestInfo = { method: spec.method, path: spec.path };
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
    const entries = Object.entries(spec.query ?? {}).flatMap(([key, value]) =>
      value === undefined ? [] : [[key, String(value)] as const],
    );
    const queryString = entries
      .map(([key, value]) => `${encodeRfc3986(key)}=${encodeRfc3986(value)}`)
      .join('&');
    const url = `${this.baseUrl}${spec.path}${queryString ? `?${queryString}` : ''}`;
    const headers: Record<string, string> = {
      Authorization: await this.site.auth.authorization({
        method: spec.method,
        path: spec.path,
        query: Object.fromEntries(entries),
      }),
      Accept: 'application/json',
    };
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';

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
    this.paceFromHeaders(response.headers);

    if (response.ok) return this.parseBody(text, spec.schema, request);

    const status = response.status;
    if (status >= 300 && status < 400) {
      return {
        ok: false,
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
        ok: false,
        retryAfterMs,
        error: new JiraError(status, code, request, { retryable: true, jiraMessages }),
      };
    }
    const code = status === 401 ? 'jira_unauthorized' : status === 403 ? 'jira_forbidden' : 'jira_error';
    return {
      ok: false,
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

export type { JiraIssue, JiraField, JiraUser, JiraProject, ParsedJql, ProjectRole, ServerInfo };
export type { BulkPermissionsRequest, BulkPermissionGrants };
