import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { EmbeddedPostgresServer } from '../../src/db/embedded-postgres-server.js';
import { captureLogs } from '../support/log-capture.js';

let db: PGlite;
let server: EmbeddedPostgresServer;
let url: string;
let anonymousUrl: string;

beforeAll(async () => {
  db = await PGlite.create();
  server = new EmbeddedPostgresServer(db);
  const { host, port, password } = await server.start();
  url = `postgres://postgres:${encodeURIComponent(password)}@${host}:${port}/postgres`;
  anonymousUrl = `postgres://postgres@${host}:${port}/postgres`;
  await db.exec('CREATE TABLE items (id int primary key, label text)');
});
afterAll(async () => {
  await server.stop();
  await db.close();
});

describe('embedded PostgreSQL over the wire', () => {
  it('lets in only clients with the generated password: another local user cannot read the data', async () => {
    await db.exec(`INSERT INTO items VALUES (1, 'a shared secret') ON CONFLICT DO NOTHING`);
    for (const connectionString of [anonymousUrl, url.replace(/:[^:@/]+@/, ':not-the-password@')]) {
      const intruder = new pg.Client({ connectionString });
      await expect(intruder.connect()).rejects.toThrow(/password authentication failed/);
      await intruder.end().catch(() => undefined);
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect(
        (await client.query<{ label: string }>('SELECT label FROM items WHERE id = 1')).rows[0]?.label,
      ).toBe('a shared secret');
    } finally {
      await client.end();
    }
    await db.exec('DELETE FROM items WHERE id = 1');
  });

  it('serves the app database behind a generated password that is never logged', async () => {
    const { logger, text } = captureLogs();
    const opened = await openDatabase({ url: null, embeddedDataDir: null }, logger);
    try {
      const { password, hostname, port } = new URL(opened.connectionString);
      expect(decodeURIComponent(password).length).toBeGreaterThanOrEqual(24);
      const intruder = new pg.Client({
        connectionString: `postgres://postgres@${hostname}:${port}/postgres`,
      });
      await expect(intruder.connect()).rejects.toThrow(/password authentication failed/);
      await intruder.end().catch(() => undefined);
      expect((await opened.knex.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect(text()).not.toContain(decodeURIComponent(password));
    } finally {
      await opened.close();
    }
  });

  it("keeps each client's extended-protocol queries whole when many run at once", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    try {
      // Different parameter counts per query: interleaved Parse/Bind messages would fail with a protocol error.
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          i % 2 === 0
            ? pool
                .query<{ sum: number }>('SELECT $1::int + $2::int AS sum', [i, 1])
                .then((r) => r.rows[0]!.sum === i + 1)
            : pool
                .query<{ v: string }>('SELECT $1::text || $2::text || $3::text || $4::text AS v', [
                  'a',
                  String(i),
                  'b',
                  'c',
                ])
                .then((r) => r.rows[0]!.v === `a${i}bc`),
        ),
      );
      expect(results.every(Boolean)).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('delivers results larger than the socket can take at once intact', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // Many large rows make PGlite emit many output chunks while the socket is still busy with earlier ones.
      const result = await client.query<{ i: number; big: string }>(
        `SELECT i, repeat(chr(65 + i % 26), 200000) || ':' || i AS big FROM generate_series(1, 60) AS i`,
      );
      expect(result.rows).toHaveLength(60);
      for (const row of result.rows)
        expect(row.big).toBe(`${String.fromCharCode(65 + (row.i % 26)).repeat(200_000)}:${row.i}`);
      expect((await client.query<{ n: number }>('SELECT 42 AS n')).rows[0]!.n).toBe(42);
    } finally {
      await client.end();
    }
  });

  it("runs only the transaction holder's statements until it commits", async () => {
    const holder = new pg.Client({ connectionString: url });
    const other = new pg.Client({ connectionString: url });
    await holder.connect();
    await other.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('INSERT INTO items VALUES ($1, $2)', [1, 'in transaction']);
      let otherSaw: number | null = null;
      const otherRead = other
        .query<{ n: string }>('SELECT count(*) AS n FROM items')
        .then((r) => (otherSaw = Number(r.rows[0]!.n)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(otherSaw).toBeNull();
      await holder.query('COMMIT');
      await otherRead;
      expect(otherSaw).toBe(1);
    } finally {
      await holder.end();
      await other.end();
    }
  });

  it('rolls back a transaction whose client disconnects, and lets the others go on', async () => {
    const quitter = new pg.Client({ connectionString: url });
    const other = new pg.Client({ connectionString: url });
    quitter.on('error', () => undefined);
    await quitter.connect();
    await other.connect();
    try {
      await quitter.query('BEGIN');
      await quitter.query('INSERT INTO items VALUES ($1, $2)', [2, 'never committed']);
      const read = other.query<{ n: string }>('SELECT count(*) AS n FROM items WHERE id = 2');
      quitter.connection.stream.destroy();
      expect(Number((await read).rows[0]!.n)).toBe(0);
    } finally {
      await other.end();
    }
  });
});
