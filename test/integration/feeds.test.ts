import ICAL from 'ical.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { checkIcs } from '../support/ics-check.js';
import { type ApiClient, forEachDoor, type InstalledSite, withInstalledSite } from '../support/doors.js';
import { ADMIN, fetchFeed, NON_ADMIN, sampleFeedConfig, EVERY_RULE_KIND } from '../support/site.js';
import type { TestApp } from '../support/test-app.js';

forEachDoor((doorName) => {
  let jira: FakeJira;
  let app: TestApp;
  let site: InstalledSite;
  let admin: ApiClient;

  withInstalledSite(doorName, {}, (world) => {
    ({ jira, app, site } = world);
    admin = site.api(ADMIN);
  });

  const vevents = (text: string) => new ICAL.Component(ICAL.parse(text)).getAllSubcomponents('vevent');

  describe('feed administration', () => {
    it('creates a feed, gives it a secret URL that serves a valid empty calendar before the first sync', async () => {
      const created = await admin.post('/feeds', sampleFeedConfig());
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'Calendar Platform dates', status: { state: 'queued' } });
      expect(created.body.url).toMatch(new RegExp(`^${app.url}/ical/[A-Za-z0-9_-]{43}\\.ics$`));
      const feed = await fetchFeed(created.body.url);
      expect(feed.status).toBe(200);
      expect(checkIcs(feed.text)).toEqual([]);
      expect(vevents(feed.text)).toHaveLength(0);
    });

    it('rejects bad configuration with field-level messages and stores nothing', async () => {
      const before = await admin.get('/feeds');
      const bad = await admin.post('/feeds', {
        ...sampleFeedConfig(),
        name: '',
        rules: [{ id: 'x', kind: 'timed', field: 'duedate', end: { type: 'duration', minutes: 0 } }],
      });
      expect(bad.status).toBe(400);
      const paths = bad.body.error.fields.map((field: { path: string }) => field.path);
      expect(paths).toContain('name');
      expect(paths).toContain('rules.0.end.minutes');

      const currentUser = await admin.post(
        '/feeds',
        sampleFeedConfig({ source: { type: 'jql', jql: 'assignee = currentUser()' } }),
      );
      expect(currentUser.status).toBe(400);
      expect(currentUser.body.error.fields[0]).toMatchObject({ path: 'source.jql' });
      expect(currentUser.body.error.fields[0].message).toMatch(/app user/);

      const badJql = await admin.post(
        '/feeds',
        sampleFeedConfig({ source: { type: 'jql', jql: 'project = CAL AND nosuchfield = 3' } }),
      );
      expect(badJql.status).toBe(400);
      expect(badJql.body.error.fields[0].path).toBe('source.jql');
      expect(badJql.body.error.fields[0].message).toMatch(/nosuchfield/);

      const wrongType = await admin.post(
        '/feeds',
        sampleFeedConfig({ rules: [{ id: 'due', kind: 'timed', field: 'duedate' }] }),
      );
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.error.fields).toEqual([
        { path: 'rules.0.field', message: expect.stringMatching(/date-time/) },
      ]);

      const notJson = await admin.raw('POST', '/feeds', '{"name":');
      expect(notJson.status).toBe(400);
      expect((await admin.get('/feeds')).body.feeds).toHaveLength(before.body.feeds.length);
    });

    it('lets only Jira administrators manage feeds', async () => {
      const user = site.api(NON_ADMIN);
      expect((await user.get('/feeds')).status).toBe(403);
      expect((await user.post('/feeds', sampleFeedConfig())).status).toBe(403);
    });
  });

  describe('every rule kind end to end', () => {
    it('turns each kind of rule into events that parse and follow the feed rules', async () => {
      const rules = EVERY_RULE_KIND;
      const created = await admin.post(
        '/feeds',
        sampleFeedConfig({
          name: 'All kinds',
          source: { type: 'jql', jql: 'project in (CAL, MKT, OPS)' },
          rules,
        }),
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(await app.services.sync.syncFeed(site.clientKey, created.body.id)).toMatchObject({
        status: 'ok',
      });
      const feed = await fetchFeed(created.body.url);
      expect(checkIcs(feed.text)).toEqual([]);
      const events = vevents(feed.text);
      const byRule = (ruleId: string) =>
        events.filter((event) => String(event.getFirstPropertyValue('uid')).includes(`-${ruleId}@`));
      for (const rule of rules) expect(byRule(rule.id).length, rule.id).toBeGreaterThan(0);
      for (const event of byRule('go-live'))
        expect((event.getFirstPropertyValue('dtstart') as ICAL.Time).isDate).toBe(false);
      for (const event of byRule('due'))
        expect((event.getFirstPropertyValue('dtstart') as ICAL.Time).isDate).toBe(true);
      const status = (await admin.get(`/feeds/${created.body.id}`)).body.status;
      expect(status.omittedCount).toBeGreaterThan(0);
      expect(Object.keys(status.omitted.byReason).length).toBeGreaterThan(0);
    });
  });

  describe('long queries', () => {
    it('syncs a JQL of 9,900 characters, which no GET query string would carry', async () => {
      const clauses = Array.from(
        { length: 600 },
        (_, i) => `summary ~ "nothing-like-${String(i).padStart(4, '0')}"`,
      );
      const build = () => `project = CAL AND NOT (${clauses.join(' OR ')})`;
      while (build().length > 9_900) clauses.pop();
      const jql = build();
      expect(jql.length).toBeGreaterThan(9_800);
      const created = await admin.post(
        '/feeds',
        sampleFeedConfig({ name: 'Long query', source: { type: 'jql', jql } }),
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const outcome = await app.services.sync.syncFeed(site.clientKey, created.body.id);
      expect(outcome).toMatchObject({ status: 'ok' });
      expect((outcome as { eventCount: number }).eventCount).toBeGreaterThan(0);
      expect((await admin.delete(`/feeds/${created.body.id}`)).status).toBe(204);
    });
  });

  describe('sync and serving', () => {
    let feedId: string;
    let url: string;

    beforeAll(async () => {
      const created = await admin.post('/feeds', sampleFeedConfig({ name: 'Synced feed' }));
      feedId = created.body.id;
      url = created.body.url;
    });

    it('syncs through the fake Jira, asking only for the fields the feed needs', async () => {
      // Data Center searches with REST v2 (POST /search, startAt paging); Cloud with v3's /search/jql.
      const requests = site.dc?.requests ?? jira.requests;
      const searchPath = site.dc ? '/rest/api/2/search' : '/rest/api/3/search/jql';
      requests.length = 0;
      const outcome = await app.services.sync.syncFeed(site.clientKey, feedId);
      expect(outcome).toMatchObject({ status: 'ok', rendered: true });
      const searches = requests.filter((request) => request.path.endsWith(searchPath));
      expect(searches.length).toBeGreaterThan(0);
      const { fields } = searches[0]!.body as { fields: string[] };
      expect(fields).toContain('duedate');
      expect(fields).toContain('customfield_10020');
      expect(fields).not.toContain('description');
      expect(fields).not.toContain('*all');

      const status = (await admin.get(`/feeds/${feedId}`)).body.status;
      expect(status).toMatchObject({ state: 'ok', error: null });
      expect(status.eventCount).toBeGreaterThan(0);
      expect(status.lastExportAt).not.toBeNull();
      expect(typeof status.durationMs).toBe('number');
    });

    it('serves a calendar that parses and follows the project feed rules', async () => {
      const feed = await fetchFeed(url);
      expect(feed.status).toBe(200);
      expect(feed.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
      expect(feed.headers.get('content-disposition')).toBeNull();
      expect(checkIcs(feed.text)).toEqual([]);
      const status = (await admin.get(`/feeds/${feedId}`)).body.status;
      expect(vevents(feed.text)).toHaveLength(status.eventCount);
      expect(status.sizeBytes).toBe(Buffer.byteLength(feed.text));
      const uids = vevents(feed.text).map((event) => String(event.getFirstPropertyValue('uid')));
      expect(
        uids.some((uid) => new RegExp(`^\\d+-due@${feedId}\\.[0-9a-f]{20}\\.calendar-sync$`).test(uid)),
      ).toBe(true);
      expect(uids.some((uid) => uid.startsWith('sprint-'))).toBe(true);
      expect(uids.some((uid) => uid.startsWith('version-'))).toBe(true);
    });

    it('re-syncing unchanged data keeps the same bytes and validators', async () => {
      const first = await fetchFeed(url);
      const outcome = await app.services.sync.syncFeed(site.clientKey, feedId);
      expect(outcome).toMatchObject({ status: 'ok', rendered: false });
      const second = await fetchFeed(url);
      expect(second.text).toBe(first.text);
      expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(second.headers.get('last-modified')).toBe(first.headers.get('last-modified'));
    });

    it('answers conditional, HEAD and gzip requests correctly', async () => {
      const full = await fetchFeed(url);
      const etag = full.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect((await fetchFeed(url, { 'if-none-match': etag })).status).toBe(304);
      expect((await fetchFeed(url, { 'if-none-match': '"something-else"' })).status).toBe(200);
      expect((await fetchFeed(url, { 'if-modified-since': full.headers.get('last-modified')! })).status).toBe(
        304,
      );
      expect((await fetchFeed(url, { 'if-modified-since': new Date(0).toUTCString() })).status).toBe(200);

      const head = await fetch(url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('etag')).toBe(etag);
      expect(await head.text()).toBe('');

      const { request } = await import('node:http');
      const gzipped = await new Promise<{ encoding: string | undefined; length: number }>(
        (resolve, reject) => {
          const req = request(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
            let length = 0;
            res.on('data', (chunk: Buffer) => (length += chunk.length));
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], length }));
          });
          req.on('error', reject);
          req.end();
        },
      );
      expect(gzipped.encoding).toBe('gzip');
      expect(gzipped.length).toBeLessThan(Buffer.byteLength(full.text));
      const plain = await new Promise<string | undefined>((resolve, reject) => {
        const req = request(url, (res) => {
          res.resume();
          resolve(res.headers['content-encoding']);
        });
        req.on('error', reject);
        req.end();
      });
      expect(plain).toBeUndefined();
    });

    it('keeps serving the last good feed when a sync fails, and says why', async () => {
      const before = await fetchFeed(url);
      const faults = site.dc?.faults ?? jira.faults;
      faults.failNext(50, { status: 500 });
      const outcome = await app.services.sync.syncFeed(site.clientKey, feedId);
      faults.clear();
      expect(outcome).toMatchObject({ status: 'failed', retryable: true });
      const after = await fetchFeed(url);
      expect(after.text).toBe(before.text);
      const status = (await admin.get(`/feeds/${feedId}`)).body.status;
      expect(status.state).toBe('error');
      expect(status.error.message).toMatch(/Jira/);
      expect(status.lastExportAt).not.toBeNull();
      expect((await app.services.sync.syncFeed(site.clientKey, feedId)).status).toBe('ok');
    });

    it('rotates the secret URL: the old one stops working at once', async () => {
      const rotated = await admin.post(`/feeds/${feedId}/rotate-url`);
      expect(rotated.status).toBe(200);
      expect(rotated.body.url).not.toBe(url);
      const old = await fetchFeed(url);
      expect(old.status).toBe(404);
      expect(old.text).toBe('');
      expect((await fetchFeed(rotated.body.url)).status).toBe(200);
      url = rotated.body.url;
    });

    it('gives unknown and malformed tokens the same bare 404', async () => {
      for (const token of ['x', 'A'.repeat(43), '../../etc/passwd', 'B'.repeat(5000)]) {
        const response = await fetchFeed(`${app.url}/ical/${encodeURIComponent(token)}.ics`);
        expect(response.status).toBe(404);
        expect(response.text).toBe('');
      }
    });

    it('records fetches for the subscription', async () => {
      await fetch(url, { headers: { 'user-agent': 'Google-Calendar-Importer' } });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [row] = await app.db
        .knex('feed_subscriptions')
        .where({ feed_id: feedId })
        .whereNull('revoked_at');
      expect(row.fetch_count).toBeGreaterThan(0);
      expect(row).not.toHaveProperty('last_user_agent');
    });

    it('updates, duplicates and deletes feeds', async () => {
      const current = (await admin.get(`/feeds/${feedId}`)).body;
      const updated = await admin.put(`/feeds/${feedId}`, { ...current.config, name: 'Renamed feed' });
      expect(updated.status).toBe(200);
      expect(updated.body.name).toBe('Renamed feed');
      const copy = await admin.post(`/feeds/${feedId}/duplicate`);
      expect(copy.status).toBe(201);
      expect(copy.body.name).toBe('Copy of Renamed feed');
      expect(copy.body.url).not.toBe(url);
      expect((await admin.delete(`/feeds/${copy.body.id}`)).status).toBe(204);
      expect((await admin.get(`/feeds/${copy.body.id}`)).status).toBe(404);
      expect((await fetchFeed(copy.body.url)).status).toBe(404);
    });

    it('keeps the stored feed when an update is invalid', async () => {
      const before = (await admin.get(`/feeds/${feedId}`)).body;
      const bad = await admin.put(`/feeds/${feedId}`, { ...before.config, issueCap: -1 });
      expect(bad.status).toBe(400);
      expect(bad.body.error.fields[0].path).toBe('issueCap');
      expect((await admin.get(`/feeds/${feedId}`)).body.config).toEqual(before.config);
    });
  });
});
