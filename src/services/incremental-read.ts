import type { FeedConfig } from '../domain/feed-config.js';
import type { FeedEvent, JiraIssueLike } from '../domain/feed-event.js';
import {
  hasSources,
  issueSources,
  issueUpdatedMs,
  narrowJql,
  ownerRef,
  sourceFields,
  sourceRef,
  type IssueItem,
  type SourceItem,
  type SyncItem,
} from '../domain/sync-items.js';
import type { JiraReader } from '../jira/jira-reader.js';
import { issueLike, SEARCH_PAGE_SIZE } from './read-issues.js';

/** Jira's search is eventually consistent: issues updated this long before the watermark are looked at again. */
export const WATERMARK_OVERLAP_MS = 5 * 60_000;

export type IncrementalRead = {
  memberCount: number;
  /** Issues read with all the feed's fields: new, changed, and those sharing a sprint or version with one. */
  fetched: JiraIssueLike[];
  /** Whether anything the feed shows may have changed; when false, `kept` is not computed. */
  changed: boolean;
  /** What of the stored state still holds: the items, and the stored events of what was not read again. */
  keep: (stored: readonly FeedEvent[]) => { events: FeedEvent[]; items: SyncItem[] };
};

/**
 * Reads what changed since the last good sync: the query's membership (ids only, 5,000 a request), the
 * issues updated since the watermark (less an overlap), and a re-read of the feed's sprints and versions
 * through one issue carrying each, since moving a sprint or release touches no issue's `updated`. Issues are
 * read in full only when new or changed, with every issue sharing a sprint or version with them, so each
 * sprint and version event is rebuilt from all its issues. Null when the query cannot be narrowed or holds
 * more than `cap` issues: the caller reads in full.
 */
export async function readIncrementally(
  client: JiraReader,
  params: {
    jql: string;
    fields: string[];
    config: FeedConfig;
    items: readonly SyncItem[];
    watermarkAt: Date;
    now: Date;
    cap: number;
    signal?: AbortSignal;
  },
): Promise<IncrementalRead | null> {
  const { config, signal } = params;
  const minutes = Math.ceil(
    (params.now.getTime() - params.watermarkAt.getTime() + WATERMARK_OVERLAP_MS) / 60_000,
  );
  const recentJql = narrowJql(params.jql, `updated >= "-${Math.max(1, minutes)}m"`);
  if (recentJql === null) return null;
  const members = await readMembers(client, params.jql, params.cap, signal);
  if (members === null) return null;

  const known = indexItems(params.items, members);
  const wanted = await changedSince(client, recentJql, members, known.issues, signal);
  const gone = new Set([...known.issues.keys()].filter((id) => !members.has(id)));
  const affected = new Set<string>();
  for (const id of gone) for (const ref of known.issues.get(id)?.carries ?? []) affected.add(ref);
  if (hasSources(config) && known.sources.size > 0) {
    await recheckSources(client, { config, ...known, wanted, affected, signal });
  }
  const { fetched, missing } = await fetchWithShared(client, params, known, wanted, affected);

  const redone = (id: string) => fetched.has(id) || missing.has(id) || gone.has(id);
  return {
    memberCount: members.size - missing.size,
    fetched: [...fetched.values()],
    changed: fetched.size > 0 || missing.size > 0 || gone.size > 0 || affected.size > 0,
    keep: (stored) => ({
      events: stored.filter((event) =>
        event.kind === 'issue'
          ? event.issueId !== null && !redone(event.issueId)
          : !affected.has(ownerRef(event)),
      ),
      items: params.items.filter((item) =>
        item.kind === 'issue' ? !redone(item.id) : !affected.has(sourceRef(item.kind, item.id)),
      ),
    }),
  };
}

type KnownItems = {
  issues: Map<string, IssueItem>;
  sources: Map<string, SourceItem>;
  /** For each sprint and version, the issues still in the query that carry it. */
  carriers: Map<string, string[]>;
};

/** The ids of the query's issues, 5,000 a request; null past `cap`. */
async function readMembers(
  client: JiraReader,
  jql: string,
  cap: number,
  signal: AbortSignal | undefined,
): Promise<Set<string> | null> {
  const members = new Set<string>();
  for await (const page of client.searchIssueIds({ jql, ...(signal ? { signal } : {}) })) {
    for (const id of page) members.add(id);
    if (members.size > cap) return null;
  }
  return members;
}

function indexItems(items: readonly SyncItem[], members: ReadonlySet<string>): KnownItems {
  const issues = new Map<string, IssueItem>();
  const sources = new Map<string, SourceItem>();
  for (const item of items) {
    if (item.kind === 'issue') issues.set(item.id, item);
    else sources.set(sourceRef(item.kind, item.id), item);
  }
  const carriers = new Map<string, string[]>();
  for (const item of issues.values()) {
    if (!members.has(item.id)) continue;
    for (const ref of item.carries) carriers.set(ref, [...(carriers.get(ref) ?? []), item.id]);
  }
  return { issues, sources, carriers };
}

/** The members new to the feed, and those `recentJql` finds with another `updated` than the last sync saw. */
async function changedSince(
  client: JiraReader,
  recentJql: string,
  members: ReadonlySet<string>,
  issues: ReadonlyMap<string, IssueItem>,
  signal: AbortSignal | undefined,
): Promise<Set<string>> {
  const wanted = new Set<string>();
  for (const id of members) if (!issues.has(id)) wanted.add(id);
  for await (const page of client.searchPages({
    jql: recentJql,
    fields: ['updated'],
    pageSize: SEARCH_PAGE_SIZE,
    ...(signal ? { signal } : {}),
  })) {
    for (const issue of page) {
      if (members.has(issue.id) && issues.get(issue.id)?.updatedMs !== issueUpdatedMs(issueLike(issue)))
        wanted.add(issue.id);
    }
  }
  return wanted;
}

/**
 * Reads the wanted issues in full, and everything sharing a sprint or version with what is read again,
 * until nothing new joins. Wanted issues Jira no longer shows are `missing`: they leave the feed.
 */
async function fetchWithShared(
  client: JiraReader,
  params: { fields: string[]; config: FeedConfig; signal?: AbortSignal },
  known: KnownItems,
  wanted: Set<string>,
  affected: Set<string>,
): Promise<{ fetched: Map<string, JiraIssueLike>; missing: Set<string> }> {
  const fetched = new Map<string, JiraIssueLike>();
  const missing = new Set<string>();
  for (;;) {
    for (const ref of affected) for (const id of known.carriers.get(ref) ?? []) wanted.add(id);
    const next = [...wanted].filter((id) => !fetched.has(id) && !missing.has(id));
    if (next.length === 0) return { fetched, missing };
    for (const issue of await client.bulkFetch(next, params.fields, params.signal)) {
      const like = issueLike(issue);
      fetched.set(issue.id, like);
      for (const source of issueSources(params.config, like)) affected.add(source.ref);
    }
    for (const id of next) {
      // In the query but no longer visible to the app (or deleted since): it leaves the feed.
      if (!fetched.has(id)) missing.add(id);
      for (const ref of known.issues.get(id)?.carries ?? []) affected.add(ref);
    }
  }
}

/**
 * Reads one issue per sprint and version the feed shows, with only the fields that hold them, and marks
 * those whose dates (or state, name, goal) moved. An issue found changed on the way is read again too.
 */
async function recheckSources(
  client: JiraReader,
  ctx: {
    config: FeedConfig;
    sources: Map<string, SourceItem>;
    carriers: Map<string, string[]>;
    issues: Map<string, IssueItem>;
    wanted: Set<string>;
    affected: Set<string>;
    signal: AbortSignal | undefined;
  },
): Promise<void> {
  const representatives = new Map<string, string[]>();
  for (const ref of ctx.sources.keys()) {
    const id = (ctx.carriers.get(ref) ?? []).find((candidate) => !ctx.wanted.has(candidate));
    if (id === undefined) {
      ctx.affected.add(ref);
      continue;
    }
    representatives.set(id, [...(representatives.get(id) ?? []), ref]);
  }
  if (representatives.size === 0) return;
  const read = await client.bulkFetch(
    [...representatives.keys()],
    [...sourceFields(ctx.config), 'updated'],
    ctx.signal,
  );
  const byId = new Map(read.map((issue) => [issue.id, issueLike(issue)]));
  for (const [id, refs] of representatives) {
    const issue = byId.get(id);
    if (!issue || issueUpdatedMs(issue) !== ctx.issues.get(id)?.updatedMs) ctx.wanted.add(id);
    const now = new Map(
      issue ? issueSources(ctx.config, issue).map((source) => [source.ref, source.dates]) : [],
    );
    for (const ref of refs) {
      if (!sameValues(now.get(ref), ctx.sources.get(ref)?.dates)) ctx.affected.add(ref);
    }
  }
}

/** Key order aside (jsonb keeps its own). */
function sameValues(
  a: Record<string, string | null> | undefined,
  b: Record<string, string | null> | undefined,
): boolean {
  if (!a || !b) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && a[key] === b[key]);
}
