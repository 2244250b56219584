import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Knex } from 'knex';
import { fitCalendar } from '../calendar/fit-calendar.js';
import { type CalendarMeta, renderCalendarSliced } from '../calendar/render-calendar.js';
import type { FeedRenderRepository } from '../db/feed-render-repository.js';
import { ALL_CALENDAR, type Feed, type RenderedFeed } from '../domain/feed.js';
import type { FeedEvent } from '../domain/feed-event.js';
import { timeSlices } from './time-slices.js';

const gzipAsync = promisify(gzip);

/** Google drops subscriptions much over 1 MB; the status warns before that. */
export const FEED_SIZE_WARNING_BYTES = 900_000;

const EVENT_KEYS: (keyof FeedEvent)[] = [
  'uid',
  'kind',
  'ruleId',
  'issueId',
  'issueKey',
  'projectIds',
  'allDay',
  'start',
  'end',
  'summary',
  'description',
  'url',
  'categories',
  'transparent',
  'alarmMinutesBefore',
  'resolved',
  'stamp',
  'sequence',
  'userAccountIds',
  'cancelledAt',
  'instant',
];

/** Turns event sets into stored, ready-to-serve bytes (plain and gzip) with their validators. */
export class FeedPublisher {
  constructor(private readonly deps: { renders: FeedRenderRepository; now: () => Date }) {}

  /**
   * What decides the bytes: if this hash is unchanged, so is the output, and nothing is rendered. Events
   * hash in one key order, whether built just now or read back from jsonb (which keeps its own order).
   */
  static dataHash(feed: Feed, events: FeedEvent[]): string {
    return FeedPublisher.dataHashOf(
      feed,
      events.map((event) => FeedPublisher.eventHash(event)),
    );
  }

  /**
   * `dataHash` from each event's `eventHash`, in the same order: a sync that keeps only the hash of an event
   * the size budget left out still gives the hash a sync holding every event gives.
   */
  static dataHashOf(feed: Feed, eventHashes: readonly string[]): string {
    const hash = createHash('sha256').update(
      JSON.stringify({
        name: feed.name,
        interval: feed.config.syncIntervalMinutes,
        budget: feed.config.sizeBudget,
      }),
    );
    for (const eventHash of eventHashes) hash.update(eventHash);
    return hash.digest('base64url');
  }

  /** Everything stored of one event, hashed. */
  static eventHash(event: FeedEvent): string {
    return createHash('sha256').update(JSON.stringify(event, EVENT_KEYS)).digest('base64url');
  }

  /** Rendering and compressing yield to the event loop: a big feed does not stall the requests around it. */
  async render(feed: Feed, variant: string, events: FeedEvent[], dataHash: string): Promise<RenderedFeed> {
    const text = await renderCalendarSliced(calendarMeta(feed), events, timeSlices());
    return this.fromText(feed, variant, text, events.length, dataHash);
  }

  /**
   * The shared calendar's events and text within the feed's size budget, nearest events first; `beyond`
   * counts events already left out before these (the note says how many in all).
   */
  async fitToBudget(
    feed: Feed,
    events: FeedEvent[],
    now: Date,
    beyond = 0,
  ): Promise<{ events: FeedEvent[]; dropped: FeedEvent[]; text: string }> {
    const fit = await fitCalendar(calendarMeta(feed), events, now, feed.config.sizeBudget, {
      beyond,
      pause: timeSlices(),
    });
    return { events: fit.kept, dropped: fit.dropped, text: fit.text };
  }

  /** Compresses off the event loop (zlib's thread pool). */
  async fromText(
    feed: Feed,
    variant: string,
    text: string,
    eventCount: number,
    dataHash: string,
  ): Promise<RenderedFeed> {
    const body = Buffer.from(text, 'utf8');
    return {
      feedId: feed.id,
      variant,
      body,
      bodyGzip: await gzipAsync(body),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`,
      dataHash,
      lastModified: this.deps.now(),
      eventCount,
    };
  }

  async publishEmpty(clientKey: string, feed: Feed, db: Knex.Transaction): Promise<void> {
    await this.deps.renders.save(
      clientKey,
      await this.render(feed, ALL_CALENDAR, [], FeedPublisher.dataHash(feed, [])),
      db,
    );
  }
}

function calendarMeta(feed: Feed): CalendarMeta {
  return { name: feed.name, refreshIntervalMinutes: feed.config.syncIntervalMinutes };
}
