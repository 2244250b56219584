import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CalendarMeta, renderCalendar } from '../../src/calendar/render-calendar.js';
import { buildFeedEvents, type JiraIssueLike } from '../../src/domain/event-rules.js';
import { parseFeedConfig } from '../../src/domain/feed-config.js';
import { type FeedEvent, MAX_SEQUENCE } from '../../src/domain/feed-event.js';
import { buildContext, jiraIssue } from '../support/factories.js';
import { anyHostileString, hostileText, hugeText, INJECTED_PROPERTY_NAMES } from '../support/hostile.js';
import { checkIcs, readIcsEvents } from '../support/ics-check.js';

const RUNS = 100;

/** Every property name the renderer may write; anything else in a feed was smuggled in by data. */
const ALLOWED_PROPERTIES = new Set([
  'BEGIN',
  'END',
  'VERSION',
  'PRODID',
  'NAME',
  'X-WR-CALNAME',
  'X-WR-CALDESC',
  'REFRESH-INTERVAL',
  'X-PUBLISHED-TTL',
  'UID',
  'SEQUENCE',
  'DTSTAMP',
  'DTSTART',
  'DTEND',
  'X-MICROSOFT-CDO-ALLDAYEVENT',
  'X-MICROSOFT-MSNCALENDAR-ALLDAYEVENT',
  'SUMMARY',
  'TRANSP',
  'DESCRIPTION',
  'ACTION',
  'TRIGGER',
  'CATEGORIES',
  'URL',
  'LAST-MODIFIED',
]);

const DAY_MS = 86_400_000;
const instantMs = fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2199, 0, 1) });
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const url = fc.oneof(
  fc.constant(null),
  fc.constant('https://acme.atlassian.net/browse/ABC-1'),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  hostileText().map((text) => `https://acme.atlassian.net/browse/${text}`),
  anyHostileString,
);

const eventWithoutUid = fc
  .record({
    allDay: fc.boolean(),
    startMs: instantMs,
    lengthMinutes: fc.integer({ min: 1, max: 60 * 24 * 40 }),
    summary: anyHostileString,
    description: anyHostileString,
    url,
    categories: fc.array(hostileText({ maxFragments: 4 }), { maxLength: 4 }),
    transparent: fc.boolean(),
    alarmMinutesBefore: fc.option(fc.integer({ min: 0, max: 40_320 }), { nil: null }),
    stampMs: instantMs,
    sequence: fc.integer({ min: 0, max: MAX_SEQUENCE }),
  })
  .map((e): Omit<FeedEvent, 'uid'> => {
    const startDay = Math.floor(e.startMs / DAY_MS) * DAY_MS;
    return {
      kind: 'issue',
      ruleId: 'due',
      issueId: '10001',
      issueKey: 'ABC-1',
      projectIds: ['100'],
      allDay: e.allDay,
      start: e.allDay ? isoDate(startDay) : new Date(e.startMs).toISOString(),
      end: e.allDay
        ? isoDate(startDay + Math.max(1, Math.ceil(e.lengthMinutes / 1440)) * DAY_MS)
        : new Date(e.startMs + e.lengthMinutes * 60_000).toISOString(),
      summary: e.summary,
      description: e.description,
      url: e.url,
      categories: e.categories,
      transparent: e.transparent,
      alarmMinutesBefore: e.alarmMinutesBefore,
      resolved: false,
      stamp: new Date(e.stampMs).toISOString(),
      sequence: e.sequence,
      userAccountIds: [],
    };
  });

const events = (uidPart: fc.Arbitrary<string>) =>
  fc
    .array(fc.tuple(eventWithoutUid, uidPart), { maxLength: 8 })
    .map((list) =>
      list.map(([event, part], index): FeedEvent => ({ ...event, uid: `${index}-${part}@cal.example.com` })),
    );

const meta: fc.Arbitrary<CalendarMeta> = fc.record(
  {
    name: anyHostileString,
    prodId: hostileText(),
    refreshIntervalMinutes: fc.oneof(
      fc.integer({ min: 15, max: 1440 }),
      fc.double({ min: -10, max: 100_000, noNaN: true }),
    ),
    description: anyHostileString,
  },
  { requiredKeys: ['name', 'refreshIntervalMinutes'] },
);

/** Letters and digits only: what must survive escaping, folding and cleaning, neither lost nor moved elsewhere. */
const letters = (text: string | null | undefined) =>
  (text ?? '').toWellFormed().replace(/[^\p{L}\p{N}]/gu, '');

function contentLines(text: string): string[] {
  return text
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter((line) => line !== '');
}

function propertyName(line: string): string {
  return /^[^:;]*/.exec(line)?.[0].toUpperCase() ?? '';
}

/** Everything a rendered feed must satisfy, whatever text went into it. */
function expectSoundFeed(text: string, input: CalendarMeta, list: FeedEvent[]): void {
  expect(checkIcs(text)).toEqual([]);
  const bytes = Buffer.from(text, 'utf8');
  expect(checkIcs(bytes)).toEqual([]);

  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf('\r\n', start);
    expect(end).toBeGreaterThanOrEqual(0);
    expect(end - start).toBeLessThanOrEqual(75);
    start = end + 2;
  }

  const lines = contentLines(text);
  const names = lines.map(propertyName);
  for (const name of names) expect(ALLOWED_PROPERTIES.has(name), `unexpected property ${name}`).toBe(true);
  for (const injected of INJECTED_PROPERTY_NAMES) expect(names).not.toContain(injected);
  expect(lines.filter((line) => line === 'BEGIN:VEVENT')).toHaveLength(list.length);
  expect(lines.filter((line) => line === 'END:VEVENT')).toHaveLength(list.length);
  expect(lines.filter((line) => line === 'BEGIN:VALARM')).toHaveLength(
    list.filter((e) => e.alarmMinutesBefore !== null).length,
  );
  expect(lines.filter((line) => line === 'BEGIN:VCALENDAR')).toHaveLength(1);
  expect(lines.filter((line) => line === 'END:VCALENDAR')).toHaveLength(1);

  const parsed = readIcsEvents(text);
  expect(letters(parsed.calendar['X-WR-CALNAME'])).toBe(letters(input.name));
  expect(parsed.events).toHaveLength(list.length);
  parsed.events.forEach((event, index) => {
    const source = list[index]!;
    expect(letters(event.summary)).toBe(letters(source.summary));
    expect(letters(event.description)).toBe(letters(source.description));
    expect(event.categories.map(letters).join('')).toBe(source.categories.map(letters).join(''));
    expect(event.uid.startsWith(`${index}-`)).toBe(true);
    expect(event.sequence).toBe(source.sequence);
  });
}

describe('renderCalendar under hostile text (property)', () => {
  it(`writes a sound feed, one VEVENT per event and nothing injected (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(meta, events(fc.constant('due')), (calendarMeta, list) => {
        expectSoundFeed(renderCalendar(calendarMeta, list), calendarMeta, list);
      }),
      { numRuns: RUNS },
    );
  });

  it(`gives identical bytes for identical input (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(meta, events(fc.constant('due')), (calendarMeta, list) => {
        const first = renderCalendar(calendarMeta, list);
        expect(renderCalendar(structuredClone(calendarMeta), structuredClone(list))).toBe(first);
        expect(renderCalendar(calendarMeta, list)).toBe(first);
      }),
      { numRuns: RUNS },
    );
  });

  // Issue ids reach UIDs unchecked from Jira's JSON; a malformed answer must not break the file either.
  it(`keeps hostile UIDs on their own line (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(meta, events(hostileText()), (calendarMeta, list) => {
        expectSoundFeed(renderCalendar(calendarMeta, list), calendarMeta, list);
      }),
      { numRuns: RUNS },
    );
  });

  it('folds a half-megabyte summary of multi-byte characters without splitting one', () => {
    const summary = '👩‍👩‍👧‍👦é\u202Eש'.repeat(15_000);
    const list: FeedEvent[] = [
      {
        uid: '0-due@cal.example.com',
        kind: 'issue',
        ruleId: 'due',
        issueId: '1',
        issueKey: 'ABC-1',
        projectIds: [],
        allDay: true,
        start: '2024-05-31',
        end: '2024-06-01',
        summary,
        description: summary,
        url: null,
        categories: [],
        transparent: true,
        alarmMinutesBefore: null,
        resolved: false,
        stamp: '2024-05-02T08:00:00.000Z',
        sequence: 1,
        userAccountIds: [],
      },
    ];
    const calendarMeta = { name: summary, refreshIntervalMinutes: 60 };
    expect(Buffer.byteLength(summary)).toBeGreaterThan(400_000);
    expectSoundFeed(renderCalendar(calendarMeta, list), calendarMeta, list);
  });
});

const PIPELINE_CONFIG = {
  name: 'Hostile pipeline',
  source: { type: 'jql', jql: 'project = ABC' },
  timeZone: 'Europe/Berlin',
  window: { pastDays: 3650, futureDays: 3650 },
  rules: [
    { id: 'due', kind: 'allDay', field: 'duedate' },
    { id: 'start', kind: 'timed', field: 'customfield_10015' },
    { id: 'sprints', kind: 'sprint' },
    { id: 'rel', kind: 'version' },
  ],
  content: {
    summaryTemplate: '{key}: {summary} [{field:customfield_10050}] {assignee}',
    descriptionTemplate: '{status} · {field:description}\n{url}',
    categories: ['Jira'],
    alarmMinutesBefore: 15,
  },
};

const jsonish = fc.oneof(
  anyHostileString,
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ displayName: anyHostileString }),
  fc.record({ value: anyHostileString, child: fc.record({ value: anyHostileString }) }),
  fc.record({
    type: fc.constant('doc'),
    content: fc.array(
      fc.record({ type: fc.constantFrom('paragraph', 'text', 'hardBreak'), text: anyHostileString }),
    ),
  }),
);

const dayString = instantMs.map(isoDate);

const hostileIssue = (index: number) =>
  fc
    .record({
      key: hostileText({ maxFragments: 3 }),
      summary: anyHostileString,
      assignee: jsonish,
      status: jsonish,
      description: jsonish,
      customfield_10050: jsonish,
      duedate: fc.oneof(dayString, jsonish),
      customfield_10015: fc.oneof(
        instantMs.map((ms) => new Date(ms).toISOString()),
        jsonish,
      ),
      sprintName: anyHostileString,
      sprintGoal: anyHostileString,
      versionName: anyHostileString,
      versionDescription: anyHostileString,
      updatedMs: instantMs,
    })
    .map((f): JiraIssueLike => ({
      id: String(10_000 + index),
      key: `ABC-${index}${f.key}`,
      fields: {
        summary: f.summary,
        assignee: f.assignee,
        status: f.status,
        description: f.description,
        customfield_10050: f.customfield_10050,
        duedate: f.duedate,
        customfield_10015: f.customfield_10015,
        customfield_10020: [
          {
            id: 7 + index,
            name: f.sprintName,
            goal: f.sprintGoal,
            state: 'active',
            startDate: '2024-03-04T08:00:00.000Z',
            endDate: '2024-03-18T08:00:00.000Z',
          },
        ],
        fixVersions: [
          {
            id: String(300 + index),
            name: f.versionName,
            description: f.versionDescription,
            released: false,
            releaseDate: '2024-03-31',
          },
        ],
        project: { id: '100', key: 'ABC' },
        created: '2024-01-01T00:00:00.000+0000',
        updated: new Date(f.updatedMs).toISOString().replace('Z', '+0000'),
        resolution: null,
      },
    }));

const hostileIssues = fc
  .integer({ min: 0, max: 6 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => hostileIssue(index))));

describe('sync pipeline under hostile Jira data (property)', () => {
  it(`turns any issue content into a sound feed with one VEVENT per built event (${RUNS} runs)`, () => {
    const parsed = parseFeedConfig(PIPELINE_CONFIG);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.fields));
    const config = parsed.config;
    fc.assert(
      fc.property(hostileIssues, fc.constantFrom('Team; dates, all', 'Ünïcødé 🎉 feed'), (issues, name) => {
        const context = buildContext();
        const { events: built } = buildFeedEvents(config, issues, context);
        const calendarMeta = { name, refreshIntervalMinutes: config.syncIntervalMinutes };
        const text = renderCalendar(calendarMeta, built);
        expect(checkIcs(text)).toEqual([]);
        const lines = contentLines(text);
        for (const injected of INJECTED_PROPERTY_NAMES)
          expect(lines.map(propertyName)).not.toContain(injected);
        expect(lines.filter((line) => line === 'BEGIN:VEVENT')).toHaveLength(built.length);
        expect(readIcsEvents(text).events.map((event) => event.uid)).toEqual(built.map((event) => event.uid));
        expect(
          renderCalendar(calendarMeta, buildFeedEvents(config, structuredClone(issues), context).events),
        ).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps a huge summary field to one bounded SUMMARY line set', () => {
    const parsed = parseFeedConfig(PIPELINE_CONFIG);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.fields));
    fc.assert(
      fc.property(hugeText(200_000), (summary) => {
        const issue = jiraIssue({
          fields: {
            summary,
            duedate: '2024-03-20',
            updated: '2024-03-01T00:00:00.000+0000',
            project: { id: '100', key: 'ABC' },
          },
        });
        const { events: built } = buildFeedEvents(parsed.config, [issue], buildContext());
        expect(built).toHaveLength(1);
        expect(Array.from(built[0]!.summary).length).toBeLessThanOrEqual(255);
        expect(checkIcs(renderCalendar({ name: 'x', refreshIntervalMinutes: 60 }, built))).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('builds events from fields nested 100 000 levels deep without overflowing the stack', () => {
    const parsed = parseFeedConfig({
      ...PIPELINE_CONFIG,
      access: { mode: 'all', divideByUserFields: ['assignee'] },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.fields));
    let deep: unknown = { accountId: 'u-1', displayName: 'Ada', value: 'v' };
    for (let level = 0; level < 100_000; level += 1) deep = level % 2 ? [deep] : { value: 'v', child: deep };
    const issue: JiraIssueLike = {
      id: '1',
      key: 'ABC-1',
      fields: {
        summary: 's',
        assignee: [[deep]],
        customfield_10050: deep,
        duedate: '2024-03-20',
        updated: '2024-03-01T00:00:00.000+0000',
        project: { id: '100', key: 'ABC' },
      },
    };
    const { events: built } = buildFeedEvents(parsed.config, [issue], buildContext());
    expect(built.length).toBeGreaterThan(0);
    expect(checkIcs(renderCalendar({ name: 'x', refreshIntervalMinutes: 60 }, built))).toEqual([]);
  });
});
