import { z } from 'zod';
import {
  buildFeedEvents,
  buildFeedEventsSliced,
  type BuildContext,
  type BuildResult,
  type JiraIssueLike,
} from '../domain/event-rules.js';
import { eventUidDomain } from '../domain/event-uids.js';
import { type FeedConfig, requiredJiraFields } from '../domain/feed-config.js';
import type { FeedEvent } from '../domain/feed-event.js';
import { issuesToRead, keepNearestIssues } from '../domain/issue-cap.js';
import { omissionText } from '../domain/omission-reasons.js';
import { badRequest } from '../errors.js';
import type { JiraReader } from '../jira/jira-reader.js';
import { isJiraError } from '../jira/jira-error.js';
import { withUpstreamErrors } from '../jira/upstream-errors.js';
import type { AccessService } from './access-service.js';
import type { Actor } from './actor.js';
import type { FeedService } from './feed-service.js';
import type { JiraClients } from './jira-clients.js';
import { issueLike, readIssues } from './read-issues.js';
import { fitUnsavedFeed } from './unsaved-feed-budget.js';
import { timeSlices } from './time-slices.js';

const requestSchema = z.object({
  config: z.unknown(),
  issueKey: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z][A-Z0-9_]{0,49}-\d{1,18}$/, 'Enter an issue key such as CAL-42'),
  accountId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9:_-]{1,128}$/, 'Must be an Atlassian account id')
    .optional(),
});

export type ExplainReason =
  | 'present'
  | 'not_visible'
  | 'not_matched'
  | 'no_date'
  | 'outside_window'
  | 'resolved_hidden'
  | 'no_event'
  | 'cut_by_cap'
  | 'cut_by_size_budget'
  | 'hidden_from_user';

export type Explanation = {
  present: boolean;
  reason: ExplainReason;
  /** The answer in words, for the admin who asked. */
  message: string;
  events: { summary: string; start: string; end: string; allDay: boolean }[];
};

/** Same placeholder the preview uses: an unsaved feed has no id, and sizes must come out as the sync's. */
const UNSAVED_FEED_ID = '00000000-0000-4000-8000-000000000000';

/** An ORDER BY cannot stand inside the parentheses the issue key is added to. */
const withoutOrderBy = (jql: string): string => jql.replace(/\s+ORDER\s+BY\s+[^"']*$/i, '');

const describeDay = (event: FeedEvent): string =>
  event.allDay ? event.start : `${event.start.slice(0, 16).replace('T', ' ')} UTC`;

/**
 * "Why isn't it there?": follows one issue through the same steps a sync and the access rules take —
 * the query, the rules, the window, the cap, the size budget, then one user's access — and says where
 * it stopped, or which events it gives.
 */
const absent = (reason: ExplainReason, message: string): Explanation => ({
  present: false,
  reason,
  message,
  events: [],
});

/** Why an issue that matches the query gives no event at all. */
function noEvent(config: FeedConfig, key: string, alone: BuildResult): Explanation {
  const [omission] = Object.keys(alone.omitted.byReason);
  if (omission) return absent('no_date', `${key} gives no event: ${omissionText(omission)}.`);
  if (alone.filtered.outsideWindow > 0) {
    return absent(
      'outside_window',
      `${key}'s dates fall outside the feed's window (${config.window.pastDays} days back, ${config.window.futureDays} days ahead).`,
    );
  }
  if (alone.filtered.resolvedHidden > 0)
    return absent('resolved_hidden', `${key} is resolved, and the feed hides resolved issues.`);
  return absent('no_event', `None of the feed's rules makes an event from ${key}.`);
}

export class ExplainService {
  constructor(
    private readonly deps: { feeds: FeedService; jira: JiraClients; access: AccessService; now: () => Date },
  ) {}

  explain(actor: Actor, body: unknown): Promise<Explanation> {
    const parsed = requestSchema.safeParse(body);
    if (!parsed.success) {
      throw badRequest(
        'The question is incomplete',
        parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      );
    }
    const config = this.deps.feeds.parse(parsed.data.config);
    return withUpstreamErrors(() => this.follow(actor, config, parsed.data.issueKey, parsed.data.accountId));
  }

  private async follow(
    actor: Actor,
    config: FeedConfig,
    key: string,
    accountId: string | undefined,
  ): Promise<Explanation> {
    const client = this.deps.jira.forActor(actor);
    const jql =
      config.source.type === 'jql' ? config.source.jql : (await client.getFilter(config.source.filterId)).jql;
    const fields = requiredJiraFields(config);

    const issue = await this.findIssue(client, key, fields);
    if (!issue) {
      return absent(
        'not_visible',
        `Jira shows the Calendar Sync app user no issue ${key}: it does not exist, or the app user may not browse it.`,
      );
    }
    if (!(await this.matches(client, jql, key, issue.id)))
      return absent('not_matched', `${key} does not match the feed's query.`);

    const ctx = {
      jiraBaseUrl: actor.installation.baseUrl,
      uidDomain: eventUidDomain(actor.clientKey, UNSAVED_FEED_ID),
      now: this.deps.now(),
    };
    const alone = buildFeedEvents(config, [issue], ctx);
    if (alone.events.length === 0) return noEvent(config, key, alone);
    const kept = await this.keptInFeed(client, config, { jql, fields, ctx }, issue.id, alone.events, key);
    if (!Array.isArray(kept)) return kept;

    let events = kept;
    if (accountId !== undefined) {
      const seen = await this.deps.access.visibleTo(actor.installation, config, accountId, events);
      if (seen.events.length === 0)
        return absent('hidden_from_user', `${accountId} does not see ${key}: ${seen.reason}.`);
      events = seen.events;
    }
    const [first] = events;
    const more = events.length > 1 ? ` and ${events.length - 1} more` : '';
    return {
      present: true,
      reason: 'present',
      message: `It is there: “${first?.summary ?? key}” on ${first ? describeDay(first) : '?'}${more}.`,
      events: events.map(({ summary, start, end, allDay }) => ({ summary, start, end, allDay })),
    };
  }

  /**
   * The issue's events that the whole feed keeps: the issue cap and the size budget decide over every issue
   * of the query, as the sync does. An explanation instead when one of them cuts the issue.
   */
  private async keptInFeed(
    client: JiraReader,
    config: FeedConfig,
    read: { jql: string; fields: string[]; ctx: BuildContext },
    issueId: string,
    own: FeedEvent[],
    key: string,
  ): Promise<FeedEvent[] | Explanation> {
    const { ctx } = read;
    const { issues } = await readIssues(client, {
      jql: read.jql,
      fields: read.fields,
      limit: issuesToRead(config.issueCap),
    });
    let built = await buildFeedEventsSliced(config, issues, ctx, timeSlices());
    if (issues.length > config.issueCap) {
      const kept = keepNearestIssues(issues, built.events, config.issueCap, ctx.now);
      if (!kept.some((candidate) => candidate.id === issueId)) {
        return absent(
          'cut_by_cap',
          `${key} is cut by the issue cap: the feed keeps the ${config.issueCap} issues nearest to today.`,
        );
      }
      built = await buildFeedEventsSliced(config, kept, ctx, timeSlices());
    }
    const fit = await fitUnsavedFeed(config, built.events, ctx.now);
    const uids = new Set(own.map((event) => event.uid));
    const events = fit.kept.filter((event) => uids.has(event.uid));
    if (events.length > 0) return events;
    return absent(
      'cut_by_size_budget',
      `${key} is cut by the feed's size budget: the events farthest from today are left out to stay under it.`,
    );
  }

  private async findIssue(client: JiraReader, key: string, fields: string[]): Promise<JiraIssueLike | null> {
    try {
      for await (const page of client.searchPages({ jql: `key = "${key}"`, fields, pageSize: 1 })) {
        const [issue] = page;
        if (issue) return issueLike(issue);
      }
    } catch (error) {
      // Jira answers a key it does not know (or hides) with a 400 about the query.
      if (isJiraError(error) && error.jiraStatus === 400) return null;
      throw error;
    }
    return null;
  }

  private async matches(client: JiraReader, jql: string, key: string, issueId: string): Promise<boolean> {
    for await (const ids of client.searchIssueIds({ jql: `(${withoutOrderBy(jql)}) AND key = "${key}"` })) {
      if (ids.includes(issueId)) return true;
    }
    return false;
  }
}
