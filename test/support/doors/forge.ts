import { FakeForge, type FakeForgeInstallation } from '../fake-forge/fake-forge.js';
import type { FakeJira } from '../fake-jira/fake-jira.js';
import { type ApiRequest, apiClient } from '../site.js';
import { startTestApp, type TestApp, type TestAppOptions } from '../test-app.js';
import type { ApiClient, DoorApp, InstalledSite } from './door.js';

/** The app behind Forge Remote, with a fake Forge platform beside it that installs sites and invokes the app. */
export async function startForgeDoor(jira: FakeJira, options: TestAppOptions = {}): Promise<DoorApp> {
  const forge = await FakeForge.start({ retryDelayMs: 20 });
  try {
    const app = await startTestApp({
      connectKeysUrl: jira.keysUrl,
      ...options,
      config: { ...options.config, forge: forge.appConfig },
    });
    return {
      door: 'forge',
      app,
      forge,
      install: (site) => installForge(app, site, forge),
      async stop() {
        await app.stop();
        await forge.stop();
      },
    };
  } catch (error) {
    await forge.stop();
    throw error;
  }
}

export async function installForge(app: TestApp, jira: FakeJira, forge: FakeForge): Promise<InstalledSite> {
  const installation = await forge.install(app.url, jira);
  const last = installation.lastInstallDeliveries.at(-1);
  if (last?.status !== 200) throw new Error(`Forge install event answered ${String(last?.status)}`);
  return {
    door: 'forge',
    jira,
    clientKey: installation.installationId,
    api: (accountId) => forgeApi(installation, accountId),
    async uninstall() {
      const attempts = await installation.uninstall();
      if (attempts.at(-1)?.status !== 200)
        throw new Error(`preUninstall answered ${String(attempts.at(-1)?.status)}`);
    },
    userId: (accountId) => accountId,
    credentials: null,
    secrets: () =>
      Promise.resolve(
        Object.fromEntries(forge.issued.map((token, index) => [`Forge token or FIT #${index}`, token])),
      ),
    faults: jira.faults,
    forge: installation,
    dc: null,
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
