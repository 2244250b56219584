import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeApi } from '../support/doors.js';
import { FakeForge, type FakeForgeInstallation } from '../support/fake-forge/fake-forge.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { storedState } from '../support/hostile.js';
import { ADMIN, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// One deployment of the EU region; Forge reaches it as the manifest's EU baseUrl, `<server>/region/EU`.
let forge: FakeForge;
let app: TestApp;
const sites: FakeJira[] = [];

beforeAll(async () => {
  forge = await FakeForge.start({ retryDelayMs: 1 });
  app = await startTestApp({ config: { forge: forge.appConfig, dataRegion: 'EU' } });
});
afterAll(async () => {
  await app?.stop();
  await forge?.stop();
  for (const site of sites) await site.stop();
});

async function newSite(): Promise<FakeJira> {
  const site = await FakeJira.start();
  sites.push(site);
  return site;
}
const rowsOf = async (installation: FakeForgeInstallation) => ({
  installations: await app.db.knex('installations').where({ client_key: installation.installationId }),
  tokens: await app.db.knex('forge_system_tokens').where({ client_key: installation.installationId }),
});
const logs = () => app.logs();

describe('a deployment with DATA_REGION=EU', () => {
  it('installs and serves a site Forge routed through the EU baseUrl, events and pages alike', async () => {
    const installation = await forge.install(`${app.url}/region/EU`, await newSite());
    expect(installation.lastInstallDeliveries.at(-1)?.status).toBe(200);
    expect((await rowsOf(installation)).installations).toHaveLength(1);
    const admin = forgeApi(installation, ADMIN);
    const created = await admin.post('/feeds', sampleFeedConfig({ name: 'EU feed' }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(await installation.deliverEvent('avi:jira:updated:issue', { issue: { id: '10001' } })).toEqual([
      { attempt: 0, status: 200 },
    ]);
    expect((await installation.runScheduledTrigger()).at(-1)?.status).toBe(200);
  });

  it.each([
    ['the US baseUrl', '/region/US'],
    ['the default baseUrl', '/region/default'],
    ['a baseUrl without a region', ''],
  ])(
    'refuses an installation Forge routed through %s with a JSON 421, stores nothing and says so in the log',
    async (_name, prefix) => {
      const before = await storedState(app);
      const installation = await forge.install(`${app.url}${prefix}`, await newSite());
      expect(installation.lastInstallDeliveries.map((delivery) => delivery.status)).toEqual([
        421, 421, 421, 421, 421,
      ]);
      const page = await installation.invokeRemote(
        { path: '/api/feeds', method: 'POST', body: sampleFeedConfig({ name: 'Elsewhere' }) },
        { accountId: ADMIN, moduleKey: 'calsync-admin' },
      );
      expect(page.status).toBe(421);
      expect(page.body).toMatchObject({ error: { code: 'wrong_data_region' } });
      expect(await rowsOf(installation)).toEqual({ installations: [], tokens: [] });
      expect(await storedState(app)).toEqual(before);
      expect(logs()).toContain('Forge invocation for another data region refused');
      for (const secret of forge.issued) expect(logs().includes(secret)).toBe(false);
    },
  );

  it("refuses an EU installation's call that arrives through another region's URL, and changes nothing", async () => {
    const installation = await forge.install(`${app.url}/region/EU`, await newSite());
    expect(installation.lastInstallDeliveries.at(-1)?.status).toBe(200);
    const before = await storedState(app);
    // As if the US URL led here: the same installation's hourly trigger, through /region/US.
    const response = await fetch(`${app.url}/region/US/forge/cron/hourly`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await forge.signFit(installation.claims('ev-hourly'))}`,
        'x-forge-oauth-system': installation.mintToken('system', { expiresInMs: 4 * 60 * 60_000 - 1000 })
          .token,
      },
      body: '{}',
    });
    expect(response.status).toBe(421);
    expect(await storedState(app)).toEqual(before);
  });
});
