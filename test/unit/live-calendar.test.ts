import { describe, expect, it } from 'vitest';
import type { PushedEvent } from '../../src/domain/calendar-provider.js';
import { planChanges, planSize, toPushedEvent, toPushedEvents } from '../../src/domain/live-calendar.js';
import { retryDelayMs } from '../../src/jobs/push-calendar-job.js';
import type { FeedEvent } from '../../src/domain/feed-event.js';
import { feedEvent as baseEvent } from '../support/factories.js';

const feedEvent = (overrides: Partial<FeedEvent> = {}): FeedEvent =>
  baseEvent({
    uid: '1-due@app',
    issueId: '1',
    issueKey: 'A-1',
    projectIds: ['10000'],
    start: '2026-06-01',
    end: '2026-06-02',
    summary: 'A-1 Launch',
    description: 'From Jira',
    url: 'https://a.atlassian.net/browse/A-1',
    transparent: true,
    stamp: '2026-05-01T00:00:00.000Z',
    sequence: 1,
    ...overrides,
  });

describe('live calendar plan', () => {
  it('maps all-day events to dates and timed ones to UTC instants, with a digest of what is sent', () => {
    const allDay = toPushedEvent(feedEvent());
    expect(allDay.start).toEqual({ date: '2026-06-01' });
    expect(allDay.end).toEqual({ date: '2026-06-02' });
    const timed = toPushedEvent(
      feedEvent({ allDay: false, start: '2026-06-01T09:00:00.000Z', end: '2026-06-01T10:00:00.000Z' }),
    );
    expect(timed.start).toEqual({ dateTime: '2026-06-01T09:00:00.000Z', timeZone: 'UTC' });
    // What is not sent (the sequence, the stamp) does not move the digest: no call for it.
    expect(toPushedEvent(feedEvent({ sequence: 7, stamp: '2026-05-09T00:00:00.000Z' })).digest).toBe(
      allDay.digest,
    );
    expect(toPushedEvent(feedEvent({ summary: 'Renamed' })).digest).not.toBe(allDay.digest);
  });

  it('inserts the new, updates the changed in place, deletes the gone, and leaves the rest alone', () => {
    const event = (uid: string, summary = uid): PushedEvent => toPushedEvent(feedEvent({ uid, summary }));
    const pushed = [
      { uid: 'same', remoteId: 'r-same', digest: event('same').digest },
      { uid: 'edited', remoteId: 'r-edited', digest: event('edited').digest },
      { uid: 'gone', remoteId: 'r-gone', digest: event('gone').digest },
    ];
    const plan = planChanges([event('same'), event('edited', 'new title'), event('new')], pushed);
    expect(plan.inserts.map((item) => item.uid)).toEqual(['new']);
    expect(plan.updates.map((item) => [item.remoteId, item.event.summary])).toEqual([
      ['r-edited', 'new title'],
    ]);
    expect(plan.deletes.map((item) => item.remoteId)).toEqual(['r-gone']);
    expect(planSize(planChanges([event('same')], pushed.slice(0, 1)))).toBe(0);
  });

  it('waits at least what the provider asked, with jitter, and backs off exponentially otherwise', () => {
    expect(retryDelayMs(3000, 0, () => 0)).toBe(3000);
    expect(retryDelayMs(3000, 0, () => 0.999)).toBeGreaterThan(3000);
    expect(retryDelayMs(3000, 0, () => 0.999)).toBeLessThan(5100);
    expect(retryDelayMs(null, 0, () => 0)).toBe(2500);
    expect(retryDelayMs(null, 3, () => 0)).toBe(20_000);
    expect(retryDelayMs(null, 30, () => 1)).toBe(15 * 60_000);
  });
});

describe('toPushedEvents', () => {
  it('leaves out cancelled tombstones, so an issue that left the feed is deleted from the live calendar', () => {
    const live = feedEvent();
    const tombstone = feedEvent({ uid: '2-due@app', cancelledAt: '2026-06-03T00:00:00.000Z' });
    expect(toPushedEvents([live, tombstone]).map((event) => event.uid)).toEqual(['1-due@app']);
  });
});
