import { AppError } from '../errors.js';
import { cloudWording } from './cloud/cloud-errors.js';
import { dataCenterWording } from './datacenter/datacenter-errors.js';
import { isJiraError, type JiraDialect, type JiraError, type JiraWording } from './jira-error.js';

const WORDINGS: Record<JiraDialect, JiraWording> = { cloud: cloudWording, datacenter: dataCenterWording };

/**
 * The one translation of a failed Jira call into what it means for the user, with the app's own status.
 * Jira's 401 is about the credentials Calendar Sync holds, not the user's session; Jira's 403 is about the
 * permissions of the account it asks as, not the user's role; neither may reach the browser as the app's
 * 401 or 403. Each dialect says who that account is.
 */
export function upstreamError(error: JiraError): AppError {
  const wording = WORDINGS[error.request.dialect];
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
      return new AppError(502, error.code, wording.unauthorized, options);
    case 'jira_forbidden':
      return new AppError(502, error.code, `${wording.forbidden(error.request.path)}${said}`, options);
    case 'jira_error':
      if (error.jiraStatus === 400 && wording.isQuery(error.request.path)) {
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
