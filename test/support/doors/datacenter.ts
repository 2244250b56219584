import { dataCenterClientKey } from '../../../src/doors/datacenter/datacenter-door.js';
import { type DataCenterBrowser, signInThroughJira, startDataCenterApp } from '../datacenter.js';
import { FakeJiraDc } from '../fake-jira-dc/fake-jira-dc.js';
import type { FakeJira } from '../fake-jira/fake-jira.js';
import { apiClient } from '../site.js';
import type { TestApp, TestAppOptions } from '../test-app.js';
import type { DoorApp, InstalledSite } from './door.js';

type Deployment = { dc: FakeJiraDc; app: TestApp };

/**
 * The Data Center edition: a fake Jira DC over the given FakeJira's data (so a suite's edits to
 * `jira.data` show through it), and one deployment of the app with an application link to it. One
 * deployment serves one Jira, so each further site gets a deployment of its own on the same database.
 */
export async function startDataCenterDoor(jira: FakeJira, options: TestAppOptions = {}): Promise<DoorApp> {
  const started: Deployment[] = [];
  const deploy = async (site: FakeJira, extra: TestAppOptions): Promise<Deployment> => {
    const dc = await FakeJiraDc.start({ data: site.data });
    try {
      const { app } = await startDataCenterApp(dc, { ...options, ...extra });
      started.push({ dc, app });
      return { dc, app };
    } catch (error) {
      await dc.stop();
      throw error;
    }
  };
  const first = await deploy(jira, {});
  let firstInstalled = false;
  return {
    door: 'datacenter',
    app: first.app,
    forge: null,
    async install(site) {
      if (site === jira && !firstInstalled) {
        firstInstalled = true;
        return dataCenterSite(first, site);
      }
      return dataCenterSite(await deploy(site, { db: first.app.db }), site);
    },
    async stop() {
      // The first deployment owns the database; the others share it, so they stop first.
      for (const { dc, app } of started.reverse()) {
        await app.stop();
        await dc.stop();
      }
    },
  };
}

/** A site's users sign in through Jira's OAuth pages the first time they call the API. */
function dataCenterSite({ dc, app }: Deployment, site: FakeJira): InstalledSite {
  const sessions = new Map<string, Promise<DataCenterBrowser>>();
  const signedIn = (accountId: string): Promise<DataCenterBrowser> => {
    let session = sessions.get(accountId);
    if (!session) {
      session = signInThroughJira(app, dc, accountId);
      // A failed sign-in (a deactivated user, say) is tried again on the next call.
      session.catch(() => sessions.delete(accountId));
      sessions.set(accountId, session);
    }
    return session;
  };
  const clientKey = dataCenterClientKey(dc.baseUrl);
  return {
    door: 'datacenter',
    app,
    jira: site,
    clientKey,
    api: (accountId) =>
      apiClient(async (method, path, body) => {
        const response = await (await signedIn(accountId)).api.raw(method, path, body);
        // A session the app ended (erasure, sign-out) sends the user to sign in again, as the pages do.
        if (response.status === 401) sessions.delete(accountId);
        return response;
      }),
    uninstall: () => app.services.installations.uninstall(clientKey, 'datacenter'),
    userId: (accountId) => dc.userKey(accountId),
    async credentials(accountId) {
      const { sessionCookie, csrfToken } = await signedIn(accountId);
      return { cookie: sessionCookie, 'x-csrf-token': csrfToken };
    },
    async secrets() {
      const found: Record<string, string> = {};
      if (app.config.datacenter) {
        found['application link client secret'] = app.config.datacenter.clientSecret;
        found['token encryption key'] = app.config.datacenter.tokenEncryptionKey.toString('base64');
      }
      for (const [accountId, session] of sessions) {
        const browser = await session.catch(() => null);
        if (!browser) continue;
        const { sessionCookie } = browser;
        found[`session cookie of ${accountId}`] = sessionCookie.slice(sessionCookie.indexOf('=') + 1);
        found[`Jira password of ${accountId}`] = dc.passwordOf(accountId);
        dc.currentRefreshTokens(accountId).forEach((token, index) => {
          found[`refresh token #${index} of ${accountId}`] = token;
        });
      }
      return found;
    },
    announce: null,
    async closeAccount(accountId) {
      dc.deleteUser(accountId);
      for (let step = 0; ; step += 1) {
        const { status } = await app.services.userSweeps.step(clientKey, 50);
        if (status === 'done') return;
        if (status === 'idle') throw new Error(`the user sweep of ${clientKey} was not due (step ${step})`);
      }
    },
    faults: dc.faults,
    forge: null,
    dc,
  };
}
