import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSchemaOf } from '../../src/domain/deployment.js';
import { pushCalendarJobKey } from '../../src/jobs/push-calendar-job.js';
import { forEachDoor, type InstalledSite, type JiraChange, withInstalledSite } from '../support/doors.js';
import { FakeGoogle, type GoogleEvent } from '../support/fake-google.js';
import { type FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { formatJiraDateTime } from '../support/fake-jira/jira-time.js';
import { ADMIN, sampleFeedConfig, syncNow } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const PERSON = SEED_ACCOUNTS.chloe;
/** The site-changed debounce is 5 s; the sync and the push get their own seconds on a loaded machine. */
const ARRIVES_WITHIN_MS = 40_000;

/**
 * The issue's Done-when: with Google connected, a change in Jira reaches the person's Google calendar by
 * one incremental sync and exactly one provider call for the one event it changed, whichever door told
 * the app (Connect webhook, Forge event; Data Center has no events, so its sync runs as the schedule would).
 */
forEachDoor((doorName) => {
  let google: FakeGoogle;
  let jira: FakeJira;
  let app: TestApp;
  let site: InstalledSite;
  let feedId: string;
  let connectionId: string;

  beforeAll(async () => {
    google = await FakeGoogle.start();
  });
  afterAll(() => google?.stop());
  withInstalledSite(
    doorName,
    () => ({
      worker: true,
      config: {
        google: {
          ...google.client,
          oauthBaseUrl: google.url,
          apiBaseUrl: google.url,
          tokenEncryptionKey: randomBytes(32),
        },
      },
    }),
    (world) => ({ jira, app, site } = world),
  );

  const remoteEvents = (): GoogleEvent[] => google.calendarsOf(`${PERSON}@google.example`)[0]?.events ?? [];
  const status = () => app.services.syncRepository.find(site.clientKey, feedId);

  async function connect(): Promise<string> {
    const started = await site.api(PERSON).post('/me/live-calendars', {
      feedId,
      calendar: 'all',
      provider: 'google',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    google.oauth.nextUser = `${PERSON}@google.example`;
    const consent = await fetch(started.body.authorizationUrl as string, { redirect: 'manual' });
    expect((await fetch(consent.headers.get('location') ?? '')).status).toBe(200);
    const listed = await site.api(PERSON).get('/me/live-calendars');
    return (listed.body.connections as { id: string; feedId: string }[]).find((c) => c.feedId === feedId)!.id;
  }

  /** No push queued or running for the connection, and nothing left half-pushed. */
  async function pushesSettled(): Promise<boolean> {
    // Each Data Center deployment keeps its jobs in a schema of its own.
    const schema = jobSchemaOf(
      site.door === 'datacenter'
        ? { edition: 'datacenter', clientKey: site.clientKey }
        : { edition: 'cloud' },
    );
    const queued = await app.db.knex.raw<{ rows: { n: string }[] }>(
      `SELECT count(*) AS n FROM ${schema}.jobs WHERE key = ?`,
      [pushCalendarJobKey(connectionId)],
    );
    if (Number(queued.rows[0]!.n) > 0) return false;
    const listed = await site.api(PERSON).get('/me/live-calendars');
    const found = (listed.body.connections as { id: string; pendingCount: number }[]).find(
      (c) => c.id === connectionId,
    );
    return found?.pendingCount === 0;
  }

  /**
   * Tells the app of `change` this door's way and waits until `arrived` holds in Google and the push has
   * settled; returns the Calendar API methods called meanwhile, having checked that exactly one sync ran
   * and that it was incremental.
   */
  async function deliver(change: JiraChange, arrived: () => boolean): Promise<string[]> {
    await waitFor('nothing in flight', pushesSettled);
    const before = await status();
    const callsBefore = google.calls.length;
    if (site.announce) {
      const statuses = await site.announce(change);
      expect(
        statuses.every((code) => code >= 200 && code < 300),
        String(statuses),
      ).toBe(true);
    } else {
      await syncNow(app, site.clientKey, feedId);
    }
    await waitFor('the change in Google', () => Promise.resolve(arrived()), ARRIVES_WITHIN_MS);
    await waitFor('the push settled', pushesSettled);
    const after = (await status())!;
    expect(after.lastSync?.kind).toBe('incremental');
    // Every Jira request since `before` was the last sync's own: no second sync ran.
    expect(after.jiraRequestsToday - before!.jiraRequestsToday).toBe(after.lastSync!.jiraRequests);
    expect(after.finishedAt!.getTime()).toBeGreaterThan(before!.finishedAt!.getTime());
    return google.calls.slice(callsBefore).map((call) => call.method);
  }

  describe('a change in Jira reaches Google Calendar', { timeout: 120_000 }, () => {
    it('fills the calendar once connected', async () => {
      const created = await site
        .api(ADMIN)
        .post('/feeds', sampleFeedConfig({ name: 'Changes live', access: { mode: 'all' } }));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      feedId = String(created.body.id);
      await syncNow(app, site.clientKey, feedId);
      connectionId = await connect();
      await waitFor('the first fill', () => Promise.resolve(remoteEvents().length > 0));
      await waitFor('the fill settled', pushesSettled);
      // The admin grid counts the connection under its feed.
      const feed = await site.api(ADMIN).get(`/feeds/${feedId}`);
      expect(feed.body.liveConnections).toEqual({ google: 1 });
      const listed = await site.api(ADMIN).get('/feeds');
      const inList = (listed.body.feeds as { id: string; liveConnections: unknown }[]).find(
        (f) => f.id === feedId,
      );
      expect(inList?.liveConnections).toEqual({ google: 1 });
    });

    it('a new issue is one insert', async () => {
      const template = jira.data.issues.find((issue) => issue.key === 'CAL-3')!;
      jira.data.issues.push({
        ...structuredClone(template),
        id: '99301',
        key: 'CAL-961',
        summary: 'New and pushed live',
        duedate: '2026-08-14',
        // In no sprint or release, so no other event changes with it.
        fixVersions: [],
        custom: {},
        updated: formatJiraDateTime(Date.now(), 'UTC'),
      });
      const calls = await deliver({ kind: 'issue_created', issueId: '99301' }, () =>
        remoteEvents().some((event) => event.summary?.includes('New and pushed live')),
      );
      expect(calls).toEqual(['calendar.events.insert']);
    });

    it('an issue leaving the query is one delete', async () => {
      const issue = jira.data.issues.find((candidate) => candidate.id === '99301')!;
      issue.projectKey = 'OPS';
      issue.updated = formatJiraDateTime(Date.now(), 'UTC');
      const calls = await deliver(
        { kind: 'issue_updated', issueId: issue.id },
        () => !remoteEvents().some((event) => event.summary?.includes('New and pushed live')),
      );
      expect(calls).toEqual(['calendar.events.delete']);
    });

    it('a sprint moved in Jira is one patch', async () => {
      const sprint = jira.data.sprints.find((candidate) => candidate.id === 3)!;
      const sprintEvent = () => remoteEvents().find((event) => event.summary?.includes(sprint.name));
      const was = JSON.stringify(sprintEvent()?.end);
      expect(was).toBeDefined();
      sprint.endDate = '2026-05-22T07:00:00.000Z';
      const calls = await deliver(
        { kind: 'sprint_updated', sprintId: sprint.id },
        () => JSON.stringify(sprintEvent()?.end) !== was,
      );
      expect(calls).toEqual(['calendar.events.patch']);
      expect(JSON.stringify(sprintEvent()?.end)).toContain('2026-05-2');
    });

    it('a sync that finds nothing changed calls Google not at all', async () => {
      await waitFor('nothing in flight', pushesSettled);
      const callsBefore = google.calls.length;
      await syncNow(app, site.clientKey, feedId);
      expect((await status())?.lastSync?.kind).toBe('incremental');
      // The push a sync may queue, run here as the job would: it has nothing to send.
      expect(await app.services.calendarPushes.push(site.clientKey, connectionId)).toMatchObject({
        calls: 0,
      });
      await waitFor('the push settled', pushesSettled);
      expect(google.calls.slice(callsBefore)).toEqual([]);
      expect(google.violations).toEqual([]);
    });
  });
});
