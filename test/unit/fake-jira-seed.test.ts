import { describe, expect, it } from 'vitest';
import { CUSTOM_FIELD } from '../support/fake-jira/fake-jira-catalog.js';
import { defaultSeed, generateIssues, SEED_TIME_ZONE } from '../support/fake-jira/fake-jira-seed.js';
import type { FakeIssue, FakeJiraData } from '../support/fake-jira/fake-jira-types.js';
import { offsetMinutes, parseJiraDateTime } from '../support/fake-jira/jira-time.js';

const JIRA_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/;
const JIRA_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Every reference an issue makes points at something the site has, and values have Jira's formats. */
function problemsOf(data: FakeJiraData, issue: FakeIssue): string[] {
  const problems: string[] = [];
  const users = new Set(data.users.map((user) => user.accountId));
  const check = (ok: boolean, what: string) => ok || problems.push(`${issue.key}: ${what}`);
  check(
    data.projects.some((project) => project.key === issue.projectKey),
    'project',
  );
  check(issue.key.startsWith(`${issue.projectKey}-`), 'key prefix');
  for (const value of [issue.created, issue.updated, issue.resolutiondate].filter((v) => v !== null)) {
    check(JIRA_DATETIME.test(value), `datetime ${value}`);
  }
  check(parseJiraDateTime(issue.updated) >= parseJiraDateTime(issue.created), 'updated before created');
  check((issue.resolution === null) === (issue.resolutiondate === null), 'resolution without date');
  check(issue.duedate === null || JIRA_DATE.test(issue.duedate), 'duedate');
  for (const accountId of [issue.assignee, issue.reporter].filter((v) => v !== null))
    check(users.has(accountId), 'user');
  for (const id of issue.fixVersions)
    check(
      data.versions.some((version) => version.id === id),
      'version',
    );
  const custom = issue.custom;
  const start = custom[CUSTOM_FIELD.startDate];
  check(start === undefined || (typeof start === 'string' && JIRA_DATE.test(start)), 'start date');
  const goLive = custom[CUSTOM_FIELD.goLiveAt];
  check(goLive === undefined || (typeof goLive === 'string' && JIRA_DATETIME.test(goLive)), 'go-live');
  const sprints = custom[CUSTOM_FIELD.sprint];
  check(
    sprints === undefined ||
      (Array.isArray(sprints) && sprints.every((id) => data.sprints.some((s) => s.id === id))),
    'sprint',
  );
  const people = [custom[CUSTOM_FIELD.reviewer], custom[CUSTOM_FIELD.watchersTeam]]
    .flat()
    .filter((v) => v !== undefined);
  for (const accountId of people) check(users.has(String(accountId)), 'user picker');
  return problems;
}

describe('defaultSeed', () => {
  const data = defaultSeed();

  it('is a small consistent site', () => {
    expect(data.projects.map((project) => project.key)).toEqual(['CAL', 'MKT', 'OPS']);
    expect(data.issues).toHaveLength(40);
    expect(new Set(data.issues.map((issue) => issue.id)).size).toBe(40);
    expect(new Set(data.issues.map((issue) => issue.key)).size).toBe(40);
    expect(data.issues.flatMap((issue) => problemsOf(data, issue))).toEqual([]);
    expect(data.users.filter((user) => user.accountType === 'atlassian').length).toBeGreaterThanOrEqual(6);
    expect(data.users.filter((user) => !user.active)).toHaveLength(1);
    expect(data.users.find((user) => user.accountId === data.appUserAccountId)?.accountType).toBe('app');
    for (const group of data.groups) {
      expect(
        group.members.every((accountId) => data.users.some((user) => user.accountId === accountId)),
      ).toBe(true);
    }
  });

  it('gives each project different role actors, including group actors', () => {
    const developers = (key: string) =>
      data.projects.find((project) => project.key === key)?.roleActors['10001'];
    expect(developers('CAL')).toEqual({ users: [], groups: ['engineering'] });
    expect(developers('MKT')?.users).toHaveLength(2);
    expect(developers('OPS')).not.toEqual(developers('MKT'));
  });

  it('covers the awkward cases a calendar feed must survive', () => {
    const summaries = data.issues.map((issue) => issue.summary);
    expect(summaries.some((summary) => /\P{ASCII}/u.test(summary))).toBe(true);
    expect(summaries.some((summary) => summary.length === 255)).toBe(true);
    expect(summaries.some((summary) => summary.includes('\n'))).toBe(true);
    expect(summaries.some((summary) => summary.includes(',') && summary.includes(';'))).toBe(true);
    expect(
      data.issues.some(
        (issue) => issue.duedate === null && issue.custom[CUSTOM_FIELD.startDate] === undefined,
      ),
    ).toBe(true);
    expect(data.issues.some((issue) => issue.resolution !== null)).toBe(true);
    expect(data.issues.some((issue) => issue.securityLevel)).toBe(true);
    expect(
      data.users.some(
        (user) => !user.active && data.issues.some((issue) => issue.assignee === user.accountId),
      ),
    ).toBe(true);
  });

  it('has an event that crosses a daylight-saving change', () => {
    const crossing = data.issues.filter((issue) => {
      const start = issue.custom[CUSTOM_FIELD.goLiveAt];
      const minutes = issue.custom[CUSTOM_FIELD.durationMinutes];
      if (typeof start !== 'string' || typeof minutes !== 'number') return false;
      const from = parseJiraDateTime(start);
      return offsetMinutes(SEED_TIME_ZONE, from) !== offsetMinutes(SEED_TIME_ZONE, from + minutes * 60_000);
    });
    expect(crossing.map((issue) => issue.key)).toEqual(expect.arrayContaining(['CAL-4', 'OPS-3']));
    expect(data.issues.find((issue) => issue.key === 'CAL-4')?.custom[CUSTOM_FIELD.goLiveAt]).toBe(
      '2026-03-29T01:30:00.000+0100',
    );
  });
});

describe('generateIssues', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(generateIssues(50, { seed: 7 })).toEqual(generateIssues(50, { seed: 7 }));
    expect(generateIssues(50, { seed: 7 })).not.toEqual(generateIssues(50, { seed: 8 }));
  });

  it('makes valid issues with unique keys, spread over the year', () => {
    const data = defaultSeed();
    const issues = generateIssues(2000, { seed: 3, startId: 50000 });
    expect(new Set(issues.map((issue) => issue.key)).size).toBe(2000);
    expect(new Set(issues.map((issue) => issue.id)).size).toBe(2000);
    expect(issues.flatMap((issue) => problemsOf(data, issue))).toEqual([]);
    const months = new Set(issues.flatMap((issue) => (issue.duedate ? [issue.duedate.slice(0, 7)] : [])));
    expect([...months].filter((month) => month.startsWith('2026'))).toHaveLength(12);
    expect(issues.filter((issue) => issue.duedate === null).length).toBeGreaterThan(0);
  });
});
