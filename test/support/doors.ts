import { randomBytes } from 'node:crypto';
import { FakeForge, type FakeForgeInstallation } from './fake-forge/fake-forge.js';
import type { FakeJira } from './fake-jira/fake-jira.js';
import { type ApiRequest, apiAs, apiClient, registerSite } from './site.js';
import { startTestApp, type TestApp, type TestAppOptions } from './test-app.js';

/** The front doors a Jira Cloud site can come through; suites that hold for both run once per door. */
export const DOORS = ['connect', 'forge'] as const;
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
    };
  }
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
