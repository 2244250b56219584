import { describe, expect, it } from 'vitest';
import type { FeedEvent } from '../../src/domain/feed-event.js';
import type { FeedSyncStatus, SyncBasis } from '../../src/domain/feed.js';
import { incrementalAllowed, nextSyncAt } from '../../src/domain/sync-basis.js';
import { canonical, eventChange, itemChange } from '../../src/domain/sync-changes.js';
import { cutEventOf, standIn, type IssueItem } from '../../src/domain/sync-items.js';

const event = (uid: string, summary: string) => ({ uid, summary }) as FeedEvent;
const item = (id: string, updatedMs: number): IssueItem => ({
  kind: 'issue',
  id,
  key: `A-${id}`,
  updatedMs,
  carries: [],
  omitted: [],
  cut: [],
});

describe('sync changes', () => {
  it('deletes gone and changed events and adds changed and new ones', () => {
    const before = [event('a', 'A'), event('b', 'B'), event('c', 'C')];
    const after = [event('a', 'A'), event('b', 'B2'), event('d', 'D')];
    const change = eventChange(before, after, (e) => e.summary);
    expect(change.events.map((e) => e.uid)).toEqual(['b', 'd']);
    expect(change.removeUids).toEqual(['c', 'b']);
    expect(eventChange(before, before, (e) => e.summary)).toEqual({ removeUids: [], events: [] });
  });

  it('compares items whatever their key order', () => {
    const before = [item('1', 1), item('2', 2), item('3', 3)];
    const reordered: IssueItem = {
      cut: [],
      omitted: [],
      carries: [],
      updatedMs: 1,
      key: 'A-1',
      id: '1',
      kind: 'issue',
    };
    const change = itemChange(before, [reordered, item('2', 5), item('4', 4)]);
    expect(change.items.map((i) => i.id)).toEqual(['2', '4']);
    expect(change.remove.map((i) => i.id)).toEqual(['3', '2']);
    expect(canonical({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});

describe('sync basis', () => {
  const now = new Date('2026-06-15T12:00:00.000Z');
  const basis: SyncBasis = {
    hash: 'h',
    watermarkAt: new Date('2026-06-15T11:00:00.000Z'),
    lastFullAt: new Date('2026-06-15T00:00:00.000Z'),
    windowChangeAt: new Date('2026-06-16T00:00:00.000Z'),
  };
  const status = { capReached: false } as FeedSyncStatus;

  it('trusts the last items only with the same basis, a full read within a day and the window unchanged', () => {
    expect(incrementalAllowed(basis, 'h', status, now)).toBe(true);
    expect(incrementalAllowed(null, 'h', status, now)).toBe(false);
    expect(incrementalAllowed(basis, 'other', status, now)).toBe(false);
    expect(incrementalAllowed(basis, 'h', { ...status, capReached: true }, now)).toBe(false);
    expect(incrementalAllowed(basis, 'h', status, new Date('2026-06-16T00:00:00.000Z'))).toBe(false);
    const stale = { ...basis, lastFullAt: new Date('2026-06-14T12:00:00.000Z') };
    expect(incrementalAllowed(stale, 'h', status, now)).toBe(false);
  });

  it('schedules the next sync an interval after this one started', () => {
    expect(nextSyncAt(now, { syncIntervalMinutes: 30 })).toEqual(new Date('2026-06-15T12:30:00.000Z'));
  });
});

describe('cut events', () => {
  it('keep what ranks them, and stand in for their issue until it is read again', () => {
    const owner = item('7', 1);
    const cut = cutEventOf(
      { uid: '7-due@x', allDay: true, start: '2026-07-01', end: '2026-07-02' } as FeedEvent,
      'hash',
    );
    expect(cut).toEqual({
      uid: '7-due@x',
      allDay: true,
      start: '2026-07-01',
      end: '2026-07-02',
      hash: 'hash',
    });
    const { event, hash } = standIn(cut, owner);
    expect(hash).toBe('hash');
    expect(event).toMatchObject({
      uid: '7-due@x',
      kind: 'issue',
      issueId: '7',
      issueKey: 'A-7',
      summary: 'A-7',
    });
    expect(cutEventOf(event, hash)).toEqual(cut);
    const sprint = standIn(cut, { kind: 'sprint', id: '3', dates: {}, cut: [] }).event;
    expect(sprint).toMatchObject({ kind: 'sprint', issueId: null, summary: 'sprint 3' });
  });
});
