import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landingPage } from '../../src/http/landing-router.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';
import { ADMIN, apiAs, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let jira: FakeJira;
let app: TestApp;

beforeAll(async () => {
  jira = await FakeJira.start();
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
  await jira.install(app.url);
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
});

describe('the landing page at /', () => {
  it('says what the service is, its version, how to install it and where health is', async () => {
    const response = await fetch(`${app.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    const { version } = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(html).toContain(`Version ${version}`);
    expect(html).toContain(`${app.url}/atlassian-connect.json`);
    expect(html).toContain(`href="${app.url}/healthz"`);
    expect(html).toContain('FORGE_APP_ID');
  });

  it('points a newcomer at npm run demo while no Forge app is configured, and not once one is', async () => {
    const html = await (await fetch(`${app.url}/`)).text();
    expect(html).toContain('<code>npm run demo</code>');
    expect(landingPage({ baseUrl: app.url, forgeEnabled: true })).not.toContain('npm run demo');
  });

  it('shows nothing about any site, feed or secret', async () => {
    const created = await apiAs(app, jira, ADMIN).post(
      '/feeds',
      sampleFeedConfig({ name: 'Secret roadmap' }),
    );
    expect(created.status).toBe(201);
    const html = await (await fetch(`${app.url}/`)).text();
    for (const secret of [
      jira.clientKey,
      jira.baseUrl,
      'Secret roadmap',
      String(created.body.url),
      app.config.feedTokenSecret,
    ]) {
      expect(html.includes(secret), secret).toBe(false);
    }
  });
});
