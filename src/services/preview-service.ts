import { renderCalendar } from '../calendar/render-calendar.js';
import { buildFeedEvents, type JiraIssueLike } from '../domain/event-rules.js';
import { eventUidDomain } from '../domain/event-uids.js';
import type { OmittedIssues } from '../domain/feed.js';
import { type FeedConfig, requiredJiraFields } from '../domain/feed-config.js';
import type { Actor, FeedService } from './feed-service.js';
import type { JiraClients } from './jira-clients.js';

/** Google Calendar drops subscriptions much larger than this. */
export const GOOGLE_SIZE_LIMIT_BYTES = 1_000_000;
const PREVIEW_ISSUE_LIMIT = 500;
const PREVIEW_EVENT_LIMIT = 100;
/** An unsaved configuration has no feed id; its preview UIDs are never published. */
const PREVIEW_FEED_ID = 'preview';

export type Preview = {
  events: { uid: string; summary: string; description: string; start: string; end: string; allDay: boolean; url: string | null }[];
  eventCount: number;
  issueCount: number;
  omitted: OmittedIssues;
  capReached: boolean;
  /** Size of the whole feed; estimated from the sample when the preview read fewer issues than the feed will. */
  sizeBytes: number;
  sizeEstimated: boolean;
  sizeLimitBytes: number;
};

/** Runs an unsaved configuration against Jira and shows what the feed would contain. Nothing is stored. */
export class PreviewService {
  constructor(private readonly deps: { feeds: FeedService; jira: JiraClients; now: () => Date }) {}

  async preview(actor: Actor, body: unknown): Promise<Preview> {
    const config = this.deps.feeds.parse(body);
    await this.deps.feeds.validateAgainstJira(actor, config);
    const client = this.deps.jira.forInstallation(actor.installation);
    const jql = config.source.type === 'jql' ? config.source.jql : (await client.getFilter(config.source.filterId)).jql;
    const limit = Math.min(config.issueCap, PREVIEW_ISSUE_LIMIT);

    const issues: JiraIssueLike[] = [];
    let more = false;
    for await (const page of client.searchPages({ jql, fields: requiredJiraFields(config), pageSize: 100 })) {
      for (const issue of page) {
        if (issues.length >= limit) {
          more = true;
          break;
        }
        issues.push({ id: issue.id, key: issue.key ?? issue.id, fields: issue.fields ?? {} });
      }
      if (more) break;
    }

    const now = this.deps.now();
    const { events, omitted } = buildFeedEvents(config, issues, { jiraBaseUrl: actor.installation.baseUrl, uidDomain: eventUidDomain(actor.clientKey, PREVIEW_FEED_ID), now });
    const sampleBytes = Buffer.byteLength(renderCalendar({ name: config.name, refreshIntervalMinutes: config.syncIntervalMinutes }, events));
    const { sizeBytes, sizeEstimated } = await this.estimateSize(config, sampleBytes, issues.length, more, () => client.approximateCount(jql));
    const nowIso = now.toISOString().slice(0, 10);
    const upcoming = events.filter((event) => event.end.slice(0, 10) >= nowIso).slice(0, PREVIEW_EVENT_LIMIT);
    return {
      events: upcoming.map(({ uid, summary, description, start, end, allDay, url }) => ({ uid, summary, description, start, end, allDay, url })),
      eventCount: events.length,
      issueCount: issues.length,
      omitted,
      capReached: more && limit === config.issueCap,
      sizeBytes,
      sizeEstimated,
      sizeLimitBytes: GOOGLE_SIZE_LIMIT_BYTES,
    };
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
