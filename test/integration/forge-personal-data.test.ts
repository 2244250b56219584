import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForgeFunctions, FUNCTIONS_DIR } from '../../scripts/forge-build.js';
import { reportDueAccounts, type RunSummary } from '../../forge/src/report-personal-data.js';
import { FORGE_PRIVACY_ROUTES } from '../../src/doors/forge/forge-privacy-router.js';
import { type DoorApp, type InstalledSite, publishTeamFeed, startDoorApp } from '../support/doors.js';
import { FakeAtlassianPrivacy } from '../support/fake-atlassian-privacy.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';
import { ADMIN, fetchFeed } from '../support/site.js';
import { waitFor } from '../support/wait.js';

const A = SEED_ACCOUNTS;
type Handler = (event: Record<string, unknown>, context: Record<string, unknown>) => Promise<RunSummary>;

/**
 * Personal Data Reporting on Forge, end to end: the function forge:build bundles (with the real
 * @forge/api inside) runs in this process on the fake Forge platform, asks the app over HTTP for the
 * accounts due, reports them to the fake report-accounts API and hands the answer back.
 */
let bundleDir: string;
let handler: Handler;
let jira: FakeJira;
let otherJira: FakeJira;
let door: DoorApp;
let site: InstalledSite;
let otherSite: InstalledSite;
let atlassian: FakeAtlassianPrivacy;
let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);

beforeAll(async () => {
  bundleDir = await mkdtemp(path.join(tmpdir(), 'calsync-pdr-'));
  await buildForgeFunctions(bundleDir);
  ({ run: handler } = createRequire(import.meta.url)(
    path.join(bundleDir, FUNCTIONS_DIR, 'report-personal-data.js'),
  ) as { run: Handler });
  jira = await FakeJira.start();
  otherJira = await FakeJira.start();
  // Forge reaches report-accounts at api.atlassian.com; closing an account there anonymises it on site A only.
  atlassian = jira.privacy;
  door = await startDoorApp('forge', jira, { worker: true, now });
  door.forge!.atlassianApiUrl = await atlassian.serveForge();
  site = await door.install(jira);
  otherSite = await door.install(otherJira);
  for (const each of [site, otherSite]) await setUpData(each);
});
afterAll(async () => {
  await door?.stop();
  await atlassian?.stop();
  await jira?.stop();
  await otherJira?.stop();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

/** A feed divided by assignee, synced, and Bob's two personal URLs to it. */
async function setUpData(target: InstalledSite) {
  expect((await publishTeamFeed(target, A.bob, 'Reporting')).personal).toHaveLength(2);
}

const runFunction = (target: InstalledSite) => target.forge!.runFunction('calsync-pdr', handler);
const personalUrls = async (target: InstalledSite, accountId: string) =>
  ((await target.api(accountId).get('/me/calendars')).body.calendars as { url: string }[]).map(
    (calendar) => calendar.url,
  );
const storedAbout = async (target: InstalledSite, accountId: string) =>
  (await target.api(ADMIN).get(`/privacy/accounts/${encodeURIComponent(accountId)}`)).body as {
    subscriptions: unknown[];
    cachedAccount: unknown;
    eventsNamingAccount: unknown[];
  };
const registryRows = (clientKey: string) =>
  door.app.db.knex('personal_data_accounts').where({ client_key: clientKey }).orderBy('account_id');

describe('who may call the reporting routes', () => {
  it("refuses a page's invocation on both routes with 403 and changes nothing", async () => {
    const before = await registryRows(site.clientKey);
    const reportsBefore = atlassian.calls.length;
    for (const moduleKey of ['calsync-admin', 'calsync-my-calendars']) {
      const asked = await site.forge!.invokeRemote(
        { path: FORGE_PRIVACY_ROUTES.nextBatch, method: 'POST', body: {} },
        { accountId: ADMIN, moduleKey },
      );
      expect(asked.status, moduleKey).toBe(403);
      const answered = await site.forge!.invokeRemote(
        {
          path: FORGE_PRIVACY_ROUTES.answer,
          method: 'POST',
          body: {
            batchId: 'any',
            answer: { kind: 'answered', accounts: [{ accountId: A.bob, status: 'closed' }] },
          },
        },
        { accountId: ADMIN, moduleKey },
      );
      expect(answered.status, moduleKey).toBe(403);
    }
    expect(await registryRows(site.clientKey)).toEqual(before);
    expect(atlassian.calls.length).toBe(reportsBefore);
    expect(await personalUrls(site, A.bob)).toHaveLength(2);
  });

  it('refuses other modules with 403, a bad token with 401, and names the field of a bad answer', async () => {
    const forge = site.forge!;
    for (const moduleKey of ['ev-issue', 'calsync-hourly', 'ui-admin'])
      expect(
        (await forge.invokeRemoteAs(moduleKey, FORGE_PRIVACY_ROUTES.nextBatch, {})).status,
        moduleKey,
      ).toBe(403);
    expect(
      (
        await forge.invokeRemoteAs(
          'calsync-pdr-hourly',
          FORGE_PRIVACY_ROUTES.nextBatch,
          {},
          { kid: 'unknown' },
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await forge.invokeRemoteAs(
          'calsync-pdr-hourly',
          FORGE_PRIVACY_ROUTES.nextBatch,
          {},
          {
            claims: { principal: A.bob },
          },
        )
      ).status,
    ).toBe(403);
    const bad = await forge.invokeRemoteAs('calsync-pdr-hourly', FORGE_PRIVACY_ROUTES.answer, {
      batchId: 'b',
      answer: { kind: 'answered', accounts: [{ accountId: A.bob, status: 'gone' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: { code: 'invalid_request', fields: [{ path: 'answer.accounts.0.status' }] },
    });
    const throttled = await forge.invokeRemoteAs('calsync-pdr-hourly', FORGE_PRIVACY_ROUTES.answer, {
      batchId: 'b',
      answer: { kind: 'throttled', retryAfterSeconds: -1 },
    });
    expect(throttled.body).toMatchObject({ error: { fields: [{ path: 'answer.retryAfterSeconds' }] } });
  });
});

describe('the reporting function', () => {
  it("erases a closed account, re-syncs an updated one's feeds, and leaves the other site alone", async () => {
    const admin = site.api(ADMIN);
    const feed = (await admin.get('/feeds')).body.feeds[0] as { id: string; url: string };
    const syncedBefore = (await door.app.services.syncRepository.find(site.clientKey, feed.id))!
      .lastSuccessAt!;
    const bobsUrls = await personalUrls(site, A.bob);
    const otherBobsUrls = await personalUrls(otherSite, A.bob);
    atlassian.close(A.bob);
    atlassian.update(A.alice);
    const summary = await runFunction(site);
    expect(summary).toEqual({ batches: 1, stoppedBy: 'nothing_due' });

    const [call] = atlassian.calls.slice(-1);
    expect(call).toMatchObject({ via: 'forge', status: 200 });
    expect(call!.answered).toEqual(
      expect.arrayContaining([
        { accountId: A.bob, status: 'closed' },
        { accountId: A.alice, status: 'updated' },
      ]),
    );
    const reported = call!.accounts;
    expect(reported.length).toBeLessThanOrEqual(90);
    expect(reported.map((account) => account.accountId)).toEqual(expect.arrayContaining([A.alice, A.bob]));
    for (const account of reported) expect(Date.parse(account.updatedAt)).not.toBeNaN();

    for (const url of bobsUrls) expect((await fetchFeed(url)).status).toBe(404);
    const served = await waitFor('the re-synced feed without Bob', async () => {
      const current = await fetchFeed(feed.url);
      return current.status === 200 && !current.text.includes('Bob Brown') ? current : null;
    });
    // Jira now shows the account as a former user; the issues stay assigned to its id, without a name.
    expect(served.text).toContain('Former user');
    expect(await storedAbout(site, A.bob)).toMatchObject({ subscriptions: [], cachedAccount: null });
    await waitFor('the re-sync for the updated account', async () => {
      const status = await door.app.services.syncRepository.find(site.clientKey, feed.id);
      return status?.lastSuccessAt && status.lastSuccessAt > syncedBefore ? status : null;
    });

    // The other site was not asked about, and keeps everything.
    for (const url of otherBobsUrls) expect((await fetchFeed(url)).status).toBe(200);
    const kept = await storedAbout(otherSite, A.bob);
    expect(kept.subscriptions).toHaveLength(2);
    expect(kept.cachedAccount).not.toBeNull();
    expect(kept.eventsNamingAccount).not.toEqual([]);
    const unreported = await registryRows(otherSite.clientKey);
    expect(unreported.every((row: { reported_at: Date | null }) => row.reported_at === null)).toBe(true);

    // Nothing is due again this cycle: the next run asks Atlassian nothing.
    const requests = atlassian.calls.length;
    expect(await runFunction(site)).toEqual({ batches: 0, stoppedBy: 'nothing_due' });
    expect(atlassian.calls.length).toBe(requests);
  });

  it("holds the site's next batch back for the 30 s a 429 names", async () => {
    atlassian.failNext({ status: 429, retryAfterSeconds: 30 });
    expect(await runFunction(otherSite)).toEqual({ batches: 1, stoppedBy: 'throttled' });
    const requests = atlassian.calls.length;

    offsetMs += 29_000;
    expect(await runFunction(otherSite)).toEqual({ batches: 0, stoppedBy: 'nothing_due' });
    expect(atlassian.calls.length).toBe(requests);

    offsetMs += 2_000;
    expect(await runFunction(otherSite)).toEqual({ batches: 1, stoppedBy: 'nothing_due' });
    expect(atlassian.calls.length).toBe(requests + 1);
  });

  it('re-syncs the feeds naming an account Atlassian calls updated, and erases nothing', async () => {
    const thirdJira = await FakeJira.start();
    const fresh = new FakeAtlassianPrivacy();
    try {
      const third = await door.install(thirdJira);
      await setUpData(third);
      const feed = (await third.api(ADMIN).get('/feeds')).body.feeds[0] as { id: string };
      const syncedBefore = (await door.app.services.syncRepository.find(third.clientKey, feed.id))!
        .lastSuccessAt!;
      door.forge!.atlassianApiUrl = await fresh.serveForge();
      fresh.update(A.alice, new Date(now().getTime() + 1_000));
      expect(await runFunction(third)).toEqual({ batches: 1, stoppedBy: 'nothing_due' });
      expect(fresh.calls.map((call) => call.answered)).toEqual([[{ accountId: A.alice, status: 'updated' }]]);
      await waitFor('the re-sync of the feed naming the updated account', async () => {
        const status = await door.app.services.syncRepository.find(third.clientKey, feed.id);
        return status?.lastSuccessAt && status.lastSuccessAt > syncedBefore ? status : null;
      });
      expect((await storedAbout(third, A.bob)).subscriptions).toHaveLength(2);
    } finally {
      door.forge!.atlassianApiUrl = await atlassian.serveForge();
      await fresh.stop();
      await thirdJira.stop();
    }
  });

  it('hands back any other refusal as a failure with its status and message, and a lost connection as 0', async () => {
    const failing = async () =>
      (await door.app.services.personalDataReporting.status(otherSite.clientKey)).failing;
    offsetMs += 8 * 24 * 3_600_000;
    atlassian.failNext({ status: 503 });
    expect(await runFunction(otherSite)).toEqual({ batches: 1, stoppedBy: 'failed' });
    expect(await failing()).toMatchObject({
      failures: 1,
      status: 503,
      message: 'SERVER_ERROR: Try again later',
    });

    offsetMs += 60_000;
    atlassian.failNext({ drop: true });
    expect(await runFunction(otherSite)).toEqual({ batches: 1, stoppedBy: 'failed' });
    expect(await failing()).toMatchObject({ failures: 2, status: 0 });
  });

  it('starts no batch once its time budget is spent', async () => {
    const calls = atlassian.calls.length;
    let clock = 0;
    const summary = await site.forge!.runFunction('calsync-pdr', () =>
      reportDueAccounts({ timeBudgetMs: 1_000, now: () => (clock += 1_000) }),
    );
    expect(summary).toEqual({ batches: 0, stoppedBy: 'time_budget' });
    expect(atlassian.calls.length).toBe(calls);
  });
});
