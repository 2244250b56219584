import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { type Database, openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';

export type DatabaseOutage = {
  /** The same database as seen through a TCP proxy that `cut` can sever. */
  db: Database;
  /** Drops every connection through the proxy and refuses new ones, as a stopped server would. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
};

/** Puts a cuttable TCP proxy in front of a test database (real PostgreSQL or the embedded one's socket). */
export async function withOutageSwitch(target: Database): Promise<DatabaseOutage> {
  const upstream = new URL(target.connectionString);
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const server = createConnection({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(server).pipe(client);
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(target.connectionString);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as AddressInfo).port);
  const db = await openDatabase(
    { url: proxied.toString(), embeddedDataDir: null },
    createLogger({ level: 'silent' }),
  );
  return {
    // PGlite's notifications reach only in-process listeners, never a client of its socket.
    db: target.embedded ? { ...db, listen: (channel, handlers) => target.listen(channel, handlers) } : db,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      down = false;
    },
    async close() {
      await db.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
