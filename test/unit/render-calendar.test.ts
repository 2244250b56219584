import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fitCalendar } from '../../src/calendar/fit-calendar.js';
import { RenderedEvents, renderCalendar, renderCalendarSliced } from '../../src/calendar/render-calendar.js';
import { buildFeedEvents } from '../../src/domain/event-rules.js';
import { yieldingPause } from '../support/pauses.js';
import { parseFeedConfig } from '../../src/domain/feed-config.js';
import { neverPause } from '../../src/domain/pause.js';
import { budgetNote } from '../../src/domain/size-budget.js';
import type { FeedEvent } from '../../src/domain/feed-event.js';
import { checkIcs, readIcsEvents } from '../support/ics-check.js';

const meta = { name: 'Team deadlines', refreshIntervalMinutes: 60 };

function event(overrides: Partial<FeedEvent> = {}): FeedEvent {
  return {
    uid: '10001-due@cal.example.com',
    kind: 'issue',
    ruleId: 'due',
    issueId: '10001',
    issueKey: 'ABC-1',
    projectIds: ['100'],
    allDay: true,
    start: '2024-05-31',
    end: '2024-06-01',
    summary: 'ABC-1: Ship it',
    description: 'In Progress · Ada',
    url: 'https://acme.atlassian.net/browse/ABC-1',
    categories: ['Jira'],
    transparent: true,
    alarmMinutesBefore: null,
    resolved: false,
    stamp: '2024-05-02T08:00:00.000Z',
    sequence: 79200,
    userAccountIds: [],
    ...overrides,
  };
}

function render(events: FeedEvent[], calendarMeta: Parameters<typeof renderCalendar>[0] = meta): string {
  const text = renderCalendar(calendarMeta, events);
  expect(checkIcs(text)).toEqual([]);
  expect(checkIcs(Buffer.from(text, 'utf8'))).toEqual([]);
  return text;
}

function unfoldedLines(text: string): string[] {
  return text.replace(/\r\n[ \t]/g, '').split('\r\n');
}

function vevents(text: string): string[][] {
  return text
    .replace(/\r\n[ \t]/g, '')
    .split('BEGIN:VEVENT\r\n')
    .slice(1)
    .map((block) => block.split('END:VEVENT')[0]!.split('\r\n').filter(Boolean));
}

/** A feed exercising every rule kind, built and rendered the way a sync does; also run in child processes. */
const PIPELINE_INPUT = {
  config: {
    name: 'Pipeline',
    source: { type: 'jql', jql: 'project = ABC' },
    timeZone: 'Europe/Berlin',
    window: { pastDays: 3650, futureDays: 3650 },
    rules: [
      { id: 'due', kind: 'allDay', field: 'duedate' },
      { id: 'made', kind: 'allDay', field: 'created' },
      { id: 'start', kind: 'timed', field: 'customfield_10015', end: { type: 'duration', minutes: 45 } },
      {
        id: 'call',
        kind: 'dateWithTime',
        field: 'duedate',
        startTime: '02:30',
        timeZone: 'America/New_York',
      },
      { id: 'span', kind: 'range', startField: 'customfield_10016', endField: 'duedate' },
      { id: 'sprints', kind: 'sprint' },
      { id: 'rel', kind: 'version', useStartDate: true },
    ],
    content: {
      summaryTemplate: '{key}: {summary} [{field:customfield_10050}]',
      descriptionTemplate: '{status} · {assignee}\n{url}',
      categories: ['Jira', 'Team, A; B'],
      alarmMinutesBefore: 30,
    },
  },
  issues: [
    {
      id: '10001',
      key: 'ABC-1',
      fields: {
        summary: 'Größe, Maß; Weg\\Ziel — 日本語 🎉',
        status: { name: 'In Progress' },
        assignee: { accountId: 'u1', displayName: 'Zoë' },
        project: { id: '100', key: 'ABC' },
        created: '2024-03-30T23:30:00.000-0100',
        updated: '2024-03-31T09:00:00.000+0200',
        duedate: '2024-03-10',
        resolution: null,
        customfield_10015: '2024-03-31T02:30:00.000+0100',
        customfield_10016: '2024-02-27',
        customfield_10050: [{ value: 'Red' }, { value: 'Blue' }],
        customfield_10020: [
          {
            id: 9,
            name: 'Sprint 9',
            state: 'closed',
            boardId: 3,
            startDate: '2024-03-04T08:00:00.000Z',
            endDate: '2024-03-18T08:00:00.000Z',
            completeDate: '2024-03-15T16:00:00.000Z',
          },
        ],
        fixVersions: [
          { id: '300', name: '1.0', released: false, startDate: '2024-03-01', releaseDate: '2024-03-31' },
        ],
      },
    },
    {
      id: '10002',
      key: 'ABC-2',
      fields: {
        summary: `Line one\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil ${'Ω'.repeat(120)}`,
        status: { name: 'Done' },
        assignee: null,
        project: { id: '100', key: 'ABC' },
        created: '2024-11-02T22:00:00.000-1000',
        updated: '2024-11-03T06:00:00.000+0000',
        duedate: '2024-11-03',
        resolution: { name: 'Done' },
        customfield_10016: '2024-10-30',
      },
    },
  ],
};

function pipeline(input: typeof PIPELINE_INPUT): string {
  const parsed = parseFeedConfig(input.config);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.fields));
  const { events } = buildFeedEvents(parsed.config, input.issues, {
    jiraBaseUrl: 'https://acme.atlassian.net',
    uidDomain: 'cal.example.com',
    now: new Date('2024-06-15T12:00:00.000Z'),
  });
  return renderCalendar(
    { name: parsed.config.name, refreshIntervalMinutes: parsed.config.syncIntervalMinutes },
    events,
  );
}

const CHILD_SCRIPT = `
const input = JSON.parse(await new Promise((resolve) => { let data = ''; process.stdin.on('data', (c) => (data += c)); process.stdin.on('end', () => resolve(data)); }));
const { parseFeedConfig } = await import(${JSON.stringify(new URL('../../src/domain/feed-config.ts', import.meta.url).href)});
const { buildFeedEvents } = await import(${JSON.stringify(new URL('../../src/domain/event-rules.ts', import.meta.url).href)});
const { renderCalendar } = await import(${JSON.stringify(new URL('../../src/calendar/render-calendar.ts', import.meta.url).href)});
const parsed = parseFeedConfig(input.config);
const { events } = buildFeedEvents(parsed.config, input.issues, { jiraBaseUrl: 'https://acme.atlassian.net', uidDomain: 'cal.example.com', now: new Date('2024-06-15T12:00:00.000Z') });
process.stdout.write(JSON.stringify({ offset: new Date(2024, 0, 1).getTimezoneOffset(), ics: renderCalendar({ name: parsed.config.name, refreshIntervalMinutes: parsed.config.syncIntervalMinutes }, events) }));
`;

describe('renderCalendar: calendar properties', () => {
  it('writes VERSION, PRODID, escaped names and refresh hints, and nothing that invites scheduling', () => {
    const text = render([event()], {
      name: 'Team\nfeed; A, B\\C',
      refreshIntervalMinutes: 90,
      description: 'Due, dates',
    });
    const lines = unfoldedLines(text);
    expect(lines.slice(0, 9)).toEqual([
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Calendar Sync//Jira feeds//EN',
      'NAME:Team\\nfeed\\; A\\, B\\\\C',
      'X-WR-CALNAME:Team\\nfeed\\; A\\, B\\\\C',
      'X-WR-CALDESC:Due\\, dates',
      'REFRESH-INTERVAL;VALUE=DURATION:PT1H30M',
      'X-PUBLISHED-TTL:PT1H30M',
      'BEGIN:VEVENT',
    ]);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text).not.toMatch(/^(METHOD|ORGANIZER|ATTENDEE|X-WR-TIMEZONE|TIMEZONE-ID|BEGIN:VTIMEZONE)/m);
    expect(readIcsEvents(text).calendar['X-WR-CALNAME']).toBe('Team\nfeed; A, B\\C');
  });

  it('accepts a custom PRODID and a daily interval', () => {
    const text = render([], { name: 'x', prodId: '-//Acme//Other//DE', refreshIntervalMinutes: 1440 });
    expect(unfoldedLines(text)).toContain('PRODID:-//Acme//Other//DE');
    expect(unfoldedLines(text)).toContain('REFRESH-INTERVAL;VALUE=DURATION:P1D');
    expect(unfoldedLines(text)).toContain('X-PUBLISHED-TTL:P1D');
  });
});

describe('renderCalendar: events', () => {
  it('writes an all-day event with an exclusive DATE end, stamps from the issue and a display alarm', () => {
    const [lines] = vevents(render([event({ alarmMinutesBefore: 30 })]));
    expect(lines).toEqual([
      'UID:10001-due@cal.example.com',
      'SEQUENCE:79200',
      'DTSTAMP:20240502T080000Z',
      'DTSTART;VALUE=DATE:20240531',
      'DTEND;VALUE=DATE:20240601',
      'X-MICROSOFT-CDO-ALLDAYEVENT:TRUE',
      'X-MICROSOFT-MSNCALENDAR-ALLDAYEVENT:TRUE',
      'SUMMARY:ABC-1: Ship it',
      'TRANSP:TRANSPARENT',
      'DESCRIPTION:In Progress · Ada',
      'BEGIN:VALARM',
      'ACTION:DISPLAY',
      'TRIGGER:-PT30M',
      'DESCRIPTION:ABC-1: Ship it',
      'END:VALARM',
      'CATEGORIES:Jira',
      'URL;VALUE=URI:https://acme.atlassian.net/browse/ABC-1',
      'LAST-MODIFIED:20240502T080000Z',
    ]);
  });

  it('writes timed events in UTC with OPAQUE transparency and no alarm when none is set', () => {
    const text = render([
      event({
        allDay: false,
        start: '2024-03-31T01:30:00.000Z',
        end: '2024-03-31T02:15:00.000Z',
        transparent: false,
        categories: [],
        description: '',
      }),
    ]);
    const lines = vevents(text)[0]!;
    expect(lines).toContain('DTSTART:20240331T013000Z');
    expect(lines).toContain('DTEND:20240331T021500Z');
    expect(lines).toContain('TRANSP:OPAQUE');
    expect(lines.some((line) => /^(BEGIN:VALARM|CATEGORIES|DESCRIPTION)/.test(line))).toBe(false);
  });

  it('writes an alarm at the start as a zero trigger', () => {
    const [lines] = vevents(render([event({ alarmMinutesBefore: 0 })]));
    expect(lines).toContain('TRIGGER:PT0S');
    expect(readIcsEvents(render([event({ alarmMinutesBefore: 2880 })])).events[0]?.alarmTriggers).toEqual([
      '-P2D',
    ]);
  });

  it('escapes TEXT values and lets ical.js read them back unchanged', () => {
    const summary = 'a,b;c\\d\ne "quoted" Größe 日本語 🎉';
    const description = 'line 1\nline 2, with; specials\\';
    const text = render([event({ summary, description, categories: ['A, B', 'C;D', 'E\\F'] })]);
    const [lines] = vevents(text);
    expect(lines).toContain('SUMMARY:a\\,b\\;c\\\\d\\ne "quoted" Größe 日本語 🎉');
    expect(lines).toContain('CATEGORIES:A\\, B,C\\;D,E\\\\F');
    const [read] = readIcsEvents(text).events;
    expect(read).toMatchObject({ summary, description, categories: ['A, B', 'C;D', 'E\\F'] });
  });

  it('keeps CRLF injection inside the value in every text field', () => {
    const injection = 'x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nMETHOD:REQUEST\rY\u0000';
    const text = render([event({ summary: injection, description: injection, categories: [injection] })], {
      name: injection,
      description: injection,
      refreshIntervalMinutes: 60,
    });
    expect(text.match(/^BEGIN:VEVENT\r$/gm)).toHaveLength(1);
    expect(text).not.toMatch(/^(UID:evil|METHOD)/m);
    const { events } = readIcsEvents(text);
    expect(events).toHaveLength(1);
    expect(events[0]?.summary).toBe('x\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil\nMETHOD:REQUEST\nY');
  });

  it('percent-encodes URLs instead of backslash-escaping them and drops non-web URLs', () => {
    const url = (value: string) => readIcsEvents(render([event({ url: value })])).events[0]?.url ?? null;
    expect(url('https://acme.atlassian.net/browse/ABC-1?a=1,2;3 x&q=ü')).toBe(
      'https://acme.atlassian.net/browse/ABC-1?a=1%2C2%3B3%20x&q=%C3%BC',
    );
    expect(url('https://acme.atlassian.net/browse/ABC-1\r\nMETHOD:REQUEST')).toBe(
      'https://acme.atlassian.net/browse/ABC-1METHOD:REQUEST',
    );
    expect(url('javascript:alert(1)')).toBeNull();
    expect(url('not a url')).toBeNull();
  });

  it('folds long lines at 75 octets without splitting UTF-8 characters', () => {
    const summary = `${'日本語🎉Ω'.repeat(60)}x`;
    const text = render([event({ summary, description: 'é'.repeat(500) })]);
    for (const line of text.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(text.split('\r\n').filter((line) => line.startsWith(' ')).length).toBeGreaterThan(10);
    expect(readIcsEvents(text).events[0]).toMatchObject({ summary, description: 'é'.repeat(500) });
  });

  it('renders an empty feed as a valid calendar', () => {
    const text = render([]);
    expect(readIcsEvents(text).events).toEqual([]);
  });

  it('renders 5,000 events into a valid feed with unique UIDs', () => {
    const events = Array.from({ length: 5000 }, (_, index) =>
      event({
        uid: `${20000 + index}-due@cal.example.com`,
        summary: `ABC-${index}: Task ${index}, part; ${index % 7}`,
        allDay: index % 2 === 0,
        start: index % 2 === 0 ? '2024-06-01' : '2024-06-01T10:00:00.000Z',
        end: index % 2 === 0 ? '2024-06-03' : '2024-06-01T11:00:00.000Z',
      }),
    );
    const text = render(events);
    expect(readIcsEvents(text).events).toHaveLength(5000);
  });
});

describe('events rendered once', () => {
  const pipelineEvents = () => {
    const parsed = parseFeedConfig(PIPELINE_INPUT.config);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.fields));
    return buildFeedEvents(parsed.config, PIPELINE_INPUT.issues, {
      jiraBaseUrl: 'https://acme.atlassian.net',
      uidDomain: 'cal.example.com',
      now: new Date('2024-06-15T12:00:00.000Z'),
    }).events;
  };
  const meta = { name: 'Joined; feed', refreshIntervalMinutes: 60 };

  it('join any of them, in any order, into the bytes of a calendar of just those', () => {
    const events = pipelineEvents();
    expect(events.length).toBeGreaterThan(3);
    const rendered = RenderedEvents.of(events);
    const picked = [3, 0, 1];
    expect(rendered.join(meta, picked)).toBe(
      renderCalendar(
        meta,
        picked.map((index) => events[index]!),
      ),
    );
    expect(rendered.join({ ...meta, description: 'A note' })).toBe(
      renderCalendar({ ...meta, description: 'A note' }, events),
    );
    expect(rendered.bytes.reduce((sum, bytes) => sum + bytes, 0)).toBe(
      Buffer.byteLength(renderCalendar(meta, events)) - Buffer.byteLength(renderCalendar(meta, [])),
    );
  });

  it('fit a budget with the text of the kept events and the note, within the budget', async () => {
    const events = pipelineEvents();
    const whole = Buffer.byteLength(renderCalendar(meta, events));
    const maxBytes = whole - 400;
    const fit = await fitCalendar(meta, events, new Date('2024-06-15T12:00:00.000Z'), {
      maxBytes,
      note: true,
    });
    expect(fit.dropped.length).toBeGreaterThan(0);
    expect(fit.text).toBe(
      renderCalendar({ ...meta, description: budgetNote(fit.dropped.length)! }, fit.kept),
    );
    expect(Buffer.byteLength(fit.text)).toBeLessThanOrEqual(maxBytes);
    const unlimited = await fitCalendar(meta, events, new Date(), { maxBytes: null, note: true });
    expect(unlimited.text).toBe(renderCalendar(meta, events));
  });

  it('renders in slices that let the event loop run, to the same bytes', async () => {
    const events = pipelineEvents();
    const { pause, turns, otherWorkRan } = yieldingPause();
    const rendered = await RenderedEvents.sliced(events, pause);
    // Without a turn of the event loop, the render would finish before the callback queued ahead of it.
    expect(otherWorkRan()).toBe(true);
    expect(turns()).toBe(events.length);
    expect(rendered.join(meta)).toBe(renderCalendar(meta, events));
    expect(await renderCalendarSliced(meta, events, neverPause)).toBe(renderCalendar(meta, events));
  });
});

describe('renderCalendar: determinism', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives identical bytes for identical input, whatever the clock says', () => {
    const input = [
      event(),
      event({
        uid: 'b@cal.example.com',
        allDay: false,
        start: '2024-06-01T10:00:00.000Z',
        end: '2024-06-01T11:00:00.000Z',
      }),
    ];
    const first = render(input);
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2031-01-01T00:00:00.000Z'));
    expect(renderCalendar(meta, input)).toBe(first);
  });

  it('renders the full pipeline to valid ICS that ical.js reads as intended', () => {
    const text = pipeline(PIPELINE_INPUT);
    expect(checkIcs(text)).toEqual([]);
    const byUid = Object.fromEntries(readIcsEvents(text).events.map((item) => [item.uid, item]));
    expect(byUid['10001-due@cal.example.com']).toMatchObject({
      start: '20240310',
      end: '20240311',
      allDay: true,
    });
    // created 2024-03-30T23:30-01:00 is 2024-03-31 00:30 UTC = 01:30 in Berlin.
    expect(byUid['10001-made@cal.example.com']).toMatchObject({ start: '20240331', end: '20240401' });
    expect(byUid['10001-start@cal.example.com']).toMatchObject({
      start: '20240331T013000Z',
      end: '20240331T021500Z',
    });
    // 02:30 does not exist in New York on 2024-03-10: the event starts at 03:30 EDT.
    expect(byUid['10001-call@cal.example.com']).toMatchObject({
      start: '20240310T073000Z',
      end: '20240310T083000Z',
    });
    expect(byUid['10001-span@cal.example.com']).toMatchObject({ start: '20240227', end: '20240311' });
    expect(byUid['sprint-9-sprints@cal.example.com']).toMatchObject({
      start: '20240304T080000Z',
      end: '20240315T160000Z',
    });
    expect(byUid['version-300-rel@cal.example.com']).toMatchObject({ start: '20240301', end: '20240401' });
    expect(byUid['10001-due@cal.example.com']?.summary).toBe(
      'ABC-1: Größe, Maß; Weg\\Ziel — 日本語 🎉 [Red, Blue]',
    );
    expect(byUid['10001-due@cal.example.com']?.categories).toEqual(['Jira', 'Team, A; B']);
    expect(byUid['10002-due@cal.example.com']?.summary).toBe(
      `ABC-2: Line one END:VEVENT BEGIN:VEVENT UID:evil ${'Ω'.repeat(120)} []`,
    );
    expect(Object.keys(byUid)).toHaveLength(11);
  });

  it('gives identical bytes under TZ=UTC, Pacific/Kiritimati and America/Adak', () => {
    const expected = pipeline(PIPELINE_INPUT);
    const offsets = new Set<number>();
    for (const zone of ['UTC', 'Pacific/Kiritimati', 'America/Adak']) {
      const output = execFileSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', CHILD_SCRIPT],
        {
          input: JSON.stringify(PIPELINE_INPUT),
          env: { ...process.env, TZ: zone },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      const { offset, ics } = JSON.parse(output) as { offset: number; ics: string };
      offsets.add(offset);
      expect(ics).toBe(expected);
    }
    // The children really ran in different zones.
    expect(offsets).toEqual(new Set([0, -840, 600]));
  });
});
