import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForgeFunctions, buildForgeResources, FUNCTIONS_DIR } from '../../scripts/forge-build.js';
import { DATA_REGIONS } from '../../src/domain/data-region.js';
import { PDR_MODULE_KEYS } from '../../src/doors/forge/forge-privacy-router.js';
import { FORGE_BACKEND_ROUTES, FORGE_UI_MODULES } from '../../src/doors/forge/forge-routes.js';
import { ForgeManifest, MANIFEST_PATH } from '../support/fake-forge/forge-manifest.js';

type Validation = { success: boolean; errors?: { message: string; reference?: string; line?: number }[] };
const { validate } = createRequire(import.meta.url)('@forge/manifest') as {
  validate: (requireAppId: boolean, manifestFile: string) => Promise<Validation>;
};

let appDir: string;
const byPath = (a: { path?: string | undefined }, b: { path?: string | undefined }) =>
  (a.path ?? '').localeCompare(b.path ?? '');
const manifest = ForgeManifest.load();

beforeAll(async () => {
  appDir = await mkdtemp(path.join(tmpdir(), 'calsync-forge-'));
  await copyFile(MANIFEST_PATH, path.join(appDir, 'manifest.yml'));
  await buildForgeResources(appDir);
  await buildForgeFunctions(appDir);
});
afterAll(async () => {
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

describe('the Forge app', () => {
  it("passes Atlassian's own manifest validation (@forge/manifest, full) once forge:build laid out the resources", async () => {
    const cwd = process.cwd();
    process.chdir(appDir);
    try {
      const result = await validate(false, 'manifest.yml');
      expect(result.errors ?? []).toEqual([]);
      expect(result.success).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('asks for read-only scopes only (the validator does not catch a misspelt or widened scope)', () => {
    expect(manifest.scopes.sort()).toEqual(
      [
        'read:app-system-token',
        'read:app-user-token',
        'read:avatar:jira',
        'read:group:jira',
        'read:jira-user',
        'read:jira-work',
        'read:user:jira',
      ].sort(),
    );
    expect(manifest.scopes.filter((scope) => !scope.startsWith('read:'))).toEqual([]);
  });

  it('routes every backend endpoint to a path the remote serves, each with the system token', () => {
    const routed = [
      'avi:forge:installed:app',
      'avi:forge:upgraded:app',
      'avi:jira:created:issue',
      'avi:jira:updated:issue',
      'avi:jira:deleted:issue',
    ]
      .map((event) => manifest.triggerEndpoint(event))
      .concat([manifest.moduleEndpoint('scheduledTrigger'), manifest.moduleEndpoint('preUninstall')]);
    for (const endpoint of routed) {
      expect(endpoint.auth?.appSystemToken?.enabled, endpoint.key).toBe(true);
    }
    expect(manifest.modules('scheduledTrigger').map((trigger) => [trigger.key, trigger.interval])).toEqual([
      ['calsync-hourly', 'hour'],
      ['calsync-pdr-hourly', 'hour'],
    ]);
    for (const key of ['calsync-admin', 'calsync-configure', 'calsync-my-calendars']) {
      expect(manifest.uiEndpoint(key).auth?.appUserToken?.enabled, key).toBe(true);
    }
  });

  it("admits on each backend route exactly the endpoint manifest.yml routes there, and on /api exactly the manifest's pages", () => {
    const routedEndpoints = manifest.endpoints
      .filter((endpoint) => endpoint.route !== undefined)
      .map((endpoint) => ({ path: endpoint.route?.path, endpointKey: endpoint.key }));
    expect(Object.values(FORGE_BACKEND_ROUTES).sort(byPath)).toEqual(routedEndpoints.sort(byPath));
    const pages = ['jira:adminPage', 'jira:globalPage'].flatMap((type) =>
      manifest.modules(type).map((module) => [module.key, type]),
    );
    expect(FORGE_UI_MODULES).toEqual(Object.fromEntries(pages));
    // Every endpoint without a route is a page's resolver: nothing else may invoke the remote unrouted.
    expect(
      manifest.endpoints
        .filter((endpoint) => endpoint.route === undefined)
        .map((endpoint) => endpoint.key)
        .sort(),
    ).toEqual([...new Set(Object.keys(FORGE_UI_MODULES).map((key) => manifest.uiEndpoint(key).key))].sort());
  });

  it('names a URL per data-residency region, each ending in the region key the deployment checks', () => {
    const [remote, ...others] = manifest.remotes;
    expect(others).toEqual([]);
    const baseUrl = remote?.baseUrl as Record<string, string>;
    expect(Object.keys(baseUrl).sort()).toEqual(['EU', 'US', 'default']);
    for (const [region, url] of Object.entries(baseUrl)) {
      expect(DATA_REGIONS).toContain(region);
      const variable = region === 'default' ? 'CALSYNC_BASE_URL' : `CALSYNC_BASE_URL_${region}`;
      expect(url, region).toBe(`\${${variable}}/region/${region}`);
      expect(manifest.variables, region).toContain(variable);
    }
  });

  it('runs the personal data reporting function hourly, and lets it call the remote with a system token', async () => {
    const trigger = manifest.functionTrigger('calsync-pdr');
    expect([...PDR_MODULE_KEYS].sort()).toEqual(['calsync-pdr', trigger.key].sort());
    const [fn] = manifest.modules('function');
    expect(fn?.handler).toBe('generated/report-personal-data.run');
    const remote = manifest.remote('calsync');
    expect(remote?.operations).toContain('compute');
    expect(remote?.auth?.appSystemToken?.enabled).toBe(true);
    // One self-contained CommonJS file: nothing to install beside it but what Node has.
    const bundle = await readFile(path.join(appDir, FUNCTIONS_DIR, 'report-personal-data.js'), 'utf8');
    const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]));
    expect([...required].filter((name) => !name?.startsWith('.')).sort()).toEqual([
      'async_hooks',
      'fs',
      'path',
    ]);
    expect(bundle.includes('/app/report-accounts')).toBe(true);
  });

  it('builds the Connect pages with the bundled bridge in place of all.js, and nothing loaded from outside', async () => {
    for (const dir of ['admin', 'user']) {
      const html = await readFile(path.join(appDir, 'static', dir, 'index.html'), 'utf8');
      expect(html).toContain('<script src="./forge-bridge.js"></script>');
      expect(html).not.toMatch(/https?:\/\//);
      const bridge = await readFile(path.join(appDir, 'static', dir, 'forge-bridge.js'), 'utf8');
      // Checked as booleans: a failure should not print a 95 kB bundle.
      expect(bridge.includes('window.calendarSyncPlatform=')).toBe(true);
      expect(bridge.includes('globalThis.__bridge.callBridge')).toBe(true);
    }
  });
});
