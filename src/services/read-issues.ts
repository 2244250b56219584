import type { JiraIssueLike } from '../domain/event-rules.js';
import { AppError } from '../errors.js';
import type { JiraReader } from '../jira/jira-reader.js';
import { isJiraError } from '../jira/jira-error.js';

export const SEARCH_PAGE_SIZE = 100;

export type ReadIssuesParams = {
  jql: string;
  fields: string[];
  limit: number;
  signal?: AbortSignal;
  /** Told the number of issues read so far after each page (a sync's progress). */
  onPage?: (issuesSoFar: number) => Promise<void>;
};

export type ReadIssuesResult = {
  issues: JiraIssueLike[];
  /** The query matched more than `limit` issues. */
  more: boolean;
};

export class PageTokenExpired extends AppError {
  constructor() {
    super(
      502,
      'jira_page_token_expired',
      'Jira refused its own page token twice in a row; the sync will be retried',
      {
        retryable: true,
      },
    );
  }
}

/**
 * Reads the issues of `jql` with `fields`, up to `limit`: the one search loop of syncs, previews and the
 * explainer. Jira's page tokens expire; a read that outlived one starts over once rather than keep a partial set.
 */
export async function readIssues(client: JiraReader, params: ReadIssuesParams): Promise<ReadIssuesResult> {
  try {
    return await readOnce(client, params);
  } catch (error) {
    if (!(error instanceof TokenRefused)) throw error;
    try {
      return await readOnce(client, params);
    } catch (again) {
      if (again instanceof TokenRefused) throw new PageTokenExpired();
      throw again;
    }
  }
}

class TokenRefused extends Error {}

async function readOnce(client: JiraReader, params: ReadIssuesParams): Promise<ReadIssuesResult> {
  const issues: JiraIssueLike[] = [];
  let pages = 0;
  try {
    for await (const page of client.searchPages({
      jql: params.jql,
      fields: params.fields,
      pageSize: SEARCH_PAGE_SIZE,
      ...(params.signal ? { signal: params.signal } : {}),
    })) {
      pages += 1;
      for (const issue of page) {
        if (issues.length >= params.limit) return { issues, more: true };
        issues.push({ id: issue.id, key: issue.key ?? issue.id, fields: issue.fields ?? {} });
      }
      await params.onPage?.(issues.length);
    }
  } catch (error) {
    // A 400 after the first page is Jira refusing the page token, not the query it already accepted.
    if (pages > 0 && isJiraError(error) && error.jiraStatus === 400)
      throw new TokenRefused('Jira refused its page token');
    throw error;
  }
  return { issues, more: false };
}
