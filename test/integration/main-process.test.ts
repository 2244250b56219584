import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startAppProcess } from '../support/app-process.js';

describe('the app process', () => {
  it('refuses to start on bad configuration, listing every problem', async () => {
    const run = startAppProcess({ PORT: 'eighty', DATABASE_URL: 'mysql://nope', LOG_LEVEL: 'chatty' });
    expect(await run.exited).toBe(2);
    const { stderr } = run.output();
    expect(stderr).toContain('Invalid configuration:');
    expect(stderr).toMatch(/PORT: /);
    expect(stderr).toMatch(/DATABASE_URL: /);
    expect(stderr).toMatch(/LOG_LEVEL: /);
  });

  it('starts on the embedded database, answers /healthz, and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'calendar-sync-main-'));
    const port = await freePort();
    const run = startAppProcess({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    try {
      await run.waitFor('Calendar Sync listening');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output().stdout).toContain('"msg":"stopped"');
    } finally {
      run.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
