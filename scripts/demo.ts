/**
 * `npm run demo`: Calendar Sync without a Jira site. Prints the address of a stand-in Jira page first:
 * open it, sign in as the admin or a plain user, and click through the real pages (Connect and Forge).
 * Ctrl+C stops everything.
 */
import { startDemo } from './demo-app.js';

const port = Number(process.env['PORT'] ?? 3000);
const hostPort = Number(process.env['DEMO_JIRA_PORT'] ?? port + 1);
const googleViewPort = Number(process.env['DEMO_GOOGLE_PORT'] ?? port + 2);
const demo = await startDemo({
  port,
  hostPort,
  googleViewPort,
  logLevel: process.env['LOG_LEVEL'] ?? 'warn',
});

const lines = [
  '',
  `  Open ${demo.hostUrl} in your browser: a stand-in Jira page where you can be the admin or a plain user.`,
  '',
  'Calendar Sync demo is running (Ctrl+C to stop).',
  '',
  `  App                   ${demo.appUrl}  (landing page; health at ${demo.appUrl}/healthz)`,
  `  Fake Jira site        ${demo.jira.baseUrl}`,
  `  Connect descriptor    ${demo.appUrl}/atlassian-connect.json`,
  `  Forge installation    ${demo.forge.installationId}`,
  `  Fake Google Calendar  ${demo.googleViewUrl}  (what "Keep it live in Google Calendar" pushed)`,
  '',
  ...demo.sampleFeeds.map((feed) => `  "${feed.name}" (${feed.door}): ${feed.url}`),
  '',
  'Subscribe to a feed URL in a local calendar app, or try:',
  `  curl -s ${demo.sampleFeeds[0]?.url ?? ''} | head -30`,
  '',
];
process.stdout.write(lines.join('\n'));

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void demo.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
