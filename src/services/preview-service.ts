import { renderCalendarSliced } from '../calendar/render-calendar.js';
import { buildFeedEventsSliced, type JiraIssueLike } from '../domain/event-rules.js';
import { eventUidDomain } from '../domain/event-uids.js';
import type { OmittedIssues } from '../domain/feed.js';
import type { FeedEvent } from '../domain/feed-event.js';
import { issuesToRead, keepNearestIssues } from '../domain/issue-cap.js';
import { type FeedConfig, requiredJiraFields } from '../domain/feed-config.js';
import { hasSubscriberDays } from '../domain/subscriber-days.js';
import { tombstonesOf } from '../domain/tombstones.js';
import { compareEvents, type FeedEventRepository } from '../db/feed-event-repository.js';
import type { Actor } from './actor.js';
import type { FeedService } from './feed-service.js';
import type { JiraClients } from './jira-clients.js';
import { readIssues } from './read-issues.js';
import { timeSlices } from './time-slices.js';
import { fitUnsavedFeed } from './unsaved-feed-budget.js';
import { withUpstreamErrors } from '../jira/upstream-errors.js';

/** Google Calendar drops subscriptions much larger than this. */
export const GOOGLE_SIZE_LIMIT_BYTES = 1_000_000;
const PREVIEW_ISSUE_LIMIT = 500;
const PREVIEW_EVENT_LIMIT = 100;
/** An unsaved configuration has no feed id; a placeholder as long as a real one keeps sizes (and budget cuts) exact. */
const PREVIEW_FEED_ID = '00000000-0000-4000-8000-000000000000';

export type Preview = {
  events: {
    uid: string;
    summary: string;
    description: string;
    start: string;
    end: string;
    allDay: boolean;
    url: string | null;
    /** A removed issue's event the saved feed keeps as cancelled (see `removedIssues`). */
    cancelled: boolean;
  }[];
  eventCount: number;
  issueCount: number;
  /** Says so when personal URLs put all-day events on each subscriber's own day and this preview cannot. */
  zoneNote: string | null;
  omitted: OmittedIssues;
  capReached: boolean;
  /** Size of the whole feed; estimated from the sample when the preview read fewer issues than the feed will. */
  sizeBytes: number;
  sizeEstimated: boolean;
  sizeLimitBytes: number;
  /** What the feed's size budget will leave out (estimated like the size when the sample is partial). */
  budgetCut: {
    maxBytes: number | null;
    events: number;
    estimated: boolean;
    examples: { summary: string; start: string; allDay: boolean }[];
  };
};

const BUDGET_EXAMPLES = 10;

/** Runs an unsaved configuration against Jira and shows what the feed would contain. Nothing is stored. */
export class PreviewService {
  constructor(
    private readonly deps: {
      feeds: FeedService;
      jira: JiraClients;
      events: FeedEventRepository;
      now: () => Date;
    },
  ) {}

  /** `feedId`: the saved feed the configuration is an edit of, if any. */
  preview(actor: Actor, body: unknown, feedId: string | null = null): Promise<Preview> {
    return withUpstreamErrors(() => this.build(actor, body, feedId));
  }

  private async build(actor: Actor, body: unknown, feedId: string | null): Promise<Preview> {
    const config = this.deps.feeds.parse(body);
    await this.deps.feeds.validateAgainstJira(actor, config);
    const client = this.deps.jira.forActor(actor);
    const jql =
      config.source.type === 'jql' ? config.source.jql : (await client.getFilter(config.source.filterId)).jql;
    // Like a sync, read past the cap to keep the issues nearest to today, as far as the preview's limit allows.
    const limit = Math.min(issuesToRead(config.issueCap), Math.max(config.issueCap, PREVIEW_ISSUE_LIMIT));

    const read = await readIssues(client, { jql, fields: requiredJiraFields(config), limit });
    let issues: JiraIssueLike[] = read.issues;
    const { more } = read;

    const now = this.deps.now();
    const ctx = {
      jiraBaseUrl: actor.installation.baseUrl,
      uidDomain: eventUidDomain(actor.clientKey, PREVIEW_FEED_ID),
      now,
    };
    let built = await buildFeedEventsSliced(config, issues, ctx, timeSlices());
    const overCap = issues.length > config.issueCap;
    if (overCap) {
      issues = keepNearestIssues(issues, built.events, config.issueCap, now);
      built = await buildFeedEventsSliced(config, issues, ctx, timeSlices());
    }
    const { events, omitted } = built;
    const meta = { name: config.name, refreshIntervalMinutes: config.syncIntervalMinutes };
    const sampleBytes = Buffer.byteLength(await renderCalendarSliced(meta, events, timeSlices()));
    const { sizeBytes, sizeEstimated } = await this.estimateSize(
      config,
      sampleBytes,
      issues.length,
      more,
      () => client.approximateCount(jql),
    );
    const budgetCut = await this.budgetCut(config, events, now, { sampleBytes, sizeBytes, sizeEstimated });
    const nowIso = now.toISOString().slice(0, 10);
    // Only a preview that read every issue knows which of the saved feed's issues left it.
    const cancelled = more ? [] : await this.tombstones(actor, config, feedId, issues, now);
    const upcoming = [...events, ...cancelled]
      .sort(compareEvents)
      .filter((event) => event.end.slice(0, 10) >= nowIso)
      .slice(0, PREVIEW_EVENT_LIMIT);
    return {
      events: upcoming.map(previewEvent),
      eventCount: events.length,
      issueCount: issues.length,
      zoneNote: zoneNote(config),
      omitted,
      capReached: overCap || (more && limit === config.issueCap),
      sizeBytes,
      sizeEstimated,
      sizeLimitBytes: config.sizeBudget.maxBytes ?? GOOGLE_SIZE_LIMIT_BYTES,
      budgetCut,
    };
  }

  /** The saved feed's events of issues this configuration no longer holds, when it keeps them cancelled. */
  private async tombstones(
    actor: Actor,
    config: FeedConfig,
    feedId: string | null,
    issues: JiraIssueLike[],
    now: Date,
  ): Promise<FeedEvent[]> {
    if (feedId === null || config.removedIssues.mode === 'drop') return [];
    await this.deps.feeds.get(actor, feedId);
    const stored = await this.deps.events.list(actor.clientKey, feedId);
    return tombstonesOf(config, stored, new Set(issues.map((issue) => issue.id)), now).events;
  }

  /** The same choice the sync makes, on the sample: which events the budget drops, farthest from today first. */
  private async budgetCut(
    config: FeedConfig,
    events: FeedEvent[],
    now: Date,
    size: { sampleBytes: number; sizeBytes: number; sizeEstimated: boolean },
  ): Promise<Preview['budgetCut']> {
    const { maxBytes } = config.sizeBudget;
    const fit = await fitUnsavedFeed(config, events, now);
    const examples = [...fit.dropped]
      .reverse()
      .slice(0, BUDGET_EXAMPLES)
      .map(({ summary, start, allDay }) => ({ summary, start, allDay }));
    if (!size.sizeEstimated || maxBytes === null || events.length === 0) {
      return { maxBytes, events: fit.dropped.length, estimated: false, examples };
    }
    const share = size.sizeBytes > maxBytes ? 1 - maxBytes / size.sizeBytes : 0;
    const estimatedEvents = Math.round((events.length * size.sizeBytes) / Math.max(1, size.sampleBytes));
    return { maxBytes, events: Math.round(estimatedEvents * share), estimated: true, examples };
  }

  private async estimateSize(
    config: FeedConfig,
    sampleBytes: number,
    sampleIssues: number,
    more: boolean,
    count: () => Promise<number>,
  ): Promise<{ sizeBytes: number; sizeEstimated: boolean }> {
    if (!more || sampleIssues === 0) return { sizeBytes: sampleBytes, sizeEstimated: false };
    const total = Math.min(await count(), config.issueCap);
    return { sizeBytes: Math.round((sampleBytes * total) / sampleIssues), sizeEstimated: true };
  }
}

function zoneNote(config: FeedConfig): string | null {
  if (!hasSubscriberDays(config)) return null;
  return (
    "Personal calendar URLs put the all-day events of rules set to the subscriber's time zone on each " +
    "person's own day, from their Jira profile. This preview and the shared URL use the feed's time zone " +
    `(${config.timeZone}).`
  );
}

function previewEvent(event: FeedEvent): Preview['events'][number] {
  const { uid, summary, description, start, end, allDay, url, cancelledAt } = event;
  return { uid, summary, description, start, end, allDay, url, cancelled: cancelledAt !== undefined };
}
