import { describe, expect, it } from 'vitest';
import {
  offeredCalendars,
  visibilityFor,
  visibleEvents,
  type MembershipFacts,
} from '../../src/domain/access-rules.js';
import type { FeedEvent } from '../../src/domain/feed-event.js';
import { feedConfig } from '../support/factories.js';

function config(access: Record<string, unknown>) {
  return feedConfig({ access });
}

const facts = (over: Partial<MembershipFacts> = {}): MembershipFacts => ({
  active: true,
  groups: new Set(),
  roleProjects: new Map(),
  ...over,
});

const event = (
  uid: string,
  projectIds: string[],
  userAccountIds: string[] = [],
  issueId: string | null = uid,
): FeedEvent => ({
  uid,
  kind: issueId === null ? 'sprint' : 'issue',
  ruleId: 'due',
  issueId,
  issueKey: issueId,
  projectIds,
  allDay: true,
  start: '2026-01-01',
  end: '2026-01-02',
  summary: uid,
  description: '',
  url: null,
  categories: [],
  transparent: true,
  alarmMinutesBefore: null,
  resolved: false,
  stamp: '2026-01-01T00:00:00.000Z',
  sequence: 0,
  userAccountIds,
});

describe('access rules', () => {
  it('offers the All calendar unless access is "none", and personal calendars when dividing by user', () => {
    expect(offeredCalendars(config({ mode: 'none' }))).toEqual([]);
    expect(offeredCalendars(config({ mode: 'all' }))).toEqual(['all']);
    expect(offeredCalendars(config({ mode: 'none', divideByUserFields: ['assignee'] }))).toEqual(['mine']);
  });

  it('never shows anything to a deactivated account', () => {
    expect(visibilityFor(config({ mode: 'all' }), 'all', 'u', facts({ active: false }))).toMatchObject({
      allowed: false,
    });
    expect(
      visibilityFor(config({ divideByUserFields: ['assignee'] }), 'mine', 'u', facts({ active: false })),
    ).toMatchObject({ allowed: false });
  });

  it('groups: any chosen group is enough', () => {
    const feed = config({ mode: 'groups', groups: [{ name: 'a' }, { name: 'b' }] });
    expect(visibilityFor(feed, 'all', 'u', facts({ groups: new Set(['b']) }))).toEqual({
      allowed: true,
      projectIds: null,
      accountFilter: null,
    });
    expect(visibilityFor(feed, 'all', 'u', facts({ groups: new Set(['c']) }))).toMatchObject({
      allowed: false,
    });
  });

  it('roles: the union of projects over the chosen roles, and nothing for a user without them', () => {
    const feed = config({
      mode: 'roles',
      roles: [
        { id: 1, name: 'Dev' },
        { id: 2, name: 'Viewer' },
      ],
    });
    const roleProjects = new Map([
      ['1', new Set(['p2'])],
      ['2', new Set(['p1', 'p2'])],
      ['3', new Set(['p9'])],
    ]);
    expect(visibilityFor(feed, 'all', 'u', facts({ roleProjects }))).toEqual({
      allowed: true,
      projectIds: ['p1', 'p2'],
      accountFilter: null,
    });
    expect(
      visibilityFor(feed, 'all', 'u', facts({ roleProjects: new Map([['3', new Set(['p9'])]]) })),
    ).toMatchObject({ allowed: false });
  });

  it('filters events by project, by named user and by browsable issue', () => {
    const events = [
      event('1', ['p1'], ['u']),
      event('2', ['p2'], ['v']),
      event('3', ['p1', 'p2']),
      event('s', ['p2'], [], null),
    ];
    const uids = (list: FeedEvent[]) => list.map((e) => e.uid);
    expect(
      uids(visibleEvents(events, { allowed: true, projectIds: ['p1'], accountFilter: null }, null)),
    ).toEqual(['1', '3']);
    expect(
      uids(visibleEvents(events, { allowed: true, projectIds: null, accountFilter: 'u' }, null)),
    ).toEqual(['1']);
    expect(
      uids(visibleEvents(events, { allowed: true, projectIds: null, accountFilter: null }, new Set(['2']))),
    ).toEqual(['2', 's']);
  });
});
