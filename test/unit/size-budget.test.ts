import { describe, expect, it } from 'vitest';
import { keepNearestIssues } from '../../src/domain/issue-cap.js';
import type { FeedEvent } from '../../src/domain/feed-event.js';
import {
  distanceFromNow,
  fitToBudget,
  keptBudgetCut,
  nearestCutIssues,
  nearestFirst,
  SIZE_BUDGET_REASON,
  withBudgetCut,
} from '../../src/domain/size-budget.js';

const now = new Date('2026-06-15T12:00:00.000Z');

function dayEvent(id: number, date: string): FeedEvent {
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return {
    uid: `${id}-due@x`,
    kind: 'issue',
    ruleId: 'due',
    issueId: String(id),
    issueKey: `A-${id}`,
    projectIds: [],
    allDay: true,
    start: date,
    end: next,
    summary: `A-${id}`,
    description: '',
    url: null,
    categories: [],
    transparent: false,
    alarmMinutesBefore: null,
    resolved: false,
    stamp: '2026-01-01T00:00:00.000Z',
    sequence: 0,
    userAccountIds: [],
  };
}

const events = [
  dayEvent(1, '2026-01-01'),
  dayEvent(2, '2026-06-15'),
  dayEvent(3, '2026-06-20'),
  dayEvent(4, '2026-06-10'),
  dayEvent(5, '2027-06-01'),
];

describe('size budget', () => {
  it('ranks events by distance from now, an event under way first', () => {
    expect(distanceFromNow(events[1]!, now.getTime())).toBe(0);
    expect(nearestFirst(events, now).map((event) => event.issueId)).toEqual(['2', '4', '3', '1', '5']);
  });

  it('keeps the most nearest events that fit, in their order, and reports the farthest as dropped', () => {
    const sizeOf = { eventBytes: () => 100, frameBytes: (dropped: number) => (dropped > 0 ? 10 : 0) };
    const fit = fitToBudget(events, now, 320, sizeOf);
    expect(fit.kept.map((event) => event.issueId)).toEqual(['2', '3', '4']);
    expect(fit.dropped.map((event) => event.issueId)).toEqual(['1', '5']);
    expect(fitToBudget(events, now, 10_000, sizeOf)).toEqual({ kept: events, dropped: [] });
    expect(fitToBudget(events, now, null, sizeOf)).toEqual({ kept: events, dropped: [] });
    expect(fitToBudget(events, now, 50, sizeOf).kept).toEqual([]);
  });

  it('over the issue cap keeps the issues whose events are nearest, eventless issues last', () => {
    const issues = [1, 2, 3, 4, 5, 6].map((id) => ({ id: String(id), key: `A-${id}`, fields: {} }));
    expect(keepNearestIssues(issues, events, 3, now).map((issue) => issue.id)).toEqual(['2', '3', '4']);
    expect(keepNearestIssues(issues, events, 6, now)).toBe(issues);
    expect(keepNearestIssues(issues, [], 2, now).map((issue) => issue.id)).toEqual(['1', '2']);
  });

  it('adds what the budget left out to the omissions, and an unchanged sync keeps the last count', () => {
    const omitted = {
      count: 1,
      byReason: { 'no-date': 1 },
      examples: [{ issueKey: 'A-9', reason: 'no-date' }],
    };
    expect(withBudgetCut(omitted, [])).toBe(omitted);
    const cut = withBudgetCut(omitted, [events[0]!, events[4]!]);
    expect(cut).toEqual({
      count: 3,
      byReason: { 'no-date': 1, [SIZE_BUDGET_REASON]: 2 },
      examples: [
        { issueKey: 'A-9', reason: 'no-date' },
        { issueKey: 'A-1', reason: SIZE_BUDGET_REASON },
        { issueKey: 'A-5', reason: SIZE_BUDGET_REASON },
      ],
    });
    expect(
      withBudgetCut(
        omitted,
        Array.from({ length: 30 }, (_, id) => dayEvent(id, '2027-01-01')),
      ).examples,
    ).toHaveLength(21);
    expect(keptBudgetCut(omitted, null)).toBe(omitted);
    expect(keptBudgetCut(omitted, cut)).toEqual(cut);
  });

  it('names the issues of the nearest cut events, none when a sprint or version event is among them', () => {
    const ranked = nearestFirst(events, now);
    const standIns = new Set([events[0]!, events[2]!, events[4]!]);
    expect(nearestCutIssues(ranked, standIns, 2)).toEqual(new Set(['3', '1']));
    expect(nearestCutIssues(ranked, standIns, 0)).toEqual(new Set(['3']));
    const sprint: FeedEvent = { ...events[2]!, kind: 'sprint', issueId: null };
    expect(nearestCutIssues([sprint, ...ranked], new Set([sprint]), 5)).toBeNull();
  });
});
