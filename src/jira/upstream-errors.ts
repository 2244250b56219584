import { AppError } from '../errors.js';
import { isJiraError, type JiraError } from './jira-error.js';

/** What the app user needs in Jira for each call, by path: said when Jira answers 403. */
const NEEDED_PERMISSIONS: [RegExp, string][] = [
  [/^\/rest\/api\/3\/(search\/|jql\/)/, 'the "Browse projects" permission on the projects the query names'],
  [
    /^\/rest\/api\/3\/project\/[^/]+\/role/,
    'the "Administer projects" permission, which Jira requires to read project role members',
  ],
  [/^\/rest\/api\/3\/project\/search$/, 'the "Browse projects" permission on at least one project'],
  [
    /^\/rest\/api\/3\/(groups\/picker|user|user\/groups|permissions\/check)$/,
    'the "Browse users and groups" global permission',
  ],
  [/^\/rest\/api\/3\/filter\//, 'access to the saved filter (share it with the Calendar Sync app user)'],
];

const QUERY_PATHS = /^\/rest\/api\/3\/(search\/|jql\/)/;

const neededFor = (path: string): string =>
  NEEDED_PERMISSIONS.find(([pattern]) => pattern.test(path))?.[1] ?? 'a permission this request needs';

/**
 * The one translation of a failed Jira call into what it means for the user, with the app's own status.
 * Jira's 401 is about the app's credentials, not the user's session; Jira's 403 is about the app user's
 * permissions, not the user's role; neither may reach the browser as the app's 401 or 403.
 */
export function upstreamError(error: JiraError): AppError {
  const said = error.jiraMessages.length > 0 ? ` Jira said: ${error.jiraMessages.join(' ')}` : '';
  const retryAfterSeconds =
    error.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
  const options = { retryable: error.retryable, cause: error, retryAfterSeconds };
  const again = retryAfterSeconds === undefined ? '' : ` Try again in ${retryAfterSeconds} s.`;
  switch (error.code) {
    case 'jira_unavailable':
      return new AppError(503, error.code, `Jira is not answering right now.${again}`, options);
    case 'jira_rate_limited':
      return new AppError(
        503,
        error.code,
        `Jira is busy: it asked the app to slow down.${again || ' Try again in a minute.'}`,
        options,
      );
    case 'jira_bad_response':
      return new AppError(
        502,
        error.code,
        'Jira did not answer properly: it sent something unexpected.',
        options,
      );
    case 'jira_unauthorized':
      return new AppError(
        502,
        error.code,
        'Jira no longer accepts the Calendar Sync app’s credentials. Check under Jira settings → Apps that Calendar Sync is installed and enabled.',
        options,
      );
    case 'jira_forbidden':
      return new AppError(
        502,
        error.code,
        `The Calendar Sync app user lacks ${neededFor(error.request.path)} in Jira.${said}`,
        options,
      );
    case 'jira_error':
      if (error.jiraStatus === 400 && QUERY_PATHS.test(error.request.path)) {
        return new AppError(400, 'jql_rejected', `Jira rejected the query.${said}`, options);
      }
      return new AppError(
        502,
        error.code,
        `Jira could not answer ${error.request.method} ${error.request.path} (${error.jiraStatus}).${said}`,
        options,
      );
  }
}

/** Runs a use case's Jira calls and hands any Jira failure on as what it means (upstreamError). */
export async function withUpstreamErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isJiraError(error) ? upstreamError(error) : error;
  }
}
