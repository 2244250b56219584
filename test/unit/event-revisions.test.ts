import { describe, expect, it } from 'vitest';
import { applyRevisions, type EventRevision } from '../../src/domain/event-revisions.js';
import { MAX_SEQUENCE, type FeedEvent } from '../../src/domain/feed-event.js';
import { feedEvent } from '../support/factories.js';

const base = feedEvent();
const now = new Date('2024-06-15T12:00:00.000Z');

function once(event: FeedEvent, previous: EventRevision[] = [], at = now) {
  const result = applyRevisions([event], new Map(previous.map((revision) => [revision.uid, revision])), at);
  return { event: result.events[0]!, changed: result.changed };
}

describe('applyRevisions', () => {
  it('starts a new event at 0, stamped with its data whenever it is first seen', () => {
    expect(once(base).event).toMatchObject({ sequence: 0, stamp: '2024-05-02T08:00:00.000Z' });
    expect(once(base, [], new Date('2030-01-01T00:00:00.000Z')).event.stamp).toBe(base.stamp);
  });

  it('keeps SEQUENCE and stamp when nothing shown changed, whatever the issue update time says', () => {
    const first = once(base);
    const again = once({ ...base, stamp: '2024-06-01T00:00:00.000Z', userAccountIds: ['u'] }, first.changed);
    expect(again.event).toMatchObject({ sequence: 0, stamp: first.event.stamp });
    expect(again.changed).toEqual([]);
  });

  it('raises SEQUENCE and the stamp for any shown change, never below the last stamp', () => {
    const first = once(base).changed;
    for (const change of [
      { start: '2024-07-01', end: '2024-07-02' },
      { summary: 'other' },
      { alarmMinutesBefore: 5 },
    ]) {
      const next = once({ ...base, ...change }, first);
      expect(next.event).toMatchObject({ sequence: 1, stamp: now.toISOString() });
      expect(next.changed).toHaveLength(1);
    }
    const future = [{ ...first[0]!, sequence: 4, changedAt: '2024-07-01T00:00:00.000Z' }];
    expect(once({ ...base, summary: 'x' }, future).event).toMatchObject({
      sequence: 5,
      stamp: '2024-07-01T00:00:01.000Z',
    });
    const top = [{ ...first[0]!, sequence: MAX_SEQUENCE }];
    expect(once({ ...base, summary: 'x' }, top).event.sequence).toBe(MAX_SEQUENCE);
  });
});
