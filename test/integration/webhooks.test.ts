import * as jwt from 'atlassian-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { connectQsh } from '../support/jwt-helpers.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let jira: FakeJira;
let app: TestApp;

// No worker: a queued job stays in the table, so the count shows exactly what each webhook queued.
beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
  await jira.install(app.url);
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

const siteChangedJobs = async () =>
  Number(
    (
      await app.db.knex.raw<{ rows: { n: string }[] }>(
        "SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'site_changed'",
      )
    ).rows[0]!.n,
  );

const post = (path: string, authorization?: string) =>
  fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: '{}',
  });

const signed = (claims: Record<string, unknown>) => {
  const iat = Math.floor(Date.now() / 1000);
  return `JWT ${jwt.encodeSymmetric({ iss: jira.clientKey, iat, exp: iat + 180, ...claims }, jira.sharedSecretFor()!, jwt.SymmetricAlgorithm.HS256)}`;
};

/** What reaches the feed through each webhook is in jira-events.test.ts, for every door; this is Connect's own. */
describe('Connect webhooks', () => {
  it('refuses webhooks Jira did not sign for exactly that request, and queues nothing', async () => {
    const path = '/connect/webhooks/jira:issue_updated';
    const before = await siteChangedJobs();
    expect((await post(path)).status).toBe(401);
    expect((await post(path, signed({ qsh: 'context-qsh' }))).status).toBe(401);
    expect(
      (
        await post(
          path,
          signed({ qsh: connectQsh('POST', `${app.url}/connect/webhooks/sprint_updated`, app.url) }),
        )
      ).status,
    ).toBe(401);
    expect(
      (await post(path, signed({ qsh: connectQsh('POST', `${app.url}${path}`, app.url) }).replace(/.$/, 'x')))
        .status,
    ).toBe(401);
    const unknown = '/connect/webhooks/jira:worklog_updated';
    expect(
      (await post(unknown, signed({ qsh: connectQsh('POST', `${app.url}${unknown}`, app.url) }))).status,
    ).toBe(404);
    expect(await siteChangedJobs()).toBe(before);
    expect(await jira.sendWebhook(app.url, 'jira:issue_updated')).toEqual([204]);
    expect(await siteChangedJobs()).toBe(before + 1);
  });
});
