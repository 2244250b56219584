import { randomBytes } from 'node:crypto';
import type { FakeJira } from '../fake-jira/fake-jira.js';
import { apiAs, registerSite } from '../site.js';
import { startTestApp, type TestApp, type TestAppOptions } from '../test-app.js';
import type { DoorApp, InstalledSite, JiraChange } from './door.js';

/** The webhook the Connect descriptor subscribes to for each change. */
const WEBHOOK_OF: Record<JiraChange['kind'], string> = {
  issue_created: 'jira:issue_created',
  issue_updated: 'jira:issue_updated',
  issue_deleted: 'jira:issue_deleted',
  version_updated: 'jira:version_updated',
  sprint_updated: 'sprint_updated',
};

/** The app as Jira Cloud reaches it through Connect: install keys from the first site's key service. */
export async function startConnectDoor(jira: FakeJira, options: TestAppOptions = {}): Promise<DoorApp> {
  const app = await startTestApp({ connectKeysUrl: jira.keysUrl, ...options });
  return {
    door: 'connect',
    app,
    forge: null,
    install: (site) => installConnect(app, site),
    stop: () => app.stop(),
  };
}

/** A site installed through Connect's signed lifecycle, or registered directly when the app trusts another site's keys. */
export async function installConnect(app: TestApp, jira: FakeJira): Promise<InstalledSite> {
  const signedInstall = app.config.connectKeysUrl === jira.keysUrl;
  let secret: string;
  if (signedInstall) {
    const installed = await jira.install(app.url);
    if (installed.status !== 204)
      throw new Error(`Connect install answered ${installed.status}: ${installed.body}`);
    secret = installed.sharedSecret;
  } else {
    secret = randomBytes(36).toString('base64url');
    jira.trustApp(secret);
    await registerSite(app, jira, secret);
  }
  return {
    door: 'connect',
    app,
    jira,
    clientKey: jira.clientKey,
    api: (accountId) => apiAs(app, jira, accountId),
    async uninstall() {
      if (!signedInstall) return app.services.installations.uninstall(jira.clientKey, 'connect');
      const response = await jira.uninstall(app.url);
      if (response.status !== 204) throw new Error(`Connect uninstall answered ${response.status}`);
    },
    userId: (accountId) => accountId,
    credentials: (accountId) => Promise.resolve({ authorization: `JWT ${jira.contextToken({ accountId })}` }),
    secrets: () => Promise.resolve({ 'Connect shared secret': secret }),
    announce: (change) => jira.sendWebhook(app.url, WEBHOOK_OF[change.kind]),
    async closeAccount(accountId) {
      jira.privacy.close(accountId);
      // The site's next batch is due now, whatever pace the worker's tick set.
      await app.services.personalDataReportRepository.update(jira.clientKey, { nextBatchAt: new Date(0) });
      if (!(await app.connectPersonalData.reportNext(jira.clientKey)))
        throw new Error('Connect sent no Personal Data Reporting batch');
    },
    faults: jira.faults,
    forge: null,
    dc: null,
  };
}
