import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
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
    const run = startAppProcess({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    });
    try {
      await run.waitFor('Calendar Sync listening');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      // A client that trickles its headers is cut off (408) instead of holding the socket for minutes.
      const socket = connect(port, '127.0.0.1');
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 500);
      const answer = await new Promise<string>((resolve) => {
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
        // The server closes right after its 408, which can reach this side as a reset.
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(received));
      });
      clearInterval(trickle);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output().stdout).toContain('"msg":"stopped"');
    } finally {
      run.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
