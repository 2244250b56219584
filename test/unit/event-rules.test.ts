import { describe, expect, it } from 'vitest';
import { buildFeedEvents, buildFeedEventsSliced, type BuildContext } from '../../src/domain/event-rules.js';
import { yieldingPause } from '../support/pauses.js';
import { parseFeedConfig, type FeedConfig } from '../../src/domain/feed-config.js';
import type { FeedEvent, JiraIssueLike } from '../../src/domain/feed-event.js';
import { neverPause } from '../../src/domain/pause.js';

const ctx: BuildContext = {
  jiraBaseUrl: 'https://acme.atlassian.net',
  uidDomain: 'cal.example.com',
  now: new Date('2024-06-15T12:00:00.000Z'),
};

function config(overrides: Record<string, unknown>): FeedConfig {
  const result = parseFeedConfig({
    name: 'Test feed',
    source: { type: 'jql', jql: 'project = ABC' },
    window: { pastDays: 3650, futureDays: 3650 },
    ...overrides,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.fields));
  return result.config;
}

function issue(id: number, fields: Record<string, unknown> = {}): JiraIssueLike {
  return {
    id: String(id),
    key: `ABC-${id - 10000}`,
    fields: {
      summary: `Issue ${id}`,
      status: { name: 'To Do' },
      assignee: null,
      project: { id: '100', key: 'ABC', name: 'Alpha' },
      resolution: null,
      created: '2024-05-01T10:00:00.000+0000',
      updated: '2024-05-02T10:00:00.000+0200',
      ...fields,
    },
  };
}

function build(cfg: FeedConfig, issues: JiraIssueLike[], context: BuildContext = ctx) {
  return buildFeedEvents(cfg, issues, context);
}

function only(events: FeedEvent[]): FeedEvent {
  expect(events).toHaveLength(1);
  return events[0]!;
}

const span = (event: FeedEvent) => [event.start, event.end];

describe('allDay rule', () => {
  const cfg = config({
    rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
    content: { categories: ['Jira'], alarmMinutesBefore: 30, transparency: 'busy' },
  });

  it('builds a complete all-day event from a date field', () => {
    const event = only(build(cfg, [issue(10001, { duedate: '2024-06-30' })]).events);
    expect(event).toEqual({
      uid: '10001-due@cal.example.com',
      kind: 'issue',
      ruleId: 'due',
      issueId: '10001',
      issueKey: 'ABC-1',
      projectIds: ['100'],
      allDay: true,
      start: '2024-06-30',
      end: '2024-07-01',
      summary: 'ABC-1: Issue 10001',
      description: 'To Do ·',
      url: 'https://acme.atlassian.net/browse/ABC-1',
      categories: ['Jira'],
      transparent: false,
      alarmMinutesBefore: 30,
      resolved: false,
      stamp: '2024-05-02T08:00:00.000Z',
      sequence: 0,
      userAccountIds: [],
    } satisfies FeedEvent);
  });

  it('converts a datetime field to the feed zone before taking the date (near midnight)', () => {
    // 10:30 UTC is already the next day in Kiritimati (UTC+14); 08:30 UTC is still the day before in Adak (UTC-9 in summer).
    const created = { created: '2024-06-01T10:30:00.000+0000' };
    const rule = { rules: [{ id: 'made', kind: 'allDay', field: 'created' }] };
    expect(
      span(only(build(config({ ...rule, timeZone: 'Pacific/Kiritimati' }), [issue(10001, created)]).events)),
    ).toEqual(['2024-06-02', '2024-06-03']);
    expect(span(only(build(config({ ...rule, timeZone: 'UTC' }), [issue(10001, created)]).events))).toEqual([
      '2024-06-01',
      '2024-06-02',
    ]);
    const early = { created: '2024-06-01T08:30:00.000+0000' };
    expect(
      span(only(build(config({ ...rule, timeZone: 'America/Adak' }), [issue(10001, early)]).events)),
    ).toEqual(['2024-05-31', '2024-06-01']);
  });

  it('prefers the zone named by timeZoneField (a user or a text field) and falls back to the feed zone', () => {
    const cfgZone = config({
      timeZone: 'UTC',
      rules: [{ id: 'made', kind: 'allDay', field: 'created', timeZoneField: 'assignee' }],
    });
    const created = '2024-06-01T20:00:00.000+0000';
    const tokyo = issue(10001, {
      created,
      assignee: { accountId: 'u1', displayName: 'A', timeZone: 'Asia/Tokyo' },
    });
    const bogus = issue(10002, {
      created,
      assignee: { accountId: 'u2', displayName: 'B', timeZone: 'Moon/Base' },
    });
    const events = build(cfgZone, [tokyo, bogus]).events;
    expect(events.map((event) => [event.issueKey, event.start])).toEqual([
      ['ABC-2', '2024-06-01'],
      ['ABC-1', '2024-06-02'],
    ]);
  });

  it('counts empty and unparseable dates instead of dropping them silently', () => {
    const result = build(cfg, [
      issue(10001, { duedate: null }),
      issue(10002, { duedate: '2024-02-30' }),
      issue(10003, { duedate: '' }),
      issue(10004, { duedate: '2024-06-20' }),
    ]);
    expect(result.events).toHaveLength(1);
    expect(result.omitted).toEqual({
      count: 3,
      byReason: { 'empty:duedate': 2, 'invalid:duedate': 1 },
      examples: [
        { issueKey: 'ABC-1', reason: 'empty:duedate' },
        { issueKey: 'ABC-2', reason: 'invalid:duedate' },
        { issueKey: 'ABC-3', reason: 'empty:duedate' },
      ],
    });
  });
});

describe('timed rule', () => {
  const timed = (end: Record<string, unknown>) =>
    config({ rules: [{ id: 'start', kind: 'timed', field: 'customfield_10015', end }] });
  const start = { customfield_10015: '2024-06-20T09:30:00.000+0200' };

  it('parses offset-aware datetimes and adds a fixed duration', () => {
    const event = only(build(timed({ type: 'duration', minutes: 90 }), [issue(10001, start)]).events);
    expect(event.allDay).toBe(false);
    expect(span(event)).toEqual(['2024-06-20T07:30:00.000Z', '2024-06-20T09:00:00.000Z']);
  });

  it('reads durations from fields: time tracking in seconds, other numbers in minutes, defaults when empty', () => {
    const estimate = timed({ type: 'durationField', field: 'timeoriginalestimate', defaultMinutes: 15 });
    const custom = timed({ type: 'durationField', field: 'customfield_10030', defaultMinutes: 15 });
    expect(only(build(estimate, [issue(10001, { ...start, timeoriginalestimate: 7200 })]).events).end).toBe(
      '2024-06-20T09:30:00.000Z',
    );
    expect(only(build(estimate, [issue(10001, { ...start, timeoriginalestimate: null })]).events).end).toBe(
      '2024-06-20T07:45:00.000Z',
    );
    expect(only(build(custom, [issue(10001, { ...start, customfield_10030: 45 })]).events).end).toBe(
      '2024-06-20T08:15:00.000Z',
    );
    const bad = build(custom, [issue(10001, { ...start, customfield_10030: 'soon' })]);
    expect(bad.events).toHaveLength(0);
    expect(bad.omitted.byReason).toEqual({ 'invalid:customfield_10030': 1 });
  });

  it('reads the end from a field and omits ranges that end before they start', () => {
    const cfg = timed({ type: 'endField', field: 'customfield_10031' });
    const ok = build(cfg, [issue(10001, { ...start, customfield_10031: '2024-06-20T12:00:00.000Z' })]);
    expect(span(only(ok.events))).toEqual(['2024-06-20T07:30:00.000Z', '2024-06-20T12:00:00.000Z']);
    const inverted = build(cfg, [
      issue(10001, { ...start, customfield_10031: '2024-06-20T07:00:00.000Z' }),
      issue(10002, { ...start, customfield_10031: null }),
    ]);
    expect(inverted.events).toHaveLength(0);
    expect(inverted.omitted.byReason).toEqual({ 'end-before-start': 1, 'empty:customfield_10031': 1 });
  });

  it('rejects a date-only value and a datetime without offset for a timed rule', () => {
    const result = build(timed({ type: 'duration', minutes: 60 }), [
      issue(10001, { customfield_10015: '2024-06-20' }),
      issue(10002, { customfield_10015: '2024-06-20T09:30:00' }),
    ]);
    expect(result.omitted.byReason).toEqual({ 'invalid:customfield_10015': 2 });
  });
});

describe('dateWithTime rule', () => {
  const rule = (overrides: Record<string, unknown>, timeZone = 'Europe/Berlin') =>
    config({ timeZone, rules: [{ id: 'call', kind: 'dateWithTime', field: 'duedate', ...overrides }] });

  it('places the wall time in the feed zone, summer and winter', () => {
    const cfg = rule({ startTime: '09:00' });
    expect(span(only(build(cfg, [issue(10001, { duedate: '2024-07-01' })]).events))).toEqual([
      '2024-07-01T07:00:00.000Z',
      '2024-07-01T08:00:00.000Z',
    ]);
    expect(span(only(build(cfg, [issue(10001, { duedate: '2024-12-02' })]).events))).toEqual([
      '2024-12-02T08:00:00.000Z',
      '2024-12-02T09:00:00.000Z',
    ]);
  });

  it('skips forward over the spring-forward gap (Europe/Berlin 2024-03-31 02:30 → 03:30 CEST)', () => {
    const event = only(build(rule({ startTime: '02:30' }), [issue(10001, { duedate: '2024-03-31' })]).events);
    expect(span(event)).toEqual(['2024-03-31T01:30:00.000Z', '2024-03-31T02:30:00.000Z']);
  });

  it('keeps an event whose start falls in the gap and whose fixed end is just after it (New York 02:30-03:00)', () => {
    const cfg = rule(
      { startTime: '02:30', end: { type: 'fixedEndTime', time: '03:00' } },
      'America/New_York',
    );
    const event = only(build(cfg, [issue(10001, { duedate: '2026-03-08' })]).events);
    // 02:30 does not exist; it moves to 03:30 EDT (07:30Z) and keeps the half hour it was meant to last.
    expect(span(event)).toEqual(['2026-03-08T07:30:00.000Z', '2026-03-08T08:00:00.000Z']);
  });

  it('takes the earlier instant in the fall-back overlap (America/New_York 2024-11-03 01:30 EDT)', () => {
    const cfg = rule(
      { startTime: '01:30', end: { type: 'fixedEndTime', time: '03:00' } },
      'America/New_York',
    );
    const event = only(build(cfg, [issue(10001, { duedate: '2024-11-03' })]).events);
    // 01:30 EDT = 05:30Z; 03:00 EST = 08:00Z: the event really lasts two and a half hours.
    expect(span(event)).toEqual(['2024-11-03T05:30:00.000Z', '2024-11-03T08:00:00.000Z']);
  });

  it('uses the rule zone over the feed zone', () => {
    const cfg = rule({ startTime: '09:00', timeZone: 'America/New_York' }, 'Europe/Berlin');
    expect(only(build(cfg, [issue(10001, { duedate: '2024-03-10' })]).events).start).toBe(
      '2024-03-10T13:00:00.000Z',
    );
  });

  it('reads start times typed into an issue field and falls back to the rule time when empty', () => {
    const cfg = rule({ startTime: '09:00', startTimeField: 'customfield_10040' }, 'UTC');
    const result = build(cfg, [
      issue(10001, { duedate: '2024-07-01', customfield_10040: '7' }),
      issue(10002, { duedate: '2024-07-01', customfield_10040: '7:30' }),
      issue(10003, { duedate: '2024-07-01', customfield_10040: 13.25 }),
      issue(10004, { duedate: '2024-07-01', customfield_10040: { value: '16:00' } }),
      issue(10005, { duedate: '2024-07-01', customfield_10040: null }),
      issue(10006, { duedate: '2024-07-01', customfield_10040: 'after lunch' }),
    ]);
    expect(
      Object.fromEntries(result.events.map((event) => [event.issueKey, event.start.slice(11, 16)])),
    ).toEqual({
      'ABC-1': '07:00',
      'ABC-2': '07:30',
      'ABC-3': '13:15',
      'ABC-4': '16:00',
      'ABC-5': '09:00',
    });
    expect(result.omitted.examples).toEqual([{ issueKey: 'ABC-6', reason: 'invalid:customfield_10040' }]);
  });

  it('ends at a fixed wall time and omits a fixed end before the start', () => {
    const cfg = rule({
      startTime: '09:00',
      startTimeField: 'customfield_10040',
      end: { type: 'fixedEndTime', time: '17:30' },
    });
    const result = build(cfg, [
      issue(10001, { duedate: '2024-07-01' }),
      issue(10002, { duedate: '2024-07-01', customfield_10040: '18:00' }),
    ]);
    expect(span(only(result.events))).toEqual(['2024-07-01T07:00:00.000Z', '2024-07-01T15:30:00.000Z']);
    expect(result.omitted.byReason).toEqual({ 'end-before-start': 1 });
  });
});

describe('range rule', () => {
  const cfg = config({
    rules: [{ id: 'span', kind: 'range', startField: 'customfield_10015', endField: 'duedate' }],
  });

  it.each([
    ['2024-01-30', '2024-02-02', '2024-02-03'],
    ['2024-02-28', '2024-02-29', '2024-03-01'],
    ['2023-02-27', '2023-02-28', '2023-03-01'],
    ['2024-12-30', '2024-12-31', '2025-01-01'],
    ['2024-04-30', '2024-04-30', '2024-05-01'],
  ])(
    'turns date fields %s..%s into an all-day range ending %s (exclusive)',
    (startDate, endDate, exclusiveEnd) => {
      const event = only(
        build(cfg, [issue(10001, { customfield_10015: startDate, duedate: endDate })]).events,
      );
      expect(event.allDay).toBe(true);
      expect(span(event)).toEqual([startDate, exclusiveEnd]);
    },
  );

  it('turns datetime fields into a timed event and omits zero-length ones', () => {
    const timed = config({
      rules: [{ id: 'span', kind: 'range', startField: 'created', endField: 'resolutiondate' }],
    });
    const result = build(timed, [
      issue(10001, {
        created: '2024-05-31T23:00:00.000-0100',
        resolutiondate: '2024-06-01T05:00:00.000+0200',
      }),
      issue(10002, {
        created: '2024-05-31T23:00:00.000-0100',
        resolutiondate: '2024-06-01T02:00:00.000+0200',
      }),
    ]);
    expect(span(only(result.events))).toEqual(['2024-06-01T00:00:00.000Z', '2024-06-01T03:00:00.000Z']);
    expect(result.omitted.byReason).toEqual({ 'zero-length': 1 });
  });

  it('treats a date paired with a datetime as dates in the feed zone', () => {
    const mixed = config({
      timeZone: 'Pacific/Kiritimati',
      rules: [{ id: 'span', kind: 'range', startField: 'created', endField: 'duedate' }],
    });
    const event = only(
      build(mixed, [issue(10001, { created: '2024-05-31T12:00:00.000Z', duedate: '2024-06-03' })]).events,
    );
    expect(span(event)).toEqual(['2024-06-01', '2024-06-04']);
  });

  it('omits ranges whose end is before the start or missing, with a reason each', () => {
    const result = build(cfg, [
      issue(10001, { customfield_10015: '2024-06-10', duedate: '2024-06-09' }),
      issue(10002, { customfield_10015: null, duedate: '2024-06-09' }),
      issue(10003, { customfield_10015: '2024-06-10', duedate: 'soon' }),
    ]);
    expect(result.events).toHaveLength(0);
    expect(result.omitted.byReason).toEqual({
      'end-before-start': 1,
      'empty:customfield_10015': 1,
      'invalid:duedate': 1,
    });
  });
});

describe('sprint rule', () => {
  const cfg = config({ rules: [{ id: 'sprints', kind: 'sprint' }] });
  const sprint5 = {
    id: 5,
    name: 'Sprint 5',
    state: 'active',
    boardId: 7,
    goal: 'Ship it',
    startDate: '2024-06-10T08:00:00.000Z',
    endDate: '2024-06-24T08:00:00.000Z',
  };

  it('builds one event per sprint from all the issues that carry it', () => {
    const result = build(cfg, [
      issue(10001, { customfield_10020: [sprint5], updated: '2024-06-11T10:00:00.000+0000' }),
      issue(10002, {
        customfield_10020: [sprint5],
        project: { id: '200', key: 'XYZ' },
        updated: '2024-06-12T10:00:00.000+0000',
      }),
      issue(10003, { customfield_10020: null }),
    ]);
    expect(result.omitted.count).toBe(0);
    expect(only(result.events)).toMatchObject({
      uid: 'sprint-5-sprints@cal.example.com',
      kind: 'sprint',
      issueId: null,
      issueKey: null,
      projectIds: ['100', '200'],
      allDay: false,
      start: '2024-06-10T08:00:00.000Z',
      end: '2024-06-24T08:00:00.000Z',
      summary: 'Sprint 5',
      description: 'Ship it',
      url: 'https://acme.atlassian.net/secure/RapidBoard.jspa?rapidView=7',
      stamp: '2024-06-12T10:00:00.000Z',
      resolved: false,
    });
  });

  it('ends a closed sprint when it was completed and counts sprints without dates', () => {
    const closedEarly = { ...sprint5, id: 4, state: 'closed', completeDate: '2024-06-20T16:00:00.000Z' };
    const future = { id: 6, name: 'Sprint 6', state: 'future', boardId: 7 };
    const result = build(cfg, [issue(10001, { customfield_10020: [closedEarly, future] })]);
    expect(span(only(result.events))).toEqual(['2024-06-10T08:00:00.000Z', '2024-06-20T16:00:00.000Z']);
    expect(only(result.events).resolved).toBe(true);
    expect(result.omitted).toEqual({
      count: 1,
      byReason: { 'empty:sprint-dates': 1 },
      examples: [{ issueKey: 'ABC-1', reason: 'empty:sprint-dates' }],
    });
  });

  it('stamps sprint events with the latest update of their issues, at SEQUENCE 0 before revisions', () => {
    const event = only(
      build(cfg, [
        issue(10001, { customfield_10020: [sprint5], updated: '2024-06-12T10:00:00.000Z' }),
        issue(10002, { customfield_10020: [sprint5], updated: '2024-06-12T10:00:05.000Z' }),
      ]).events,
    );
    expect([event.stamp, event.sequence]).toEqual(['2024-06-12T10:00:05.000Z', 0]);
  });
});

describe('version rule', () => {
  const v1 = {
    id: '300',
    name: '1.0',
    released: false,
    releaseDate: '2024-07-01',
    startDate: '2024-06-01',
    description: 'First',
  };

  it('builds an all-day event on the release date, once per version', () => {
    const cfg = config({ rules: [{ id: 'rel', kind: 'version' }] });
    const result = build(cfg, [issue(10001, { fixVersions: [v1] }), issue(10002, { fixVersions: [v1] })]);
    expect(only(result.events)).toMatchObject({
      uid: 'version-300-rel@cal.example.com',
      kind: 'version',
      allDay: true,
      start: '2024-07-01',
      end: '2024-07-02',
      summary: 'ABC 1.0',
      description: 'First',
      url: 'https://acme.atlassian.net/projects/ABC/versions/300',
      projectIds: ['100'],
    });
  });

  it('spans startDate..releaseDate when asked, and counts versions without release dates', () => {
    const cfg = config({ rules: [{ id: 'rel', kind: 'version', useStartDate: true }] });
    const unscheduled = { id: '301', name: '2.0', released: false };
    const released = { ...v1, id: '302', name: '0.9', released: true, startDate: undefined };
    const result = build(cfg, [issue(10001, { fixVersions: [v1, unscheduled, released] })]);
    expect(result.events.map((event) => [event.uid, event.start, event.end, event.resolved])).toEqual([
      ['version-300-rel@cal.example.com', '2024-06-01', '2024-07-02', false],
      ['version-302-rel@cal.example.com', '2024-07-01', '2024-07-02', true],
    ]);
    expect(result.omitted.byReason).toEqual({ 'empty:releaseDate': 1 });
  });
});

describe('window', () => {
  const cfg = (window: Record<string, unknown>, content: Record<string, unknown> = {}) =>
    config({ window, content, rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }] });
  const resolved = { resolution: { name: 'Done' } };

  it('drops events that ended before now - pastDays or start after now + futureDays', () => {
    const result = build(cfg({ pastDays: 10, futureDays: 20, keepUnresolvedOverdue: false }), [
      issue(10001, { duedate: '2024-06-04' }),
      issue(10002, { duedate: '2024-06-05' }),
      issue(10003, { duedate: '2024-07-05' }),
      issue(10004, { duedate: '2024-07-06' }),
    ]);
    expect(result.events.map((event) => event.issueKey)).toEqual(['ABC-2', 'ABC-3']);
    expect(result.filtered).toEqual({ outsideWindow: 2, resolvedHidden: 0 });
    expect(result.omitted.count).toBe(0);
  });

  it('keeps unresolved overdue items when keepUnresolvedOverdue is on', () => {
    const result = build(cfg({ pastDays: 10, futureDays: 20, keepUnresolvedOverdue: true }), [
      issue(10001, { duedate: '2020-01-01' }),
      issue(10002, { duedate: '2020-01-01', ...resolved }),
    ]);
    expect(result.events.map((event) => event.issueKey)).toEqual(['ABC-1']);
  });

  it('hides or marks resolved issues', () => {
    const issues = [
      issue(10001, { duedate: '2024-06-20', ...resolved }),
      issue(10002, { duedate: '2024-06-21' }),
    ];
    const hidden = build(cfg({}, { resolved: 'hide' }), issues);
    expect(hidden.events.map((event) => event.issueKey)).toEqual(['ABC-2']);
    expect(hidden.filtered.resolvedHidden).toBe(1);
    const marked = build(cfg({}, { resolved: 'mark' }), issues).events;
    expect(marked.map((event) => [event.summary, event.resolved])).toEqual([
      ['✓ ABC-1: Issue 10001', true],
      ['ABC-2: Issue 10002', false],
    ]);
    expect(build(cfg({}, { resolved: 'show' }), issues).events[0]?.summary).toBe('ABC-1: Issue 10001');
  });
});

describe('event details', () => {
  const due = { rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }] };

  it('sorts by start then uid whatever the input order, and drops repeated issues', () => {
    const cfg = config({ rules: [...due.rules, { id: 'made', kind: 'allDay', field: 'created' }] });
    const issues = [
      issue(10003, { duedate: '2024-06-01' }),
      issue(10001, { duedate: '2024-06-03' }),
      issue(10002, { duedate: '2024-06-01' }),
      issue(10002, { duedate: '2024-06-02', updated: '2024-05-01T10:00:00.000+0000' }),
    ];
    const forward = build(cfg, issues).events;
    const backward = build(cfg, [...issues].reverse()).events;
    expect(backward).toEqual(forward);
    expect(forward.map((event) => event.uid)).toEqual([
      '10001-made@cal.example.com',
      '10002-made@cal.example.com',
      '10003-made@cal.example.com',
      '10002-due@cal.example.com',
      '10003-due@cal.example.com',
      '10001-due@cal.example.com',
    ]);
  });

  it('collects account ids from the divideByUserFields', () => {
    const cfg = config({ ...due, access: { divideByUserFields: ['assignee', 'customfield_10070'] } });
    const event = only(
      build(cfg, [
        issue(10001, {
          duedate: '2024-06-20',
          assignee: { accountId: 'u-2', displayName: 'B' },
          customfield_10070: [{ accountId: 'u-1' }, { accountId: 'u-2' }, { displayName: 'no id' }],
        }),
      ]).events,
    );
    expect(event.userAccountIds).toEqual(['u-1', 'u-2']);
  });

  it('cleans summaries: CRLF injection, control characters, very long and non-ASCII text', () => {
    const cfg = config({
      ...due,
      content: { summaryTemplate: '{summary}', descriptionTemplate: '{field:customfield_1}' },
    });
    const event = only(
      build(cfg, [
        issue(10001, {
          duedate: '2024-06-20',
          summary: `Größe 日本語 ${'ж'.repeat(400)}\r\nEND:VEVENT\r\nBEGIN:VEVENT\u0000`,
          customfield_1: 'a\r\nb\u0007c',
        }),
      ]).events,
    );
    expect(Array.from(event.summary)).toHaveLength(255);
    expect(event.summary).toMatch(/^Größe 日本語 ж+…$/);
    expect(event.description).toBe('a\nbc');
  });

  it('falls back to the issue key when the summary template renders empty', () => {
    const cfg = config({ ...due, content: { summaryTemplate: '{field:customfield_1}' } });
    expect(only(build(cfg, [issue(10001, { duedate: '2024-06-20' })]).events).summary).toBe('ABC-1');
  });
});

describe('buildFeedEventsSliced', () => {
  it('builds what buildFeedEvents builds, letting the event loop run between issues when the pause asks', async () => {
    const cfg = config({ rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }] });
    const issues = [30, 10, 20].map((day) => issue(10000 + day, { duedate: `2024-06-${day}` }));
    const { pause, turns, otherWorkRan } = yieldingPause();
    const sliced = await buildFeedEventsSliced(cfg, issues, ctx, pause);
    // Without a turn of the event loop, the build would finish before the callback queued ahead of it.
    expect(otherWorkRan()).toBe(true);
    expect(turns()).toBe(issues.length);
    expect(sliced).toEqual(build(cfg, issues));
    expect(await buildFeedEventsSliced(cfg, issues, ctx, neverPause)).toEqual(sliced);
  });
});
