import { describe, expect, it } from 'vitest';
import { CUSTOM_FIELD } from '../support/fake-jira/fake-jira-catalog.js';
import { defaultSeed, SEED_ACCOUNTS as A } from '../support/fake-jira/fake-jira-seed.js';
import type { FakeIssue, FakeJiraData } from '../support/fake-jira/fake-jira-types.js';
import {
  compileJql,
  JqlValidationError,
  searchIssues,
  type JqlContext,
} from '../support/fake-jira/jql-evaluator.js';
import { JqlSyntaxError, parseJql } from '../support/fake-jira/jql-parser.js';

const NOW = new Date('2026-03-18T10:00:00Z'); // a Wednesday, 11:00 in Berlin

function issue(key: string, fields: Partial<FakeIssue> = {}): FakeIssue {
  return {
    id: String(20000 + Number(key.split('-')[1]) + (key.startsWith('MKT') ? 100 : 0)),
    key,
    projectKey: key.split('-')[0]!,
    issueType: 'Task',
    summary: key,
    status: 'To Do',
    priority: 'Medium',
    assignee: null,
    reporter: A.alice,
    created: '2026-01-10T10:00:00.000+0100',
    updated: '2026-01-10T10:00:00.000+0100',
    duedate: null,
    resolution: null,
    resolutiondate: null,
    labels: [],
    fixVersions: [],
    custom: {},
    ...fields,
  };
}

const ISSUES: FakeIssue[] = [
  issue('CAL-1', {
    summary: 'Launch the Calendar, finally',
    status: 'In Progress',
    priority: 'High',
    assignee: A.alice,
    duedate: '2026-03-20',
    labels: ['launch'],
    fixVersions: ['10100'],
    created: '2026-03-01T00:30:00.000+0100', // 2026-02-28T23:30Z
    custom: {
      [CUSTOM_FIELD.startDate]: '2026-03-16',
      [CUSTOM_FIELD.sprint]: [3],
      [CUSTOM_FIELD.reviewer]: A.bob,
    },
  }),
  issue('CAL-2', {
    summary: 'Überprüfung: Zürich office',
    status: 'Done',
    resolution: 'Done',
    resolutiondate: '2026-03-17T18:00:00.000+0100',
    assignee: A.bob,
    priority: 'Highest',
    duedate: '2026-03-18',
    created: '2026-02-28T23:30:00.000+0100', // 2026-02-28T22:30Z
    custom: {
      [CUSTOM_FIELD.goLiveAt]: '2026-03-29T01:30:00.000+0100',
      [CUSTOM_FIELD.durationMinutes]: 120,
      [CUSTOM_FIELD.timeZone]: 'Europe/Berlin',
      [CUSTOM_FIELD.sprint]: [1, 2],
      [CUSTOM_FIELD.watchersTeam]: [A.chloe, A.gao],
    },
  }),
  issue('CAL-3', { summary: 'No dates at all', priority: 'Low', assignee: A.app }),
  issue('MKT-1', {
    summary: 'Webinar\nfollow-up',
    assignee: A.chloe,
    duedate: '2026-04-02',
    labels: ['launch', 'webinar'],
    custom: { [CUSTOM_FIELD.goLiveAt]: '2026-04-01T09:00:00.000+0200', [CUSTOM_FIELD.durationMinutes]: 45 },
  }),
];

function context(issues = ISSUES): JqlContext {
  const data: FakeJiraData = { ...defaultSeed(), issues };
  return { data, now: NOW, currentAccountId: A.app, timeZone: 'Europe/Berlin' };
}

const keys = (jql: string, ctx = context()): string[] => searchIssues(jql, ctx).map((found) => found.key);
const sortedKeys = (jql: string): string[] => keys(jql).sort();

function validationErrors(jql: string): string[] {
  try {
    compileJql(parseJql(jql), context());
  } catch (error) {
    if (error instanceof JqlValidationError) return error.messages;
    throw error;
  }
  return [];
}

describe('JQL parser', () => {
  it('binds AND tighter than OR and honours parentheses and NOT', () => {
    expect(sortedKeys('project = MKT OR project = CAL AND status = Done')).toEqual(['CAL-2', 'MKT-1']);
    expect(sortedKeys('(project = MKT OR project = CAL) AND status = Done')).toEqual(['CAL-2']);
    expect(sortedKeys('project = CAL AND NOT status = Done')).toEqual(['CAL-1', 'CAL-3']);
  });

  it('reads keywords in any case, quoted strings with escapes and cf[] field references', () => {
    const text = `"Start date" is not empty and summary ~ 'it\\'s' order by cf[10015] DESC, key`;
    const query = parseJql(text);
    expect(query.where).toMatchObject({
      kind: 'and',
      children: [
        { kind: 'clause', field: 'Start date', operator: 'is not', operand: { kind: 'empty' } },
        { kind: 'clause', field: 'summary', operator: '~', operand: { kind: 'value', value: "it's" } },
      ],
    });
    expect(query.orderBy).toEqual([
      { field: 'cf[10015]', fieldPosition: text.indexOf('cf['), direction: 'desc' },
      { field: 'key', fieldPosition: text.lastIndexOf('key'), direction: null },
    ]);
  });

  it.each([
    [
      'project = ',
      "Expecting either a value, list or function but got 'end of query'. (line 1, character 11)",
    ],
    ['project CAL', "Expecting operator but got 'CAL'."],
    ['status WAS Done', "The operator 'WAS' is not supported by the fake Jira. (line 1, character 8)"],
    ['project = CAL && status = Done', "Expecting either 'OR' or 'AND' but got '&&'."],
    ['status in Done', "Expecting '(' but got 'Done'."],
    ['summary ~ "open', "The quoted string 'open' has not been completed."],
    ['project = CAL\nAND (status = Done', "Expecting ')' but got 'end of query'. (line 2, character 19)"],
    ['project = CAL ORDER key', "Expecting 'by' but got 'key'."],
  ])('rejects %j like Jira', (jql, message) => {
    expect(() => parseJql(jql)).toThrow(JqlSyntaxError);
    expect(() => parseJql(jql)).toThrow(`Error in the JQL Query: ${message}`);
  });
});

describe('JQL fields and operators', () => {
  it('matches projects by key, id or name, in any case', () => {
    expect(sortedKeys('project = cal')).toEqual(['CAL-1', 'CAL-2', 'CAL-3']);
    expect(sortedKeys('project = 10001')).toEqual(['MKT-1']);
    expect(sortedKeys('project in ("Marketing Launches", CAL)')).toHaveLength(4);
  });

  it('matches status, status category, issue type and priority by name or id', () => {
    expect(sortedKeys('status = "in progress"')).toEqual(['CAL-1']);
    expect(sortedKeys('status = 10002')).toEqual(['CAL-2']);
    expect(sortedKeys('statusCategory = Done')).toEqual(['CAL-2']);
    expect(sortedKeys('statusCategory in (new, indeterminate)')).toEqual(['CAL-1', 'CAL-3', 'MKT-1']);
    expect(sortedKeys('statusCategory != "To Do"')).toEqual(['CAL-1', 'CAL-2']);
    expect(sortedKeys('issuetype = Task AND priority in (Highest, High)')).toEqual(['CAL-1', 'CAL-2']);
  });

  it('treats resolution = Unresolved as an empty resolution', () => {
    expect(sortedKeys('resolution = Unresolved')).toEqual(sortedKeys('resolution IS EMPTY'));
    expect(sortedKeys('resolution = Done')).toEqual(['CAL-2']);
  });

  it('never matches an empty field with != or NOT IN, but NOT (…) does', () => {
    expect(sortedKeys('assignee != currentUser()')).toEqual(['CAL-1', 'CAL-2', 'MKT-1']);
    expect(sortedKeys('duedate != "2026-03-20"')).toEqual(['CAL-2', 'MKT-1']);
    expect(sortedKeys('labels NOT IN (webinar)')).toEqual(['CAL-1']);
    expect(sortedKeys('NOT labels = webinar')).toEqual(['CAL-1', 'CAL-2', 'CAL-3']);
    expect(sortedKeys('duedate = EMPTY')).toEqual(sortedKeys('duedate IS EMPTY'));
    expect(sortedKeys('assignee in (EMPTY, currentUser())')).toEqual(['CAL-3']);
  });

  it('resolves users by account id, currentUser() and membersOf()', () => {
    expect(sortedKeys('assignee = currentUser()')).toEqual(['CAL-3']);
    expect(sortedKeys(`assignee = "${A.chloe}"`)).toEqual(['MKT-1']);
    expect(sortedKeys('assignee in membersOf("engineering")')).toEqual(['CAL-1', 'CAL-2']);
    expect(sortedKeys(`reporter = "${A.alice}" AND assignee IS NOT EMPTY`)).toEqual([
      'CAL-1',
      'CAL-2',
      'CAL-3',
      'MKT-1',
    ]);
  });

  it('reads single and multi user pickers', () => {
    expect(sortedKeys(`Reviewer = "${A.bob}"`)).toEqual(['CAL-1']);
    expect(sortedKeys(`"Watchers team" = "${A.gao}"`)).toEqual(['CAL-2']);
    expect(sortedKeys(`"Watchers team" in ("${A.alice}", "${A.chloe}")`)).toEqual(['CAL-2']);
  });

  it('finds issues by key or id and compares keys within a project', () => {
    expect(sortedKeys('key = cal-2')).toEqual(['CAL-2']);
    expect(sortedKeys('issuekey in (CAL-1, MKT-1)')).toEqual(['CAL-1', 'MKT-1']);
    expect(sortedKeys('id = 20003')).toEqual(['CAL-3']);
    expect(sortedKeys('key > CAL-1')).toEqual(['CAL-2', 'CAL-3']);
    expect(sortedKeys('id >= 20003')).toEqual(['CAL-3', 'MKT-1']);
  });

  it('matches labels, fix versions and sprints, including sprint functions', () => {
    expect(sortedKeys('labels = launch')).toEqual(['CAL-1', 'MKT-1']);
    expect(sortedKeys('labels IS EMPTY')).toEqual(['CAL-2', 'CAL-3']);
    expect(sortedKeys('fixVersion = "1.0"')).toEqual(['CAL-1']);
    expect(sortedKeys('sprint in openSprints()')).toEqual(['CAL-1']);
    expect(sortedKeys('sprint in closedSprints()')).toEqual(['CAL-2']);
    expect(sortedKeys('sprint = "CAL Sprint 2"')).toEqual(['CAL-2']);
    expect(sortedKeys('Sprint = 3')).toEqual(['CAL-1']);
    expect(sortedKeys('sprint IS EMPTY')).toEqual(['CAL-3', 'MKT-1']);
  });

  it('matches words in the summary with ~, case-insensitively and across scripts', () => {
    expect(sortedKeys('summary ~ "launch"')).toEqual(['CAL-1']);
    expect(sortedKeys('summary ~ "calendar FINALLY"')).toEqual(['CAL-1']);
    expect(sortedKeys('summary ~ "zürich"')).toEqual(['CAL-2']);
    expect(sortedKeys('text ~ "follow"')).toEqual(['MKT-1']);
    expect(sortedKeys('summary !~ "launch" AND project = CAL')).toEqual(['CAL-2', 'CAL-3']);
    expect(sortedKeys('"Time zone" ~ berlin')).toEqual(['CAL-2']);
  });

  it('names a custom field by name, cf[id] or customfield_id', () => {
    const byName = sortedKeys('"Start date" >= "2026-03-01"');
    expect(byName).toEqual(['CAL-1']);
    expect(sortedKeys('cf[10015] >= "2026-03-01"')).toEqual(byName);
    expect(sortedKeys('customfield_10015 >= "2026-03-01"')).toEqual(byName);
    expect(sortedKeys('"start DATE" is empty')).toEqual(['CAL-2', 'CAL-3', 'MKT-1']);
  });

  it('compares numbers and offset-aware datetimes', () => {
    expect(sortedKeys('"Duration (minutes)" > 60')).toEqual(['CAL-2']);
    expect(sortedKeys('"Duration (minutes)" <= 120')).toEqual(['CAL-2', 'MKT-1']);
    // 01:30 at +0100 is 00:30 UTC; 09:00 at +0200 is 07:00 UTC.
    expect(sortedKeys('"Go-live at" < "2026-03-29 01:31"')).toEqual(['CAL-2']);
    expect(sortedKeys('"Go-live at" >= "2026-04-01 09:00"')).toEqual(['MKT-1']);
    expect(sortedKeys('"Go-live at" > "2026-04-01 09:00"')).toEqual([]);
  });
});

describe('JQL dates', () => {
  it('reads date literals in the user time zone', () => {
    // CAL-1 was created at 00:30 on 1 March in Berlin (23:30 UTC the day before); CAL-2 at 23:30 on 28 February.
    expect(sortedKeys('created >= "2026-03-01"')).toEqual(['CAL-1']);
    expect(sortedKeys('created >= "2026/02/28" AND created < "2026-03-01 00:00"')).toEqual(['CAL-2']);
  });

  it('evaluates relative periods against the clock', () => {
    expect(sortedKeys('duedate <= 3d')).toEqual(['CAL-1', 'CAL-2']);
    expect(sortedKeys('duedate > "-1w 2d" AND duedate < 2w')).toEqual(['CAL-1', 'CAL-2']);
    expect(sortedKeys('duedate > "-1w 2d" AND duedate < 3w')).toEqual(['CAL-1', 'CAL-2', 'MKT-1']);
    expect(sortedKeys('resolutiondate >= -1d')).toEqual(['CAL-2']);
    expect(sortedKeys('resolutiondate >= -1h')).toEqual([]);
  });

  it('evaluates date functions in the user time zone, with increments', () => {
    expect(sortedKeys('duedate = startOfDay()')).toEqual(['CAL-2']);
    expect(sortedKeys('duedate >= startOfDay() AND duedate <= endOfWeek()')).toEqual(['CAL-1', 'CAL-2']);
    expect(sortedKeys('duedate > endOfMonth()')).toEqual(['MKT-1']);
    expect(sortedKeys('duedate >= startOfMonth(+1)')).toEqual(['MKT-1']);
    expect(sortedKeys('duedate = startOfDay("+2d")')).toEqual(['CAL-1']);
    expect(sortedKeys('resolutiondate < now() AND resolutiondate > startOfDay(-1)')).toEqual(['CAL-2']);
    expect(sortedKeys('created >= startOfYear() AND created < startOfMonth()')).toEqual([
      'CAL-2',
      'CAL-3',
      'MKT-1',
    ]);
  });
});

describe('JQL ordering', () => {
  it('defaults to key descending', () => {
    expect(keys('project in (CAL, MKT)')).toEqual(['MKT-1', 'CAL-3', 'CAL-2', 'CAL-1']);
  });

  it('puts empty values last ascending and first descending', () => {
    expect(keys('project in (CAL, MKT) ORDER BY duedate')).toEqual(['CAL-2', 'CAL-1', 'MKT-1', 'CAL-3']);
    expect(keys('project in (CAL, MKT) ORDER BY duedate DESC')).toEqual(['CAL-3', 'MKT-1', 'CAL-1', 'CAL-2']);
  });

  it('sorts priority by rank and breaks ties with the next key', () => {
    expect(keys('project in (CAL, MKT) ORDER BY priority DESC, key DESC')).toEqual([
      'CAL-2',
      'CAL-1',
      'MKT-1',
      'CAL-3',
    ]);
    expect(keys('project in (CAL, MKT) ORDER BY status ASC, summary DESC')).toEqual([
      'MKT-1',
      'CAL-3',
      'CAL-1',
      'CAL-2',
    ]);
  });
});

describe('JQL validation', () => {
  it.each([
    ['foo = bar', "Field 'foo' does not exist or you do not have permission to view it."],
    ['project = NOPE', "The value 'NOPE' does not exist for the field 'project'."],
    ['status = Nonsense', "The value 'Nonsense' does not exist for the field 'status'."],
    ['assignee = "no-such-account"', "The value 'no-such-account' does not exist for the field 'assignee'."],
    ['key = CAL-999', "An issue with key 'CAL-999' does not exist for field 'key'."],
    ['status > Done', "The operator '>' is not supported by the 'status' field."],
    ['summary = "Launch"', "The operator '=' is not supported by the 'summary' field."],
    ['duedate > "next week"', "Date value 'next week' for field 'duedate' is invalid."],
    ['duedate = "2026-02-30"', "Date value '2026-02-30' for field 'duedate' is invalid."],
    ['"Duration (minutes)" > many', "The value 'many' is invalid for the field 'Duration (minutes)'."],
    ['duedate > openBugs()', "Unable to find JQL function 'openBugs()'."],
    ['status = now()', "A value provided by the function 'now' is invalid for the field 'status'."],
    ['assignee in membersOf("nobody")', 'the group does not exist'],
    ['status IS Done', "The operator 'IS' only supports the 'EMPTY' value"],
    [
      'project = CAL ORDER BY nothing',
      "Field 'nothing' does not exist or you do not have permission to view it.",
    ],
    ['project = CAL ORDER BY labels', "Field 'labels' does not support sorting."],
  ])('%s', (jql, message) => {
    expect(validationErrors(jql).join('\n')).toContain(message);
  });

  it('reports every problem of a query at once', () => {
    expect(validationErrors('foo = 1 AND project = NOPE OR status > Done')).toHaveLength(3);
  });

  it('flags queries without a search restriction as unbounded', () => {
    expect(compileJql(parseJql('ORDER BY key'), context()).bounded).toBe(false);
    expect(compileJql(parseJql(''), context()).bounded).toBe(false);
    expect(compileJql(parseJql('project = CAL ORDER BY key'), context()).bounded).toBe(true);
  });
});
