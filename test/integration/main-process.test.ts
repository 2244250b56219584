import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startAppProcess } from '../support/app-process.js';
import { openTestDatabase } from '../support/test-database.js';

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

  it.skipIf(!process.env['DATABASE_URL'])(
    'opens no more PostgreSQL connections than DATABASE_POOL_SIZE, however many requests arrive at once',
    async () => {
      const db = await openTestDatabase();
      const port = await freePort();
      const poolSize = 9;
      const run = startAppProcess({
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.connectionString,
        FEED_TOKEN_SECRET: 'x'.repeat(32),
        DATABASE_POOL_SIZE: String(poolSize),
        SYNC_CONCURRENCY: '1',
        LOG_LEVEL: 'info',
      });
      const name = new URL(db.connectionString).pathname.slice(1);
      let peak = 0;
      const sample = async () => {
        const { rows } = await db.knex.raw<{ rows: { n: number }[] }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()',
          [name],
        );
        peak = Math.max(peak, rows[0]?.n ?? 0);
      };
      try {
        await run.waitFor('sync scheduler started');
        for (let round = 0; round < 5; round++) {
          const answers = Promise.all(
            Array.from({ length: 60 }, () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status)),
          );
          await sample();
          expect(new Set(await answers)).toEqual(new Set([200]));
          await sample();
        }
        // The test's own pool is not counted (a single connection, excluded above as the sampler).
        expect(peak).toBeGreaterThan(2);
        expect(peak).toBeLessThanOrEqual(poolSize);
      } finally {
        run.child.kill('SIGKILL');
        await run.exited;
        await db.close();
      }
    },
    120_000,
  );
});
