import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildForgeFunctions, FUNCTIONS_DIR } from '../../../scripts/forge-build.js';
import type { RunSummary } from '../../../forge/src/report-personal-data.js';
import { FakeForge, type FakeForgeInstallation } from '../fake-forge/fake-forge.js';
import type { FakeJira } from '../fake-jira/fake-jira.js';
import { type ApiRequest, apiClient } from '../site.js';
import { startTestApp, type TestApp, type TestAppOptions } from '../test-app.js';
import type { ApiClient, DoorApp, InstalledSite, JiraChange } from './door.js';

/** The product event Forge delivers for each change, with the payload the manifest's trigger gets. */
function productEvent(change: JiraChange): [string, Record<string, unknown>] {
  switch (change.kind) {
    case 'issue_created':
      return ['avi:jira:created:issue', { issue: { id: change.issueId } }];
    case 'issue_updated':
      return ['avi:jira:updated:issue', { issue: { id: change.issueId } }];
    case 'issue_deleted':
      return ['avi:jira:deleted:issue', { issue: { id: change.issueId } }];
    case 'version_updated':
      return ['avi:jira:updated:version', { version: { id: change.versionId } }];
    case 'sprint_updated':
      return ['avi:jira-software:updated:sprint', { sprint: { id: change.sprintId } }];
  }
}

type ReportingFunction = (
  event: Record<string, unknown>,
  context: Record<string, unknown>,
) => Promise<RunSummary>;
let reportingFunction: Promise<ReportingFunction> | undefined;

/** The Personal Data Reporting function as `forge:build` bundles it (real @forge/api inside), built once per process. */
function bundledReportingFunction(): Promise<ReportingFunction> {
  reportingFunction ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'calsync-forge-functions-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await buildForgeFunctions(dir);
    const bundle = createRequire(import.meta.url)(path.join(dir, FUNCTIONS_DIR, 'report-personal-data.js'));
    return (bundle as { run: ReportingFunction }).run;
  })();
  return reportingFunction;
}

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
    app,
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
    async announce(change) {
      const [eventType, payload] = productEvent(change);
      // A delivery that never got an answer counts as 0, as a failed fetch would.
      return (await installation.deliverEvent(eventType, payload)).map(({ status }) =>
        typeof status === 'number' ? status : 0,
      );
    },
    async closeAccount(accountId) {
      jira.privacy.close(accountId);
      const run = await bundledReportingFunction();
      // Forge reaches report-accounts at api.atlassian.com, which answers for this site's accounts.
      forge.atlassianApiUrl = await jira.privacy.serveForge();
      const summary = await installation.runFunction('calsync-pdr', run);
      if (summary.batches === 0) throw new Error('the Forge reporting function sent no batch');
    },
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
