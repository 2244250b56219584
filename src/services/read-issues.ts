import type { JiraIssueLike } from '../domain/event-rules.js';
import type { JiraReader } from '../jira/jira-reader.js';

/** Reads the issues of `jql` with `fields`, up to `limit`; `more` says the query had more than that. */
export async function readIssues(
  client: JiraReader,
  params: { jql: string; fields: string[]; limit: number; signal?: AbortSignal },
): Promise<{ issues: JiraIssueLike[]; more: boolean }> {
  const issues: JiraIssueLike[] = [];
  for await (const page of client.searchPages({
    jql: params.jql,
    fields: params.fields,
    pageSize: 100,
    ...(params.signal ? { signal: params.signal } : {}),
  })) {
    for (const issue of page) {
      if (issues.length >= params.limit) return { issues, more: true };
      issues.push({ id: issue.id, key: issue.key ?? issue.id, fields: issue.fields ?? {} });
    }
  }
  return { issues, more: false };
}
