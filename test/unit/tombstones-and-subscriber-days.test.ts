import { describe, expect, it } from 'vitest';
import { eventContentHash } from '../../src/domain/event-revisions.js';
import type { FeedEvent } from '../../src/domain/feed-event.js';
import { inSubscriberZone } from '../../src/domain/subscriber-days.js';
import { tombstonesOf } from '../../src/domain/tombstones.js';
import { feedEvent } from '../support/factories.js';

const base = feedEvent({ sequence: 3 });
const now = new Date('2024-06-15T12:00:00.000Z');
const keep = (keepDays: number) => ({ removedIssues: { mode: 'cancel' as const, keepDays } });

describe('tombstonesOf', () => {
  it('cancels the events of issues that left, and nothing else', () => {
    const sprint: FeedEvent = { ...base, uid: 'sprint-7-s@x', kind: 'sprint', issueId: null };
    const staying: FeedEvent = { ...base, uid: '10002-due@x', issueId: '10002' };
    const result = tombstonesOf(keep(3), [base, sprint, staying], new Set(['10002']), now);
    expect(result.events).toEqual([{ ...base, cancelledAt: now.toISOString() }]);
    expect(result.expiresAt).toEqual(new Date(now.getTime() + 3 * 86_400_000));
    expect(tombstonesOf({ removedIssues: { mode: 'drop', keepDays: 3 } }, [base], new Set(), now)).toEqual({
      events: [],
      expiresAt: null,
    });
  });

  it('carries a tombstone unchanged until its days are up, and drops it when its issue is back', () => {
    const cancelledAt = '2024-06-13T12:00:00.000Z';
    const kept = { ...base, cancelledAt };
    expect(tombstonesOf(keep(3), [kept], new Set(), now).events).toEqual([kept]);
    expect(tombstonesOf(keep(2), [kept], new Set(), now).events).toEqual([]);
    expect(tombstonesOf(keep(3), [kept], new Set(['10001']), now).events).toEqual([]);
  });

  it('changes the content hash only of cancelled events', () => {
    expect(eventContentHash({ ...base, cancelledAt: now.toISOString() })).not.toBe(eventContentHash(base));
    expect(eventContentHash({ ...base, cancelledAt: 'later' })).toBe(
      eventContentHash({ ...base, cancelledAt: now.toISOString() }),
    );
  });
});

describe('inSubscriberZone', () => {
  const zoned: FeedEvent = { ...base, instant: '2024-06-30T14:30:00.000Z' };

  it("moves only events that carry an instant, to the subscriber's date, keeping UID and length", () => {
    const sydney = { timeZone: 'Australia/Sydney', sequence: 0, changedAt: null };
    const [moved, still] = inSubscriberZone([zoned, base], sydney);
    expect(moved).toMatchObject({ uid: base.uid, start: '2024-07-01', end: '2024-07-02', sequence: 3 });
    expect(still).toBe(base);
    expect(inSubscriberZone([zoned], null)).toEqual([zoned]);
  });

  it('raises SEQUENCE by the changes seen and stamps no earlier than the last one', () => {
    const changedAt = '2024-06-14T00:00:00.000Z';
    const [moved] = inSubscriberZone([zoned], { timeZone: 'America/Denver', sequence: 2, changedAt });
    expect(moved).toMatchObject({ start: '2024-06-30', sequence: 5, stamp: changedAt });
  });
});
