import type { JiraIssueLike } from '../domain/event-rules.js';
import { AppError } from '../errors.js';
import type { JiraReader } from '../jira/jira-reader.js';
import { inBatches } from '../jira/batches.js';
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
 *
 * Search pages come one after another (each needs the last one's token), so a big read would cost Jira's
 * latency once per 100 issues. When the first page comes back full, the rest is read as ids (5,000 a page)
 * and fetched 100 a request with a few requests in flight, within the site's pace.
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
  const pages = client.searchPages({
    jql: params.jql,
    fields: params.fields,
    pageSize: SEARCH_PAGE_SIZE,
    ...(params.signal ? { signal: params.signal } : {}),
  });
  let count = 0;
  for await (const page of pagesRefusingTokens(pages)) {
    for (const issue of page) {
      if (issues.length >= params.limit) return { issues, more: true };
      issues.push(issueLike(issue));
    }
    await params.onPage?.(issues.length);
    // A short page is Jira trimming large fields: paging on is the only way. A full one likely has more after it.
    if (++count === 1 && page.length >= SEARCH_PAGE_SIZE) return readRestByIds(client, params, issues);
  }
  return { issues, more: false };
}

/** The rest of a read whose first page is in hand: the ids of all matches, then the issues not in hand yet. */
async function readRestByIds(
  client: JiraReader,
  params: ReadIssuesParams,
  first: JiraIssueLike[],
): Promise<ReadIssuesResult> {
  const ids = new Set<string>();
  let more = false;
  const idPages = client.searchIssueIds({
    jql: params.jql,
    ...(params.signal ? { signal: params.signal } : {}),
  });
  for await (const page of pagesRefusingTokens(idPages)) {
    for (const id of page) {
      if (ids.size >= params.limit && !ids.has(id)) more = true;
      else ids.add(id);
    }
    if (more) break;
  }
  // The ids say what matches now: an issue of the first page that no longer does is dropped.
  const inHand = new Map(first.map((issue) => [issue.id, issue]));
  const wanted = [...ids].filter((id) => !inHand.has(id));
  let fetched = inHand.size;
  // Batches finish in any order; their progress reports go out one after another, counts only rising.
  let reported = Promise.resolve();
  const read = await inBatches(wanted, BULK_FETCH_BATCH, async (batch) => {
    const batchIssues = await client.bulkFetch(batch, params.fields, params.signal);
    fetched += batchIssues.length;
    const count = fetched;
    reported = reported.then(() => params.onPage?.(count));
    await reported;
    return batchIssues;
  });
  for (const issue of read) inHand.set(issue.id, issueLike(issue));
  const issues = [...ids].flatMap((id) => inHand.get(id) ?? []);
  return { issues, more };
}

const BULK_FETCH_BATCH = 100;

/** The pages, with Jira refusing a page token (a 400 after the first page, for a query it already took) told apart. */
async function* pagesRefusingTokens<T>(pages: AsyncGenerator<T[]>): AsyncGenerator<T[]> {
  let seen = 0;
  try {
    for await (const page of pages) {
      seen += 1;
      yield page;
    }
  } catch (error) {
    if (seen > 0 && isJiraError(error) && error.jiraStatus === 400)
      throw new TokenRefused('Jira refused its page token');
    throw error;
  }
}

/** An issue as Jira answered it, as the event rules read it. */
export function issueLike(issue: {
  id: string;
  key?: string | undefined;
  fields?: Record<string, unknown> | undefined;
}): JiraIssueLike {
  return { id: issue.id, key: issue.key ?? issue.id, fields: issue.fields ?? {} };
}
