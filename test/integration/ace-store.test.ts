import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AceKnexStore } from '../../src/doors/connect/ace-store-adapter.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let jira: FakeJira;
let app: TestApp;
let store: AceKnexStore;

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
  await jira.install(app.url);
  store = new AceKnexStore(
    app.config.appKey,
    app.services.installationRepository,
    app.services.connectStoreRepository,
  );
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

describe('ACE on the knex store', () => {
  it('starts ACE without ever loading Sequelize', () => {
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.some((file) => file.includes('atlassian-connect-express'))).toBe(true);
    expect(loaded.filter((file) => file.includes(`${'/node_modules/'}sequelize/`))).toEqual([]);
  });

  it('serves clientInfo from the installations table', async () => {
    const info = (await store.get('clientInfo', jira.clientKey)) as Record<string, unknown>;
    expect(info).toMatchObject({
      key: app.config.appKey,
      clientKey: jira.clientKey,
      baseUrl: jira.baseUrl,
      sharedSecret: jira.sharedSecretFor(),
    });
    expect((await store.getAllClientInfos()).map((client) => client.clientKey)).toContain(jira.clientKey);
    expect(await store.get('clientInfo', 'unknown-site')).toBeNull();
  });

  it('keeps other keys per site and deletes them', async () => {
    await store.set('preferences', { colour: 'blue' }, jira.clientKey);
    expect(await store.get('preferences', jira.clientKey)).toEqual({ colour: 'blue' });
    expect(await store.get('preferences', 'another-site')).toBeNull();
    await store.del('preferences', jira.clientKey);
    expect(await store.get('preferences', jira.clientKey)).toBeNull();
  });

  it('deleting clientInfo uninstalls the site', async () => {
    await store.del('clientInfo', jira.clientKey);
    expect(await store.get('clientInfo', jira.clientKey)).toBeNull();
    expect(await app.db.knex('installations').where({ client_key: jira.clientKey }).first()).toMatchObject({
      state: 'uninstalled',
    });
  });
});
