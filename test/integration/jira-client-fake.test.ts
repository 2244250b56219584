import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectJiraAuth } from '../../src/doors/connect/connect-jira-auth.js';
import { JiraClient } from '../../src/jira/cloud/cloud-jira-client.js';
import { TenantPacer } from '../../src/jira/pacer.js';
import { FakeJira, generateIssues } from '../support/fake-jira/fake-jira.js';
import { captureLogs } from '../support/log-capture.js';

const SECRET = 'q'.repeat(48);
let jira: FakeJira;
let client: JiraClient;
const sleeps: number[] = [];

beforeAll(async () => {
  jira = await FakeJira.start({ sharedSecret: SECRET });
  jira.data.issues.push(...generateIssues(430, { startId: 70_000, startNumber: 500 }));
  client = new JiraClient(
    {
      clientKey: jira.clientKey,
      auth: connectJiraAuth({ baseUrl: jira.baseUrl, sharedSecret: SECRET }, { appKey: 'calendar-sync' }),
    },
    {
      pacer: new TenantPacer({ requestsPerSecond: 1000, burst: 1000 }),
      logger: captureLogs().logger,
      baseBackoffMs: 1,
      maxBackoffMs: 5,
      sleep: async (ms) => {
        sleeps.push(ms);
        await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
      },
    },
  );
});
afterAll(async () => {
  await jira?.stop();
});

describe('Jira client against the fake Jira', () => {
  it('pages through every issue exactly once, asking only for the named fields', async () => {
    jira.requests.length = 0;
    const seen: string[] = [];
    for await (const page of client.searchPages({
      jql: 'project in (CAL, MKT, OPS)',
      fields: ['duedate', 'summary'],
    })) {
      for (const issue of page) {
        seen.push(issue.id);
        for (const key of Object.keys(issue.fields ?? {})) expect(['duedate', 'summary']).toContain(key);
      }
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(
      jira.data.issues.filter((issue) => ['CAL', 'MKT', 'OPS'].includes(issue.projectKey)).length,
    );
    expect(jira.requests.length).toBeGreaterThanOrEqual(5);
    expect(jira.requests.every((request) => request.status === 200)).toBe(true);
  });

  it('lists the ids of every matching issue in one request of up to 5,000, then fetches any of them 100 at a time', async () => {
    const matching = jira.data.issues.filter((issue) => ['CAL', 'MKT', 'OPS'].includes(issue.projectKey));
    expect(matching.length).toBeGreaterThan(250);
    jira.requests.length = 0;
    const ids: string[] = [];
    for await (const page of client.searchIssueIds({ jql: 'project in (CAL, MKT, OPS)' })) ids.push(...page);
    expect(jira.requests).toHaveLength(1);
    expect(ids.sort()).toEqual(matching.map((issue) => issue.id).sort());

    jira.requests.length = 0;
    const wanted = ids.slice(0, 250);
    const issues = await client.bulkFetch([...wanted, '99999999'], ['summary', 'duedate']);
    expect(
      jira.requests.map((request) => [
        request.path,
        (request.body as { issueIdsOrKeys: string[] }).issueIdsOrKeys.length,
      ]),
    ).toEqual([
      ['/rest/api/3/issue/bulkfetch', 100],
      ['/rest/api/3/issue/bulkfetch', 100],
      ['/rest/api/3/issue/bulkfetch', 51],
    ]);
    expect(issues.map((issue) => issue.id).sort()).toEqual([...wanted].sort());
    for (const issue of issues) expect(Object.keys(issue.fields).sort()).toEqual(['duedate', 'summary']);
  });

  it('honours Retry-After on 429 and backs off on 503, then succeeds', async () => {
    sleeps.length = 0;
    jira.faults.failNext(1, { status: 429, retryAfterSeconds: 2 });
    jira.faults.failNext(1, { status: 503 });
    const me = await client.getMyself();
    expect(me.accountId).toBe(jira.appUserAccountId);
    expect(sleeps).toContain(2000);
    expect(sleeps.length).toBeGreaterThanOrEqual(2);
  });

  it("fails fast on a 400 and keeps Jira's message", async () => {
    await expect(client.parseJql(['project = ']).then((r) => r[0]!.errors)).resolves.not.toEqual([]);
    // Jira answers 400 "The selected filter is not available to you" for unknown or unshared filters.
    await expect(client.getFilter('999999')).rejects.toMatchObject({ jiraStatus: 400, code: 'jira_error' });
    const error = await (async () => {
      try {
        for await (const _page of client.searchPages({ jql: 'nosuchfield = 1', fields: ['summary'] })) {
          // no page expected
        }
      } catch (caught) {
        return caught as { jiraStatus: number; jiraMessages: string[] };
      }
      return null;
    })();
    expect(error?.jiraStatus).toBe(400);
    expect(error?.jiraMessages.join(' ')).toMatch(/nosuchfield/);
  });
});
