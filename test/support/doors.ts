import { randomBytes } from 'node:crypto';
import { dataCenterClientKey } from '../../src/doors/datacenter/datacenter-door.js';
import { signInThroughJira, startDataCenterApp } from './datacenter.js';
import { FakeForge, type FakeForgeInstallation } from './fake-forge/fake-forge.js';
import { FakeJiraDc } from './fake-jira-dc/fake-jira-dc.js';
import { FakeJira } from './fake-jira/fake-jira.js';
import { type ApiRequest, apiAs, apiClient, registerSite } from './site.js';
import { startTestApp, type TestApp, type TestAppOptions } from './test-app.js';

/**
 * The front doors a site can come through: Connect and Forge for Jira Cloud, and the Data Center
 * edition (one deployment per self-managed Jira, people signed in with Jira's OAuth 2.0). Suites that
 * hold for every door run once per door.
 */
export const DOORS = ['connect', 'forge', 'datacenter'] as const;
export type DoorName = (typeof DOORS)[number];

export type ApiClient = ReturnType<typeof apiAs>;

/** One installed site as its users reach the app: through Connect's iframe JWTs or Forge's invokeRemote. */
export type InstalledSite = {
  door: DoorName;
  jira: FakeJira;
  /** The tenant key the app stores the site under (Connect clientKey or Forge installation id). */
  clientKey: string;
  api(accountId: string): ApiClient;
  uninstall(): Promise<void>;
  /** The Forge installation behind the site, for Forge-only steps (events, triggers). */
  forge: FakeForgeInstallation | null;
  /** The fake Jira Data Center serving the site's data, for Data Center-only steps. */
  dc: FakeJiraDc | null;
  /** The id the app knows a seeded user by: the Cloud account id, or the Data Center user key. */
  userId(accountId: string): string;
};

export type DoorApp = {
  app: TestApp;
  forge: FakeForge | null;
  install(jira: FakeJira): Promise<InstalledSite>;
  stop(): Promise<void>;
};

/** The app with the door's platform beside it: a fake Forge for 'forge', Connect's install keys for 'connect'. */
export async function startDoorApp(
  door: DoorName,
  jira: FakeJira,
  options: TestAppOptions = {},
): Promise<DoorApp> {
  if (door === 'datacenter') return startDataCenterDoorApp(jira, options);
  const forge = door === 'forge' ? await FakeForge.start({ retryDelayMs: 20 }) : null;
  const app = await startTestApp({
    connectKeysUrl: jira.keysUrl,
    ...options,
    config: { ...options.config, ...(forge ? { forge: forge.appConfig } : {}) },
  });
  return {
    app,
    forge,
    install: (site) => installThrough(door, app, site, forge),
    async stop() {
      await app.stop();
      await forge?.stop();
    },
  };
}

export async function installThrough(
  door: DoorName,
  app: TestApp,
  jira: FakeJira,
  forge: FakeForge | null,
): Promise<InstalledSite> {
  if (door === 'connect') {
    const signedInstall = app.config.connectKeysUrl === jira.keysUrl;
    if (signedInstall) {
      const installed = await jira.install(app.url);
      if (installed.status !== 204)
        throw new Error(`Connect install answered ${installed.status}: ${installed.body}`);
    } else {
      // The app fetches install keys from the first site's key service only; register this one directly.
      const secret = randomBytes(36).toString('base64url');
      jira.trustApp(secret);
      await registerSite(app, jira, secret);
    }
    return {
      door,
      jira,
      clientKey: jira.clientKey,
      api: (accountId) => apiAs(app, jira, accountId),
      async uninstall() {
        if (!signedInstall) return app.services.installations.uninstall(jira.clientKey, 'connect');
        const response = await jira.uninstall(app.url);
        if (response.status !== 204) throw new Error(`Connect uninstall answered ${response.status}`);
      },
      forge: null,
      dc: null,
      userId: (accountId) => accountId,
    };
  }
  if (door === 'datacenter') throw new Error('the Data Center door installs through its own deployment');
  if (!forge) throw new Error('the Forge door needs a fake Forge platform');
  const installation = await forge.install(app.url, jira);
  const last = installation.lastInstallDeliveries.at(-1);
  if (last?.status !== 200) throw new Error(`Forge install event answered ${String(last?.status)}`);
  return {
    door,
    jira,
    clientKey: installation.installationId,
    api: (accountId) => forgeApi(installation, accountId),
    async uninstall() {
      const attempts = await installation.uninstall();
      if (attempts.at(-1)?.status !== 200)
        throw new Error(`preUninstall answered ${String(attempts.at(-1)?.status)}`);
    },
    forge: installation,
    dc: null,
    userId: (accountId) => accountId,
  };
}

/**
 * The Data Center edition: a fake Jira DC over the given FakeJira's data (so a suite's edits to
 * `jira.data` show through it), and one deployment of the app with an application link to it. One
 * deployment serves one Jira, so each further site gets a deployment of its own on the same database.
 * A site's users sign in through Jira's OAuth pages the first time they call the API.
 */
async function startDataCenterDoorApp(jira: FakeJira, options: TestAppOptions): Promise<DoorApp> {
  const started: { dc: FakeJiraDc; app: TestApp }[] = [];
  const deploy = async (site: FakeJira, extra: TestAppOptions): Promise<{ dc: FakeJiraDc; app: TestApp }> => {
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
  const siteOf = (deployment: { dc: FakeJiraDc; app: TestApp }, site: FakeJira): InstalledSite => {
    const { dc, app } = deployment;
    const sessions = new Map<string, Promise<ApiClient>>();
    const signedIn = (accountId: string): Promise<ApiClient> => {
      let session = sessions.get(accountId);
      if (!session) {
        session = signInThroughJira(app, dc, accountId).then((browser) => browser.api);
        // A failed sign-in (a deactivated user, say) is tried again on the next call.
        session.catch(() => sessions.delete(accountId));
        sessions.set(accountId, session);
      }
      return session;
    };
    return {
      door: 'datacenter',
      jira: site,
      clientKey: dataCenterClientKey(dc.baseUrl),
      api: (accountId) =>
        apiClient(async (method, path, body) => {
          const response = await (await signedIn(accountId)).raw(method, path, body);
          // A session the app ended (erasure, sign-out) sends the user to sign in again, as the pages do.
          if (response.status === 401) sessions.delete(accountId);
          return response;
        }),
      uninstall: () => app.services.installations.uninstall(dataCenterClientKey(dc.baseUrl), 'datacenter'),
      forge: null,
      dc,
      userId: (accountId) => dc.userKey(accountId),
    };
  };
  let firstInstalled = false;
  return {
    app: first.app,
    forge: null,
    async install(site) {
      if (site === jira && !firstInstalled) {
        firstInstalled = true;
        return siteOf(first, site);
      }
      return siteOf(await deploy(site, { db: first.app.db }), site);
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

/** The same calls apiAs makes, sent as a Custom UI page would: invokeRemote from the feeds admin page. */
export function forgeApi(
  installation: FakeForgeInstallation,
  accountId: string,
  moduleKey = 'calsync-admin',
): ApiClient {
  const request: ApiRequest = async (method, path, body) => {
    const response = await installation.invokeRemote(
      {
        path: `/api${path}`,
        method,
        ...(body === undefined ? {} : typeof body === 'string' ? { rawBody: body } : { body }),
      },
      { accountId, moduleKey },
    );
    return { status: response.status, body: response.body, headers: new Headers(response.headers) };
  };
  return apiClient(request);
}

/** A fresh fake Jira, the app behind `door`, and the site installed through it; `stop` ends all three. */
export async function startInstalledSite(
  door: DoorName,
  options: TestAppOptions = {},
): Promise<{ jira: FakeJira; door: DoorApp; site: InstalledSite; stop: () => Promise<void> }> {
  const jira = await FakeJira.start();
  const doorApp = await startDoorApp(door, jira, options);
  return {
    jira,
    door: doorApp,
    site: await doorApp.install(jira),
    stop: async () => {
      await doorApp.stop();
      await jira.stop();
    },
  };
}
