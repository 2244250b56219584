/**
 * `npm run demo`: the app on an embedded (in-memory) PostgreSQL plus the project's fake Jira with sample
 * data, joined by a real signed install, with a sample feed synced. Ctrl+C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { loadConfig } from '../src/config.js';
import { composeApp } from '../src/composition.js';
import { migrateLatest, openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { FakeJira, SEED_ACCOUNTS } from '../test/support/fake-jira/fake-jira.js';
import { apiAs, sampleFeedConfig } from '../test/support/site.js';

const port = Number(process.env['PORT'] ?? 3000);
const baseUrl = `http://localhost:${port}`;
const logger = createLogger({ level: process.env['LOG_LEVEL'] ?? 'warn' });

const jira = await FakeJira.start();
const config = {
  ...loadConfig({ NODE_ENV: 'development', PORT: String(port), BASE_URL: baseUrl }),
  connectKeysUrl: jira.keysUrl,
  jiraHosts: ['127.0.0.1', 'localhost'],
  feedTokenSecret: randomBytes(32).toString('hex'),
};
const db = await openDatabase({ url: null, embeddedDataDir: null }, logger);
await migrateLatest(db.knex);
const composed = await composeApp({ config, logger, db });
await composed.startWorker({ concurrency: 2, pollIntervalMs: 500 });
const server = createServer(composed.app);
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

const install = await jira.install(baseUrl);
if (install.status !== 204) throw new Error(`install failed: ${install.status} ${install.body}`);
const installation = await db.knex('installations').where({ client_key: jira.clientKey }).first();

const app = { url: baseUrl } as Parameters<typeof apiAs>[0];
const admin = apiAs(app, jira, SEED_ACCOUNTS.alice);
const created = await admin.post(
  '/feeds',
  sampleFeedConfig({
    name: 'Demo: Calendar Platform',
    rules: [
      { id: 'due', kind: 'allDay', field: 'duedate' },
      { id: 'go-live', kind: 'timed', field: 'customfield_10030', end: { type: 'durationField', field: 'customfield_10031', defaultMinutes: 60 } },
      { id: 'sprints', kind: 'sprint' },
      { id: 'releases', kind: 'version', useStartDate: true },
    ],
    access: { mode: 'groups', groups: [{ name: 'engineering' }], divideByUserFields: ['assignee'] },
  }),
);
if (created.status !== 201) throw new Error(`feed creation failed: ${JSON.stringify(created.body)}`);
const outcome = await composed.services.sync.syncFeed(jira.clientKey, created.body.id);
const bob = apiAs(app, jira, SEED_ACCOUNTS.bob);
const bobsCalendars = (await bob.get('/me/calendars')).body.calendars as { label: string; url: string }[];

const lines = [
  '',
  'Calendar Sync demo is running (Ctrl+C to stop).',
  '',
  `  Fake Jira site        ${jira.baseUrl}  (clientKey ${jira.clientKey})`,
  `  App                   ${baseUrl}`,
  `  Installed tenant      ${installation.state} at ${installation.installed_at.toISOString()} via a signed install (HTTP ${install.status})`,
  `  Descriptor            ${baseUrl}/atlassian-connect.json`,
  `  Health                ${baseUrl}/healthz`,
  '',
  `  Sample feed "${created.body.name}": ${JSON.stringify(outcome)}`,
  `  Shared feed URL       ${created.body.url}`,
  ...bobsCalendars.map((calendar) => `  Bob's "${calendar.label}"  ${calendar.url}`),
  '',
  'Try:',
  `  curl -s ${created.body.url} | head -30`,
  `  curl -sI ${created.body.url}`,
  '',
];
process.stdout.write(lines.join('\n'));

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close(() => {
    void (async () => {
      await composed.stop();
      await db.close();
      await jira.stop();
      process.exit(0);
    })();
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
