import { expect, it } from 'vitest';
import { siteChangedJobKey } from '../../src/jobs/site-changed-job.js';
import { forEachDoor, type InstalledSite, type JiraChange, withInstalledSite } from '../support/doors.js';
import type { FakeJira } from '../support/fake-jira/fake-jira.js';
import { formatJiraDateTime } from '../support/fake-jira/jira-time.js';
import { ADMIN, fetchFeed, sampleFeedConfig } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

/** The debounce is 5 s; give the sync its own seconds on top, on a loaded machine. */
const FRESH_WITHIN_MS = 30_000;

/**
 * Jira tells the app what changed, each door its own way (Connect webhooks, Forge product events), and
 * the change reaches the served feed within seconds, by an incremental sync where one suffices.
 */
forEachDoor(
  (doorName) => {
    let jira: FakeJira;
    let app: TestApp;
    let site: InstalledSite;
    let feed: { id: string; url: string };

    withInstalledSite(doorName, { worker: true }, async (world) => {
      ({ jira, app, site } = world);
      const created = await site.api(ADMIN).post('/feeds', sampleFeedConfig({ name: 'Events feed' }));
      expect(created.status).toBe(201);
      feed = { id: String(created.body.id), url: String(created.body.url) };
      await waitFor(
        'the first sync',
        async () => (await app.services.syncRepository.find(site.clientKey, feed.id))?.state === 'ok',
      );
    });

    async function announce(change: JiraChange): Promise<void> {
      const statuses = await site.announce!(change);
      expect(statuses.length).toBeGreaterThan(0);
      expect(
        statuses.every((status) => status >= 200 && status < 300),
        String(statuses),
      ).toBe(true);
    }

    const served = (text: string, present = true) =>
      waitFor(
        `${present ? '' : 'no '}"${text}" in the served feed`,
        async () => (await fetchFeed(feed.url)).text.includes(text) === present,
        FRESH_WITHIN_MS,
      );

    const lastSync = async () => (await app.services.syncRepository.find(site.clientKey, feed.id))?.lastSync;

    it('an issue edit reaches the served feed', async () => {
      const issue = jira.data.issues.find((candidate) => candidate.key === 'CAL-1')!;
      issue.summary = 'Renamed and Jira said so';
      issue.updated = formatJiraDateTime(Date.now(), 'UTC');
      await announce({ kind: 'issue_updated', issueId: issue.id });
      await served('Renamed and Jira said so');
    });

    it('a moved release date reaches the feed, though no issue changed', async () => {
      const version = jira.data.versions.find((candidate) => candidate.id === '10101')!;
      expect((await fetchFeed(feed.url)).text).not.toContain('20260911');
      version.releaseDate = '2026-09-11';
      await announce({ kind: 'version_updated', versionId: version.id });
      await served('20260911');
    });

    it('a rescheduled sprint reaches the feed, though no issue changed', async () => {
      const sprint = jira.data.sprints.find((candidate) => candidate.state !== 'closed')!;
      expect((await fetchFeed(feed.url)).text).not.toContain('20261127');
      sprint.endDate = '2026-11-27T16:00:00.000Z';
      await announce({ kind: 'sprint_updated', sprintId: sprint.id });
      await served('20261127');
    });

    it('an added issue reaches the feed by an incremental sync that reads only it', async () => {
      const template = jira.data.issues.find((candidate) => candidate.key === 'CAL-1')!;
      jira.data.issues.push({
        ...structuredClone(template),
        id: '99101',
        key: 'CAL-951',
        summary: 'Created and Jira said so',
        // In no release, so no other issue is read again to rebuild one.
        fixVersions: [],
        updated: formatJiraDateTime(Date.now(), 'UTC'),
      });
      await announce({ kind: 'issue_created', issueId: '99101' });
      await served('Created and Jira said so');
      expect(await lastSync()).toMatchObject({ kind: 'incremental', issuesFetched: 1 });
    });

    it('a deleted issue leaves the feed by an incremental sync', async () => {
      expect((await fetchFeed(feed.url)).text).toContain('Created and Jira said so');
      jira.data.issues = jira.data.issues.filter((candidate) => candidate.id !== '99101');
      await announce({ kind: 'issue_deleted', issueId: '99101' });
      await served('Created and Jira said so', false);
      expect(await lastSync()).toMatchObject({ kind: 'incremental' });
    });

    it('an issue moved out of the query leaves the feed by an incremental sync', async () => {
      const issue = jira.data.issues.find((candidate) => candidate.key === 'CAL-1')!;
      expect((await fetchFeed(feed.url)).text).toContain('Renamed and Jira said so');
      issue.projectKey = 'OPS';
      issue.updated = formatJiraDateTime(Date.now(), 'UTC');
      try {
        await announce({ kind: 'issue_updated', issueId: issue.id });
        await served('Renamed and Jira said so', false);
        expect(await lastSync()).toMatchObject({ kind: 'incremental' });
      } finally {
        issue.projectKey = 'CAL';
      }
    });

    it('a burst of events for one site is one debounced job', async () => {
      for (let i = 0; i < 5; i += 1) await announce({ kind: 'issue_created', issueId: String(20_000 + i) });
      const pending = await app.db.knex.raw<{ rows: { n: string }[] }>(
        'SELECT count(*) AS n FROM graphile_worker.jobs WHERE key = ?',
        [siteChangedJobKey({ clientKey: site.clientKey })],
      );
      expect(Number(pending.rows[0]!.n)).toBeLessThanOrEqual(1);
    });
  },
  { datacenter: 'Jira Data Center sends the app no events: its feeds fall due on their schedule' },
);
