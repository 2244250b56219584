export type JiraErrorCode =
  | 'jira_error'
  | 'jira_unavailable'
  | 'jira_rate_limited'
  | 'jira_forbidden'
  | 'jira_unauthorized'
  | 'jira_bad_response';

/** Which Jira answered: Cloud (REST v3, an app user) or Data Center (REST v2, people's own accounts). */
export type JiraDialect = 'cloud' | 'datacenter';

/** How one dialect's failures read (upstream-errors.ts): who Calendar Sync asks as, which calls run a query. */
export type JiraWording = {
  isQuery(path: string): boolean;
  unauthorized: string;
  forbidden(path: string): string;
};

/**
 * Method and path of the failed call, and the dialect it was made in; the query string is left out
 * because it can carry JQL or tokens.
 */
export type JiraRequestInfo = { method: string; path: string; dialect: JiraDialect };

/**
 * A Jira call that failed. `jiraStatus` is Jira's HTTP status when Jira answered; otherwise 502 for an
 * unparseable answer or a redirect, 503 for a network failure and 504 for a timeout. It is deliberately
 * not an AppError: what a Jira failure means for the user is decided once, in upstream-errors.ts.
 */
export class JiraError extends Error {
  readonly jiraStatus: number;
  readonly code: JiraErrorCode;
  readonly retryable: boolean;
  readonly jiraMessages: string[];
  readonly request: JiraRequestInfo;
  /** How long Jira asked the app to wait (Retry-After, or the site's pacing): no retry may come sooner. */
  readonly retryAfterMs: number | undefined;

  constructor(
    jiraStatus: number,
    code: JiraErrorCode,
    request: JiraRequestInfo,
    options: {
      retryable: boolean;
      jiraMessages?: string[];
      detail?: string;
      cause?: unknown;
      retryAfterMs?: number | undefined;
    },
  ) {
    const jiraMessages = options.jiraMessages ?? [];
    const detail = options.detail ?? jiraMessages.join('; ');
    super(
      `Jira ${request.method} ${request.path} failed (${jiraStatus})${detail ? `: ${detail}` : ''}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'JiraError';
    this.jiraStatus = jiraStatus;
    this.code = code;
    this.retryable = options.retryable;
    this.jiraMessages = jiraMessages;
    this.request = request;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The same failure, with the wait the caller must honour before trying again. */
  notBefore(retryAfterMs: number): JiraError {
    return new JiraError(this.jiraStatus, this.code, this.request, {
      retryable: this.retryable,
      jiraMessages: this.jiraMessages,
      detail: this.message.replace(/^Jira \S+ \S+ failed \(\d+\): ?/, ''),
      cause: this.cause,
      retryAfterMs,
    });
  }
}

export function isJiraError(error: unknown): error is JiraError {
  return error instanceof JiraError;
}
