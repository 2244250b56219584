import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeApp, type Composed } from '../src/compose/compose.js';
import { loadConfig } from '../src/config.js';
import { type Database, migrateLatest, openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { forgeApi } from '../test/support/doors.js';
import { FakeGoogle } from '../test/support/fake-google.js';
import { JiraHost } from '../test/support/fake-ap/jira-host.js';
import { FakeForge, type FakeForgeInstallation } from '../test/support/fake-forge/fake-forge.js';
import { MANIFEST_PATH } from '../test/support/fake-forge/forge-manifest.js';
import { FakeJira, SEED_ACCOUNTS } from '../test/support/fake-jira/fake-jira.js';
import { apiAs, sampleFeedConfig } from '../test/support/site.js';
import { startGoogleView } from './demo-google-view.js';
import { buildForgeResources } from './forge-build.js';

export type Demo = {
  /** The stand-in Jira a person opens first. */
  hostUrl: string;
  appUrl: string;
  jira: FakeJira;
  forge: FakeForgeInstallation;
  /** What the app pushed into the fake Google Calendar, reloading itself. */
  googleViewUrl: string;
  composed: Composed;
  sampleFeeds: { door: 'connect' | 'forge'; name: string; url: string; sync: unknown }[];
  stop(): Promise<void>;
};

const PEOPLE = [
  { accountId: SEED_ACCOUNTS.alice, label: 'Alice (Jira administrator)' },
  { accountId: SEED_ACCOUNTS.bob, label: 'Bob (engineer, not an administrator)' },
];

const SAMPLE_FEED = {
  rules: [
    { id: 'due', kind: 'allDay', field: 'duedate' },
    {
      id: 'go-live',
      kind: 'timed',
      field: 'customfield_10030',
      end: { type: 'durationField', field: 'customfield_10031', defaultMinutes: 60 },
    },
    { id: 'sprints', kind: 'sprint' },
    { id: 'releases', kind: 'version', useStartDate: true },
  ],
  access: { mode: 'groups', groups: [{ name: 'engineering' }], divideByUserFields: ['assignee'] },
};

const listen = async (server: Server, port: number): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

/**
 * The app on an in-memory embedded PostgreSQL, a fake Jira site with sample data installed through both
 * doors (a signed Connect install and a Forge install from the fake Forge platform), a stand-in Jira page
 * to click through the real pages as an admin or a plain user, and a synced sample feed per door.
 */
export async function startDemo(options: {
  port: number;
  hostPort: number;
  googleViewPort?: number;
  logLevel?: string;
}): Promise<Demo> {
  const logger = createLogger({ level: options.logLevel ?? 'warn' });
  const jira = await FakeJira.start();
  const forgeDir = await mkdtemp(path.join(tmpdir(), 'calsync-demo-forge-'));
  await copyFile(MANIFEST_PATH, path.join(forgeDir, 'manifest.yml'));
  await buildForgeResources(forgeDir);
  const fakeForge = await FakeForge.start({ appDir: forgeDir, retryDelayMs: 1_000 });
  // Whoever clicks "Keep it live in Google Calendar" consents as this one fake Google account.
  const google = await FakeGoogle.start();
  google.oauth.nextUser = 'you@google.example';
  const googleView = await startGoogleView(google, options.googleViewPort ?? 0);

  const server = createServer();
  const appPort = await listen(server, options.port);
  const appUrl = `http://localhost:${appPort}`;
  let forgeInstallation: FakeForgeInstallation | null = null;
  const host = await JiraHost.start(
    jira,
    {
      proxy: true,
      people: PEOPLE,
      links: (accountId) => [
        { label: 'Fake Google Calendar: what live calendars pushed', href: googleView.url },
        ...(forgeInstallation
          ? [
              {
                label: 'Jira settings → Apps → Calendar Sync feeds (Forge)',
                href: fakeForge.pageUrl(forgeInstallation, accountId, 'calsync-admin'),
              },
              {
                label: 'Apps → My calendars (Forge)',
                href: fakeForge.pageUrl(forgeInstallation, accountId, 'calsync-my-calendars'),
              },
            ]
          : []),
      ],
    },
    options.hostPort,
  );
  const config = {
    ...loadConfig({ NODE_ENV: 'development', PORT: String(appPort), BASE_URL: appUrl }),
    connectKeysUrl: jira.keysUrl,
    jiraHosts: ['127.0.0.1', 'localhost'],
    extraFrameAncestors: [host.origin],
    forge: fakeForge.appConfig,
    feedTokenSecret: randomBytes(32).toString('hex'),
    google: {
      ...google.client,
      oauthBaseUrl: google.url,
      apiBaseUrl: google.url,
      tokenEncryptionKey: randomBytes(32),
    },
  };
  let db: Database | null = null;
  try {
    db = await openDatabase({ url: null, embeddedDataDir: null }, logger);
    await migrateLatest(db.knex);
    const composed = await composeApp({ config, logger, db });
    await composed.startWorker({ concurrency: 2, pollIntervalMs: 500 });
    server.on('request', composed.app);
    host.setApp(appUrl);

    const install = await jira.install(appUrl);
    if (install.status !== 204) throw new Error(`Connect install failed: ${install.status} ${install.body}`);
    forgeInstallation = await fakeForge.install(appUrl, jira);

    const sampleFeeds: Demo['sampleFeeds'] = [];
    const doors = [
      {
        door: 'connect' as const,
        clientKey: jira.clientKey,
        admin: apiAs({ url: appUrl } as Parameters<typeof apiAs>[0], jira, SEED_ACCOUNTS.alice),
      },
      {
        door: 'forge' as const,
        clientKey: forgeInstallation.installationId,
        admin: forgeApi(forgeInstallation, SEED_ACCOUNTS.alice),
      },
    ];
    for (const { door, clientKey, admin } of doors) {
      const created = await admin.post(
        '/feeds',
        sampleFeedConfig({ name: `Demo (${door}): Calendar Platform`, ...SAMPLE_FEED }),
      );
      if (created.status !== 201) throw new Error(`feed creation failed: ${JSON.stringify(created.body)}`);
      const sync = await composed.services.sync.syncFeed(clientKey, String(created.body.id));
      sampleFeeds.push({ door, name: String(created.body.name), url: String(created.body.url), sync });
    }
    const opened = db;
    return {
      hostUrl: `${host.origin}/`,
      appUrl,
      jira,
      forge: forgeInstallation,
      googleViewUrl: googleView.url,
      composed,
      sampleFeeds,
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await composed.stop();
        await opened.close();
        await host.stop();
        await fakeForge.stop();
        await googleView.stop();
        await google.stop();
        await jira.stop();
        await rm(forgeDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    server.close();
    await db?.close();
    await host.stop();
    await fakeForge.stop();
    await googleView.stop();
    await google.stop();
    await jira.stop();
    await rm(forgeDir, { recursive: true, force: true });
    throw error;
  }
}
