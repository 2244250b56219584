import { AppError } from '../errors.js';

export type JiraErrorCode =
  | 'jira_error'
  | 'jira_unavailable'
  | 'jira_rate_limited'
  | 'jira_forbidden'
  | 'jira_unauthorized'
  | 'jira_bad_response';

/** Method and path of the failed call; the query string is left out because it can carry JQL or tokens. */
export type JiraRequestInfo = { method: string; path: string };

/**
 * A Jira call that failed. `status` is Jira's HTTP status when Jira answered; otherwise 502 for an
 * unparseable answer, 503 for a network failure and 504 for a timeout.
 */
export class JiraError extends AppError {
  declare readonly code: JiraErrorCode;
  readonly jiraMessages: string[];
  readonly request: JiraRequestInfo;

  constructor(
    status: number,
    code: JiraErrorCode,
    request: JiraRequestInfo,
    options: { retryable: boolean; jiraMessages?: string[]; detail?: string; cause?: unknown },
  ) {
    const jiraMessages = options.jiraMessages ?? [];
    const detail = options.detail ?? jiraMessages.join('; ');
    super(
      status,
      code,
      `Jira ${request.method} ${request.path} failed (${status})${detail ? `: ${detail}` : ''}`,
      {
        retryable: options.retryable,
        cause: options.cause,
      },
    );
    this.name = 'JiraError';
    this.jiraMessages = jiraMessages;
    this.request = request;
  }
}

export function isJiraError(error: unknown): error is JiraError {
  return error instanceof JiraError;
}
