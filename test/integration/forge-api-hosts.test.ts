import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeForge } from '../support/fake-forge/fake-forge.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let forge: FakeForge;
let jira: FakeJira;
let other: FakeJira;
const apps: TestApp[] = [];

beforeAll(async () => {
  forge = await FakeForge.start({ retryDelayMs: 1 });
  jira = await FakeJira.start();
  other = await FakeJira.start();
});
afterAll(async () => {
  for (const app of apps) await app.stop();
  await forge?.stop();
  await jira?.stop();
  await other?.stop();
});

async function appTrusting(apiHosts: string[]): Promise<TestApp> {
  const app = await startTestApp({ config: { forge: { ...forge.appConfig, apiHosts } } });
  apps.push(app);
  return app;
}

const installationsOf = (app: TestApp) => app.db.knex('installations').select('client_key');

describe('FORGE_API_HOSTS with ports', () => {
  it('an entry with a port admits that port only: the other port gets 401 and nothing is stored', async () => {
    const app = await appTrusting([`127.0.0.1:${new URL(jira.apiBaseUrl).port}`]);
    const installed = await forge.install(app.url, jira);
    expect(installed.lastInstallDeliveries.at(-1)?.status).toBe(200);

    const refused = await forge.install(app.url, other);
    expect(refused.lastInstallDeliveries.map((delivery) => delivery.status)).toEqual([
      401, 401, 401, 401, 401,
    ]);
    expect((await installationsOf(app)).map((row) => row.client_key)).toEqual([installed.installationId]);
    expect(await app.db.knex('forge_system_tokens').where({ client_key: refused.installationId })).toEqual(
      [],
    );
  });

  it("an entry without a port admits https's default port only, not a loopback port", async () => {
    const app = await appTrusting(['127.0.0.1']);
    const refused = await forge.install(app.url, jira);
    expect(refused.lastInstallDeliveries.at(-1)?.status).toBe(401);
    expect(await installationsOf(app)).toEqual([]);
  });
});
