import { describe, expect, it } from 'vitest';
import {
  findUserRelativeFunction,
  parseFeedConfig,
  requiredJiraFields,
  templatePlaceholders,
  type FeedConfig,
} from '../../src/domain/feed-config.js';

const minimal = {
  name: 'Team deadlines',
  source: { type: 'jql', jql: 'project = ABC' },
  rules: [{ id: 'due', kind: 'allDay', field: 'duedate' }],
};

function parse(input: unknown): FeedConfig {
  const result = parseFeedConfig(input);
  if (!result.ok) throw new Error(JSON.stringify(result.fields));
  return result.config;
}

function problems(input: unknown): Record<string, string> {
  const result = parseFeedConfig(input);
  if (result.ok) throw new Error('expected the config to be rejected');
  return Object.fromEntries(result.fields.map((field) => [field.path, field.message]));
}

describe('parseFeedConfig defaults', () => {
  it('fills every default from a minimal config', () => {
    const config = parse(minimal);
    expect(config.timeZone).toBe('UTC');
    expect(config.content).toEqual({
      summaryTemplate: '{key}: {summary}',
      descriptionTemplate: '{status} · {assignee}',
      categories: [],
      transparency: 'free',
      alarmMinutesBefore: null,
      resolved: 'show',
      templateFields: ['assignee', 'status', 'summary'],
    });
    expect(config.window).toEqual({ pastDays: 30, futureDays: 365, keepUnresolvedOverdue: true });
    expect(config.issueCap).toBe(5000);
    expect(config.syncIntervalMinutes).toBe(60);
    expect(config.access).toEqual({
      mode: 'none',
      groups: [],
      roles: [],
      divideByUserFields: [],
      respectPermissions: false,
    });
  });

  it('fills rule defaults and normalises wall clock times', () => {
    const config = parse({
      ...minimal,
      rules: [
        { id: 'start', kind: 'timed', field: 'customfield_10015' },
        {
          id: 'meeting',
          kind: 'dateWithTime',
          field: 'duedate',
          startTime: '7:30',
          end: { type: 'fixedEndTime', time: '9:05' },
        },
        { id: 'plain', kind: 'dateWithTime', field: 'duedate' },
        { id: 'sprints', kind: 'sprint' },
        { id: 'releases', kind: 'version' },
      ],
    });
    expect(config.rules).toEqual([
      { id: 'start', kind: 'timed', field: 'customfield_10015', end: { type: 'duration', minutes: 60 } },
      {
        id: 'meeting',
        kind: 'dateWithTime',
        field: 'duedate',
        startTime: '07:30',
        end: { type: 'fixedEndTime', time: '09:05' },
      },
      {
        id: 'plain',
        kind: 'dateWithTime',
        field: 'duedate',
        startTime: '09:00',
        end: { type: 'duration', minutes: 60 },
      },
      { id: 'sprints', kind: 'sprint', field: 'customfield_10020' },
      { id: 'releases', kind: 'version', useStartDate: false },
    ]);
  });

  it('derives templateFields and ignores a templateFields given as input', () => {
    const config = parse({
      ...minimal,
      content: {
        summaryTemplate: '{key} {field:customfield_10050}',
        descriptionTemplate: '{url}',
        templateFields: ['evil'],
      },
    });
    expect(config.content.templateFields).toEqual(['customfield_10050']);
  });

  it('is idempotent: a parsed config parses to itself', () => {
    const config = parse({
      ...minimal,
      access: { mode: 'roles', roles: [{ id: 10002, name: 'Developers' }] },
    });
    expect(parse(config)).toEqual(config);
    expect(config.access.roles).toEqual([{ id: '10002', name: 'Developers' }]);
  });
});

describe('parseFeedConfig validation', () => {
  it('reports field paths for nested problems', () => {
    expect(
      problems({
        ...minimal,
        rules: [
          { id: 'a', kind: 'timed', field: 'created', end: { type: 'duration', minutes: 0 } },
          { id: 'b', kind: 'dateWithTime', field: 'duedate', startTime: '25:00' },
          { id: 'c', kind: 'range', startField: 'Start Date', endField: 'duedate' },
          { id: 'd', kind: 'meeting' },
        ],
      }),
    ).toMatchObject({
      'rules.0.end.minutes': expect.any(String),
      'rules.1.startTime': expect.stringContaining('time of day'),
      'rules.2.startField': expect.stringContaining('field id'),
      'rules.3.kind': expect.any(String),
    });
  });

  it('rejects duplicate rule ids, bad rule ids and empty or oversized rule lists', () => {
    expect(
      problems({
        ...minimal,
        rules: [
          { id: 'due', kind: 'allDay', field: 'duedate' },
          { id: 'due', kind: 'allDay', field: 'created' },
        ],
      }),
    ).toEqual({ 'rules.1.id': 'Duplicate id "due"' });
    expect(
      problems({ ...minimal, rules: [{ id: 'Due Date', kind: 'allDay', field: 'duedate' }] }),
    ).toHaveProperty('rules.0.id');
    expect(problems({ ...minimal, rules: [] })).toHaveProperty('rules');
    const many = Array.from({ length: 21 }, (_, index) => ({
      id: `r${index}`,
      kind: 'allDay',
      field: 'duedate',
    }));
    expect(problems({ ...minimal, rules: many })).toHaveProperty('rules');
  });

  it('rejects names with control characters and overlong names but trims spaces', () => {
    expect(problems({ ...minimal, name: 'Team\nfeed' })).toHaveProperty('name');
    expect(problems({ ...minimal, name: 'x'.repeat(201) })).toHaveProperty('name');
    expect(problems({ ...minimal, name: '   ' })).toHaveProperty('name');
    expect(parse({ ...minimal, name: '  Team  ' }).name).toBe('Team');
  });

  it('validates time zones with Intl', () => {
    expect(parse({ ...minimal, timeZone: 'Europe/Berlin' }).timeZone).toBe('Europe/Berlin');
    expect(problems({ ...minimal, timeZone: 'Europe/Atlantis' })).toHaveProperty('timeZone');
    expect(problems({ ...minimal, timeZone: '+02:00' })).toHaveProperty('timeZone');
    expect(
      problems({
        ...minimal,
        rules: [{ id: 'd', kind: 'dateWithTime', field: 'duedate', timeZone: 'Nowhere/City' }],
      }),
    ).toHaveProperty(['rules.0.timeZone']);
  });

  it('validates the source', () => {
    expect(parse({ ...minimal, source: { type: 'filter', filterId: '10001' } }).source).toEqual({
      type: 'filter',
      filterId: '10001',
    });
    expect(problems({ ...minimal, source: { type: 'filter', filterId: '10a' } })).toHaveProperty([
      'source.filterId',
    ]);
    expect(problems({ ...minimal, source: { type: 'jql', jql: '  ' } })).toHaveProperty(['source.jql']);
    expect(problems({ ...minimal, source: { type: 'jql', jql: 'x'.repeat(10_001) } })).toHaveProperty([
      'source.jql',
    ]);
  });

  it('rejects unknown template placeholders with the list of valid ones', () => {
    const fields = problems({ ...minimal, content: { summaryTemplate: '{key}: {title}' } });
    expect(fields['content.summaryTemplate']).toContain('{title}');
    expect(fields['content.summaryTemplate']).toContain('{summary}');
  });

  it('validates content, window, caps and access', () => {
    expect(
      problems({
        ...minimal,
        content: {
          categories: Array.from({ length: 11 }, () => 'x'),
          alarmMinutesBefore: 40_321,
          transparency: 'maybe',
        },
        window: { pastDays: -1, futureDays: 0 },
        issueCap: 20_001,
        syncIntervalMinutes: 5,
        access: { mode: 'groups', divideByUserFields: ['assignee', 'assignee'] },
      }),
    ).toMatchObject({
      'content.categories': expect.any(String),
      'content.alarmMinutesBefore': expect.any(String),
      'content.transparency': expect.any(String),
      'window.pastDays': expect.any(String),
      'window.futureDays': expect.any(String),
      issueCap: expect.any(String),
      syncIntervalMinutes: expect.any(String),
      'access.groups': 'Choose at least one group',
      'access.divideByUserFields.1': expect.stringContaining('Duplicate'),
    });
  });
});

describe('JQL that depends on the current user', () => {
  it.each([
    'assignee = currentUser()',
    'assignee=CURRENTUSER()',
    'reporter in (currentUser ())',
    'project = ABC AND watcher = currentuser() ORDER BY duedate',
    'issue in watchedIssues()',
    'summary ~ "x" and assignee = currentUser()',
  ])('rejects %s', (jql) => {
    const fields = problems({ ...minimal, source: { type: 'jql', jql } });
    expect(fields['source.jql']).toMatch(/runs as the Calendar Sync app user/);
  });

  it.each([
    'summary ~ "currentUser()"',
    "summary ~ 'currentUser()'",
    'summary ~ "say \\"currentUser()\\" loudly"',
    'labels = notcurrentUser',
  ])('accepts %s', (jql) => {
    expect(findUserRelativeFunction(jql)).toBeNull();
    expect(parseFeedConfig({ ...minimal, source: { type: 'jql', jql } }).ok).toBe(true);
  });

  it('names the function as written', () => {
    expect(findUserRelativeFunction('assignee = CurrentUser()')).toBe('CurrentUser');
  });
});

describe('requiredJiraFields', () => {
  it('requests exactly the fields templates, rules and access use', () => {
    const config = parse({
      ...minimal,
      rules: [
        { id: 'due', kind: 'allDay', field: 'duedate', timeZoneField: 'assignee' },
        {
          id: 'work',
          kind: 'timed',
          field: 'customfield_10015',
          end: { type: 'durationField', field: 'timeoriginalestimate', defaultMinutes: 30 },
        },
        {
          id: 'call',
          kind: 'dateWithTime',
          field: 'customfield_10016',
          startTimeField: 'customfield_10017',
          end: { type: 'endField', field: 'customfield_10018' },
        },
        { id: 'span', kind: 'range', startField: 'customfield_10019', endField: 'duedate' },
        { id: 'sprints', kind: 'sprint' },
        { id: 'releases', kind: 'version' },
      ],
      content: {
        summaryTemplate: '{key} {field:customfield_10050}',
        descriptionTemplate: '{priority} {url}',
      },
      access: { divideByUserFields: ['customfield_10060'] },
    });
    expect(requiredJiraFields(config)).toEqual(
      [
        'assignee',
        'created',
        'customfield_10015',
        'customfield_10016',
        'customfield_10017',
        'customfield_10018',
        'customfield_10019',
        'customfield_10020',
        'customfield_10050',
        'customfield_10060',
        'duedate',
        'fixVersions',
        'priority',
        'project',
        'resolution',
        'timeoriginalestimate',
        'updated',
      ].sort(),
    );
  });

  it('leaves out summary and status when no template uses them', () => {
    const fields = requiredJiraFields(
      parse({ ...minimal, content: { summaryTemplate: '{key}', descriptionTemplate: '' } }),
    );
    expect(fields).toEqual(['created', 'duedate', 'project', 'resolution', 'updated']);
  });

  it('exposes templatePlaceholders', () => {
    expect(templatePlaceholders('{key}: {summary} ({field:customfield_1})')).toEqual([
      'key',
      'summary',
      'field:customfield_1',
    ]);
  });
});
